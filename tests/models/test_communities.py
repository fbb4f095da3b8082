"""CommunityDetector: author graphs with known communities and hand-computed shares."""

from __future__ import annotations

import itertools

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

from models.communities import CommunityDetector

pytestmark = pytest.mark.unit

NOW = pd.Timestamp("2012-10-02 12:00", tz="UTC")
COLUMNS = ["src_author_uid", "dst_author_uid", "kind", "created_at"]


def interactions(rows) -> pd.DataFrame:
    """Interactions from ``(src, dst, kind, hours before NOW)`` tuples."""
    frame = pd.DataFrame(
        [(src, dst, kind, NOW - pd.Timedelta(hours=age)) for src, dst, kind, age in rows],
        columns=COLUMNS,
    )
    frame["created_at"] = frame["created_at"].astype("datetime64[ns, UTC]")
    return frame.astype({"src_author_uid": "str", "dst_author_uid": "str", "kind": "str"})


def clique(names, kind="repost", age=0.0):
    return [(src, dst, kind, age) for src, dst in itertools.combinations(names, 2)]


A = ["a1", "a2", "a3", "a4"]
B = ["b1", "b2", "b3", "b4"]


@pytest.fixture
def two_cliques() -> pd.DataFrame:
    """Two repost cliques of four joined by one old mention, plus a lone pair."""
    return interactions(
        clique(A) + clique(B) + [("a1", "b1", "mention", 48.0), ("x", "y", "repost", 0.0)]
    )


def community_of(detector: CommunityDetector) -> dict[str, int]:
    return detector.communities_.set_index("author_uid")["community"].to_dict()


def test_two_cliques_joined_by_a_weak_edge_give_two_communities(two_cliques):
    detector = CommunityDetector(random_state=0).fit(two_cliques)
    community = community_of(detector)

    assert detector.n_communities_ == 2
    assert {community[a] for a in A} == {0}  # tie on size and degree: first author a1
    assert {community[b] for b in B} == {1}
    assert community["x"] == community["y"] == -1  # a pair is below min_community_size
    assert list(detector.communities_.columns) == ["author_uid", "community", "degree"]
    assert detector.communities_["community"].tolist() == [0] * 4 + [1] * 4 + [-1] * 2


def test_weight_halves_after_one_half_life():
    one_edge = interactions([("u", "v", "repost", 24.0), ("v", "w", "repost", 0.0)])
    detector = CommunityDetector(half_life_hours=24.0, min_community_size=1).fit(one_edge)
    weights = detector.edges_.set_index(["author_a", "author_b"])["weight"]

    assert detector.reference_time_ == NOW  # default: latest created_at
    assert weights[("u", "v")] == pytest.approx(0.5)
    assert weights[("v", "w")] == pytest.approx(1.0)
    degree = detector.communities_.set_index("author_uid")["degree"]
    assert degree["v"] == pytest.approx(1.5)


def test_decay_and_kind_weights_compose_and_directions_sum():
    rows = interactions(
        [
            ("u", "v", "mention", 48.0),  # 0.5 * 0.25
            ("v", "u", "reply", 0.0),  # 0.7, same undirected edge
            ("u", "u", "repost", 0.0),  # self-interaction: ignored
        ]
    )
    detector = CommunityDetector(half_life_hours=24.0).fit(
        rows,
        reference_time=NOW.tz_convert(None),  # naive is taken as UTC
    )
    edge = detector.edges_.iloc[0]
    assert (edge["author_a"], edge["author_b"], edge["interactions"]) == ("u", "v", 2)
    assert edge["weight"] == pytest.approx(0.5 * 0.25 + 0.7)


def test_reference_time_and_custom_kind_weights():
    rows = interactions([("u", "v", "repost", 0.0), ("v", "w", "like", 0.0)])
    detector = CommunityDetector(kind_weights={"repost": 2.0, "like": 0.1}).fit(
        rows, reference_time=NOW + pd.Timedelta(hours=12)
    )
    weights = detector.edges_.set_index(["author_a", "author_b"])["weight"]
    assert weights[("u", "v")] == pytest.approx(2.0 * 0.5**0.5)
    assert weights[("v", "w")] == pytest.approx(0.1 * 0.5**0.5)


