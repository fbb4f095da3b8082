"""HashtagClusterer: hand-built windows with known clusters."""

from __future__ import annotations

import math
import unicodedata

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils.estimator_checks import (
    check_do_not_raise_errors_in_init_or_set_params,
    check_get_params_invariance,
    check_no_attributes_set_in_init,
    check_parameters_default_constructible,
    check_set_params,
)

from models.hashtags import HashtagClusterer, npmi, spelling_variants

pytestmark = pytest.mark.unit

START = pd.Timestamp("2012-10-01 00:00", tz="UTC")


def fold(tag: str) -> str:
    """Casefold and strip accents, as pipeline.normalize does for tag_norm."""
    decomposed = unicodedata.normalize("NFKD", tag.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def post_tags(posts) -> pd.DataFrame:
    """Rows of post_tags from ``(post_uid, author_uid, hour, [raw tags])`` tuples."""
    rows = [
        {
            "post_uid": post_uid,
            "author_uid": author,
            "created_at": START + pd.Timedelta(hours=hour),
            "tag_norm": fold(tag),
            "tag": tag,
        }
        for post_uid, author, hour, tags in posts
        for tag in tags
    ]
    frame = pd.DataFrame(rows)
    frame["created_at"] = frame["created_at"].astype("datetime64[ns, UTC]")
    return frame.astype({"post_uid": "str", "author_uid": "str", "tag_norm": "str", "tag": "str"})


def group_posts(prefix: str, tags: list[str], n: int, hour: float = 8.0):
    """``n`` posts by ``n`` distinct authors, each carrying all ``tags``."""
    return [(f"{prefix}{k}", f"{prefix}-author{k}", hour, tags) for k in range(n)]


def background(n_tags: int = 10, per_tag: int = 3):
    """Unrelated chatter: ``n_tags`` tags, each in ``per_tag`` posts of its own."""
    return [
        (f"bg{t}-{k}", f"bg-author{t}-{k}", 12, [f"chatter{t:02d}"])
        for t in range(n_tags)
        for k in range(per_tag)
    ]


def cluster_of(model: HashtagClusterer, tag_norm: str) -> int:
    clusters = model.clusters_.set_index("tag_norm")["cluster"]
    return int(clusters[tag_norm])


def test_two_disjoint_groups_of_cooccurring_tags_give_two_clusters():
    tags = post_tags(
        group_posts("p", ["pigeons", "geonpi", "PLF2013"], 8)
        + group_posts("r", ["retraites", "greve"], 5)
    )
    model = HashtagClusterer(random_state=0).fit(tags)

    assert model.n_clusters_ == 2
    assert (
        cluster_of(model, "pigeons") == cluster_of(model, "geonpi") == cluster_of(model, "plf2013")
    )
    assert cluster_of(model, "retraites") == cluster_of(model, "greve")
    assert cluster_of(model, "pigeons") == 0  # 8 posts > 5 posts: numbered first
    assert cluster_of(model, "retraites") == 1
    assert list(model.clusters_.columns) == ["tag_norm", "cluster", "posts", "authors", "tag"]
    assert list(model.edges_.columns) == [
        "tag_a",
        "tag_b",
        "cooccurrence",
        "association",
        "shared_authors",
        "variant",
    ]


def test_cooccurring_variants_end_in_one_cluster_with_the_most_frequent_raw_form():
    tags = post_tags(
        [(f"p{k}", f"u{k}", 8, ["Pigeons", "geonpi"]) for k in range(4)]
        + [(f"q{k}", f"v{k}", 9, ["pigeons", "LesPigeons"]) for k in range(3)]
        + [(f"s{k}", f"w{k}", 9, ["lespigeons", "geonpi"]) for k in range(3)]
        + group_posts("r", ["retraites", "greve"], 4)
        + background()
    )
    model = HashtagClusterer(random_state=0).fit(tags)
    clusters = model.clusters_.set_index("tag_norm")

    assert clusters.loc[["pigeons", "lespigeons", "geonpi"], "cluster"].nunique() == 1
    assert clusters.loc["pigeons", "cluster"] != clusters.loc["retraites", "cluster"]
    assert clusters.loc["pigeons", "tag"] == "Pigeons"  # 4 posts against 3
    assert clusters.loc["pigeons", "posts"] == 7
    variant = model.edges_.query("tag_a == 'lespigeons' and tag_b == 'pigeons'")
    assert variant["variant"].tolist() == [True]


def test_variants_sharing_authors_are_tied_even_without_cooccurrence():
    # The same four authors write #pigeons at 08:00 and #lespigeons at 20:00 (different
    # 6 h sessions, so they never co-occur) and #soleil at 14:00, which is no variant.
    tags = post_tags(
        [(f"m{k}", f"u{k}", 8, ["pigeons"]) for k in range(4)]
        + [(f"e{k}", f"u{k}", 20, ["lespigeons"]) for k in range(4)]
        + [(f"a{k}", f"u{k}", 14, ["soleil"]) for k in range(4)]
    )
    model = HashtagClusterer(random_state=0).fit(tags)

    assert cluster_of(model, "pigeons") == cluster_of(model, "lespigeons")
    assert cluster_of(model, "soleil") != cluster_of(model, "pigeons")
    edge = model.edges_.query("tag_a == 'lespigeons'").iloc[0]
    assert (edge["tag_b"], edge["cooccurrence"], edge["shared_authors"]) == ("pigeons", 0, 4)
    assert bool(edge["variant"])


def test_variants_that_never_cooccur_nor_share_authors_stay_apart():
    tags = post_tags(
        [(f"m{k}", f"u{k}", 8, ["pigeons"]) for k in range(4)]
        + [(f"e{k}", f"v{k}", 8, ["pigeon"]) for k in range(4)]
    )
    model = HashtagClusterer(random_state=0).fit(tags)

    assert cluster_of(model, "pigeons") != cluster_of(model, "pigeon")
    assert model.edges_.empty


def test_a_tag_below_min_support_is_dropped():
    tags = post_tags(
        [*group_posts("p", ["pigeons", "geonpi"], 3), ("x", "ux", 8, ["pigeons", "rare"])]
    )
    model = HashtagClusterer(min_support=3, random_state=0).fit(tags)

    assert "rare" not in set(model.clusters_["tag_norm"])
    assert set(model.clusters_["tag_norm"]) == {"pigeons", "geonpi"}
    assert model.predict(tags.query("post_uid == 'x'"))["cluster"].tolist() == [0]


def test_npmi_of_a_hand_computed_pair():
    # 10 posts: a+b in 3, a alone in 1, b alone in 2, c in 4.
    tags = post_tags(
        [(f"ab{k}", f"u{k}", 1, ["a", "b"]) for k in range(3)]
        + [("a0", "u10", 1, ["a"])]
        + [(f"b{k}", f"u2{k}", 1, ["b"]) for k in range(2)]
        + [(f"c{k}", f"u3{k}", 1, ["c"]) for k in range(4)]
    )
    model = HashtagClusterer(use_authors=False, association="npmi", random_state=0).fit(tags)
    edge = model.edges_.query("tag_a == 'a' and tag_b == 'b'").iloc[0]

    expected = math.log(0.3 / (0.4 * 0.5)) / -math.log(0.3)
    assert model.n_contexts_ == 10
    assert edge["cooccurrence"] == 3
    assert edge["association"] == pytest.approx(expected)
    assert edge["association"] == pytest.approx(0.336773, abs=1e-6)
    assert float(npmi(3, 4, 5, 10)) == pytest.approx(expected)


def test_npmi_limits():
    assert float(npmi(5, 5, 5, 10)) == pytest.approx(1.0)  # always together
    assert float(npmi(0, 5, 5, 10)) == -1.0  # never together
    assert float(npmi(2, 4, 5, 10)) == pytest.approx(0.0)  # independent
    assert float(npmi(10, 10, 10, 10)) == 1.0  # p_ab == 1


def test_same_author_within_window_counts_as_cooccurrence_only_with_use_authors():
    # Each author writes #budget at 07:00 and #impots at 10:00 (one 6 h session).
    tags = post_tags(
        [(f"b{k}", f"u{k}", 7, ["budget"]) for k in range(3)]
        + [(f"i{k}", f"u{k}", 10, ["impots"]) for k in range(3)]
    )
    with_authors = HashtagClusterer(use_authors=True, random_state=0).fit(tags)
    posts_only = HashtagClusterer(use_authors=False, random_state=0).fit(tags)

    assert with_authors.n_contexts_ == 3
    assert with_authors.edges_["cooccurrence"].tolist() == [3]
    assert cluster_of(with_authors, "budget") == cluster_of(with_authors, "impots")
    assert posts_only.edges_.empty
    assert cluster_of(posts_only, "budget") != cluster_of(posts_only, "impots")


def test_an_author_session_with_too_many_tags_is_split_into_posts():
    # One account posts 12 different tags within the hour, three times in the day.
    busy = [
        (f"bot{day}-{k}", "bot", 8 * day + 0.01 * k, [f"spam{k:02d}"])
        for day in range(3)
        for k in range(12)
    ]
    model = HashtagClusterer(max_session_tags=10, random_state=0).fit(post_tags(busy))
    assert model.edges_.empty
    assert model.n_clusters_ == 12


def test_fit_is_deterministic_for_a_fixed_seed():
    rng = np.random.default_rng(7)
    vocabulary = [f"t{i}" for i in range(40)]
    posts = [
        (
            f"p{k}",
            f"u{rng.integers(30)}",
            float(rng.uniform(0, 24)),
            list(rng.choice(vocabulary, 3)),
        )
        for k in range(400)
    ]
    tags = post_tags(posts).drop_duplicates(["post_uid", "tag_norm"])
    first = HashtagClusterer(random_state=3).fit(tags)
    second = HashtagClusterer(random_state=3).fit(tags)

    pd.testing.assert_frame_equal(first.clusters_, second.clusters_)
    pd.testing.assert_frame_equal(first.edges_, second.edges_)
    pd.testing.assert_frame_equal(first.predict(tags), second.predict(tags))


def test_clusters_are_numbered_by_posts_descending():
    tags = post_tags(
        group_posts("s", ["small1", "small2"], 3)
        + group_posts("b", ["big1", "big2"], 9)
        + group_posts("m", ["mid1", "mid2"], 5)
    )
    model = HashtagClusterer(random_state=0).fit(tags)
    assert [cluster_of(model, t) for t in ("big1", "mid1", "small1")] == [0, 1, 2]


def test_predict_takes_the_majority_cluster_and_breaks_ties_to_the_larger_one():
    tags = post_tags(
        group_posts("b", ["big1", "big2"], 9) + group_posts("s", ["small1", "small2"], 4)
    )
    model = HashtagClusterer(random_state=0).fit(tags)
    new_posts = post_tags(
        [
            ("tie", "x", 1, ["big1", "small1"]),
            ("majority", "x", 1, ["small1", "small2", "big1"]),
            ("unknown", "x", 1, ["nothing", "else"]),
            ("partly", "x", 1, ["nothing", "small2"]),
        ]
    )
    predicted = model.predict(new_posts).set_index("post_uid")["cluster"]

    assert predicted.to_dict() == {"majority": 1, "partly": 1, "tie": 0}
    assert model.predict(new_posts)["cluster"].dtype == np.int64


@pytest.mark.parametrize(
    ("tag_a", "tag_b", "rule"),
    [
        ("lespigeons", "pigeons", "key"),
        ("pigeon", "pigeons", "key"),
        ("nousvoulons", "voulons", "key"),
        ("pigeons", "pigeonsenlutte", "affix"),
        ("colere", "pigeonsencolere", "affix"),
        ("plf2013", "plf2014", "edit"),
        ("retraite", "retriate", None),  # transposition: distance 2
        ("geonpi", "pigeons", None),  # verlan is no spelling variant
        ("bos", "lesbos", None),  # too short to strip an article
        ("greve", "greves", "key"),
    ],
)
def test_spelling_variant_rules(tag_a, tag_b, rule):
    found = spelling_variants([tag_a, tag_b])
    if rule is None:
        assert found.empty
    else:
        assert found[["tag_a", "tag_b", "rule"]].values.tolist() == [[tag_a, tag_b, rule]]


def test_empty_input_gives_empty_clusters():
    empty = post_tags([("p", "u", 1, ["once"])]).iloc[:0]
    model = HashtagClusterer().fit(empty)
    assert model.clusters_.empty
    assert model.edges_.empty
    assert model.n_clusters_ == 0
    assert model.predict(empty).empty


def test_invalid_input_and_parameters_raise_value_error():
    tags = post_tags(group_posts("p", ["a", "b"], 3))
    with pytest.raises(ValueError, match="lacks column"):
        HashtagClusterer().fit(tags.drop(columns="author_uid"))
    with pytest.raises(ValueError, match="min_support"):
        HashtagClusterer(min_support=0).fit(tags)
    with pytest.raises(ValueError, match="author_window"):
        HashtagClusterer(author_window="soon").fit(tags)
    with pytest.raises(NotFittedError):
        HashtagClusterer().predict(tags)


# Full sklearn.utils.estimator_checks.check_estimator does not apply: its checks feed
# numeric arrays, while these estimators take DataFrames of string ids and timestamps.
# The parameter-handling checks that do apply are run here.
@pytest.mark.parametrize(
    "check",
    [
        check_parameters_default_constructible,
        check_no_attributes_set_in_init,
        check_get_params_invariance,
        check_set_params,
        check_do_not_raise_errors_in_init_or_set_params,
    ],
)
def test_sklearn_parameter_checks(check):
    check("HashtagClusterer", HashtagClusterer())


def test_clone_round_trips_parameters():
    model = HashtagClusterer(min_support=5, author_window="2h", use_authors=False, random_state=9)
    cloned = clone(model)
    assert cloned.get_params() == model.get_params()
    assert cloned.get_params()["author_window"] == "2h"
    assert not hasattr(cloned, "clusters_")
    tags = post_tags(group_posts("p", ["a", "b"], 6))
    fitted = clone(HashtagClusterer(random_state=1)).fit(tags)
    assert not hasattr(clone(fitted), "clusters_")


def test_cosine_of_a_hand_computed_pair():
    # a in 4 posts, b in 5, both in 3: cosine = 3 / sqrt(4 * 5).
    tags = post_tags(
        [(f"ab{k}", f"u{k}", 1, ["a", "b"]) for k in range(3)]
        + [("a0", "u10", 1, ["a"])]
        + [(f"b{k}", f"u2{k}", 1, ["b"]) for k in range(2)]
        + [(f"c{k}", f"u3{k}", 1, ["c"]) for k in range(4)]
    )
    model = HashtagClusterer(use_authors=False, random_state=0).fit(tags)
    edge = model.edges_.query("tag_a == 'a' and tag_b == 'b'").iloc[0]
    assert edge["association"] == pytest.approx(3 / math.sqrt(20))


def test_a_movement_filling_the_window_stays_one_cluster():
    # Two tags of one movement fill 90% of the posts and co-occur in 300 of them:
    # within this window they are no more associated than chance (NPMI <= 0),
    # yet they are plainly one movement.
    rows = (
        [(f"ab{k}", f"u{k}", 1, ["geonpi", "pigeons"]) for k in range(300)]
        + [(f"a{k}", f"v{k}", 1, ["geonpi"]) for k in range(300)]
        + [(f"b{k}", f"w{k}", 1, ["pigeons"]) for k in range(300)]
        + [(f"c{k}", f"z{k}", 1, ["meteo", "pluie"]) for k in range(100)]
    )
    tags = post_tags(rows)
    cosine = HashtagClusterer(use_authors=False, random_state=0).fit(tags).clusters_
    by_tag = cosine.set_index("tag_norm")["cluster"]
    assert by_tag["geonpi"] == by_tag["pigeons"] != by_tag["meteo"]
    assert npmi(300, 600, 600, 1000) < 0