def test_unknown_kind_raises():
    with pytest.raises(ValueError, match="like"):
        CommunityDetector().fit(interactions([("u", "v", "like", 0.0)]))


def test_describe_and_concentration_values(two_cliques):
    detector = CommunityDetector(random_state=0).fit(two_cliques)
    movement_authors = pd.DataFrame(
        {
            "movement_id": ["m1", "m1", "m1", "m2", "m2", "m3", "m3"],
            "author_uid": ["a1", "a2", "b1", "a1", "zz", "zz", "yy"],
            "posts": [3, 1, 4, 6, 2, 1, 1],
        }
    )
    described = detector.describe(movement_authors)
    expected = pd.DataFrame(
        {
            "movement_id": ["m1", "m1", "m2", "m2", "m3"],
            "community": [0, 1, 0, -1, -1],
            "authors": [2, 1, 1, 1, 2],
            "posts": [4, 4, 6, 2, 2],
            "share": [0.5, 0.5, 0.75, 0.25, 1.0],
        }
    )
    pd.testing.assert_frame_equal(
        described.astype({"movement_id": object}),
        expected.astype({"movement_id": object}),
        check_dtype=False,
    )

    concentration = detector.concentration(movement_authors).set_index("movement_id")
    assert list(concentration.reset_index().columns) == [
        "movement_id",
        "communities",
        "top_community",
        "top_share",
        "hhi",
    ]
    assert concentration.loc["m1"].tolist() == pytest.approx([2, 0, 0.5, 0.5])
    # m2: community 0 carries 6/8, the unaffiliated author zz 2/8 (its own block).
    assert concentration.loc["m2"].tolist() == pytest.approx([1, 0, 0.75, 0.75**2 + 0.25**2])
    # m3: two unaffiliated authors are two blocks, not one concentrated community.
    assert concentration.loc["m3"].tolist() == pytest.approx([0, -1, 0.0, 0.5])


def test_fit_is_deterministic_for_a_fixed_seed():
    rng = np.random.default_rng(3)
    authors = [f"u{i}" for i in range(60)]
    rows = interactions(
        [
            (authors[s], authors[d], kind, float(age))
            for s, d, kind, age in zip(
                rng.integers(0, 60, 400),
                rng.integers(0, 60, 400),
                rng.choice(["repost", "quote", "reply", "mention"], 400),
                rng.uniform(0, 48, 400),
                strict=True,
            )
        ]
    )
    first = CommunityDetector(random_state=5).fit(rows)
    second = CommunityDetector(random_state=5).fit(rows)
    pd.testing.assert_frame_equal(first.communities_, second.communities_)
    assert first.n_communities_ == second.n_communities_


def test_empty_interactions_give_no_communities():
    detector = CommunityDetector().fit(interactions([]))
    assert detector.communities_.empty
    assert detector.n_communities_ == 0
    described = detector.describe(
        pd.DataFrame({"movement_id": ["m"], "author_uid": ["u"], "posts": [2]})
    )
    assert described[["community", "authors", "posts", "share"]].values.tolist() == [[-1, 1, 2, 1]]


def test_describe_before_fit_raises():
    with pytest.raises(NotFittedError):
        CommunityDetector().describe(
            pd.DataFrame({"movement_id": [], "author_uid": [], "posts": []})
        )


# Full check_estimator does not apply (DataFrame-of-strings input); run the parameter checks.
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
    check("CommunityDetector", CommunityDetector())


def test_clone_round_trips_parameters(two_cliques):
    detector = CommunityDetector(half_life_hours=6.0, kind_weights={"reply": 0.0}, random_state=4)
    cloned = clone(detector)
    assert cloned.get_params() == detector.get_params()
    assert not hasattr(clone(detector.fit(two_cliques)), "communities_")
