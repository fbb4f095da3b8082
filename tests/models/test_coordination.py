"""CoordinationDetector: hand-built windows with known coordinated groups."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.utils.estimator_checks import (
    check_get_params_invariance,
    check_no_attributes_set_in_init,
    check_parameters_default_constructible,
    check_set_params,
)

from models.coordination import (
    CoordinationDetector,
    lsh_bands,
    minhash_signatures,
    normalize_text,
    normalize_url,
)

pytestmark = pytest.mark.unit

T0 = pd.Timestamp("2012-10-01 10:00", tz="UTC")
SENTENCE = "Le gouvernement doit retirer ce projet de loi de finances injuste maintenant"
COLUMNS = [
    "post_uid",
    "movement_id",
    "author_uid",
    "author_handle",
    "created_at",
    "text",
    "urls",
    "repost_of_uid",
    "author_created_at",
    "author_followers",
]


def post(
    uid, author, minutes, text, movement="m1", urls=(), repost_of=None, age_days=400, followers=150
):
    """One post row; ``minutes`` after T0, author created ``age_days`` before T0."""
    return {
        "post_uid": f"x:{uid}",
        "movement_id": movement,
        "author_uid": f"x:{author}",
        "author_handle": author,
        "created_at": T0 + pd.Timedelta(minutes=minutes),
        "text": text,
        "urls": list(urls),
        "repost_of_uid": repost_of,
        "author_created_at": T0 - pd.Timedelta(days=age_days),
        "author_followers": followers,
    }


def frame(rows):
    out = pd.DataFrame(rows, columns=COLUMNS)
    out["created_at"] = out["created_at"].astype("datetime64[ns, UTC]")
    out["author_created_at"] = out["author_created_at"].astype("datetime64[ns, UTC]")
    return out


WORDS = [
    "pigeon",
    "entrepreneur",
    "impôt",
    "loi",
    "finances",
    "gouvernement",
    "création",
    "startup",
    "taxe",
    "capital",
    "colère",
    "france",
    "bercy",
    "projet",
    "retirer",
    "injuste",
    "nous",
    "sommes",
    "demain",
    "ministre",
    "économie",
    "emploi",
    "croissance",
    "innovation",
    "investir",
    "risque",
    "salariés",
    "patron",
    "réforme",
]


def background(n=60, movement="m1", seed=1, minutes=600):
    """``n`` organic posts: distinct random sentences by distinct old accounts."""
    rng = np.random.default_rng(seed)
    return [
        post(
            f"bg{seed}-{k}",
            f"citizen{seed}-{k}",
            float(rng.uniform(0, minutes)),
            " ".join(rng.choice(WORDS, size=12)),
            movement=movement,
        )
        for k in range(n)
    ]


VARIANTS = [
    SENTENCE,
    SENTENCE + " !",
    SENTENCE + " !!",
    SENTENCE.replace("maintenant", "maintenant.") + " #geonpi",
    "RT " + SENTENCE.lower() + " http://t.co/abc",  # "RT" without @ is not a repost
]


def test_five_fresh_accounts_posting_one_sentence_within_ten_minutes_form_one_group():
    bots = [post(f"b{k}", f"bot{k}", 2 * k, VARIANTS[k], age_days=5) for k in range(5)]
    detector = CoordinationDetector().fit(frame(bots + background()))
    accounts = detector.coordinated_accounts_
    assert sorted(accounts["author_uid"]) == [f"x:bot{k}" for k in range(5)]
    assert accounts["group"].nunique() == 1
    assert (accounts["reasons"] == "co-post,fresh").all()
    assert (accounts["score"] == 1.0).all()
    scores = detector.movement_scores_.set_index("movement_id").loc["m1"]
    assert scores["coordinated_accounts"] == 5
    assert scores["coordinated_posts"] == 5
    assert scores["co_post_groups"] == 1
    assert scores["fresh_account_share"] == 1.0
    assert scores["coordination"] == pytest.approx(1 - (1 - 5 / 65) ** 2)
    group = detector.groups_.iloc[0]
    assert group["accounts"] == 5 and bool(group["co_post"])
    assert group["first_post"] == T0 and group["last_post"] == T0 + pd.Timedelta(minutes=8)


def test_ordinary_accounts_repeating_a_slogan_once_are_not_coordinated():
    crowd = [post(f"c{k}", f"citizen{k}", 2 * k, VARIANTS[k]) for k in range(5)]
    window = frame(crowd + background())
    assert CoordinationDetector().fit(window).coordinated_accounts_.empty
    literal = CoordinationDetector(validate=False).fit(window).coordinated_accounts_
    assert sorted(literal["author_uid"]) == [f"x:citizen{k}" for k in range(5)]


def test_ordinary_accounts_co_posting_again_and_again_are_coordinated():
    rng = np.random.default_rng(5)
    rows = []
    for message in range(6):
        text = " ".join(rng.choice(WORDS, size=12))
        for member in range(4):
            rows.append(post(f"p{message}-{member}", f"ring{member}", 100 * message + member, text))
    detector = CoordinationDetector().fit(frame(rows + background(1000, minutes=1440)))
    accounts = detector.coordinated_accounts_
    assert sorted(accounts["author_uid"]) == [f"x:ring{k}" for k in range(4)]
    assert (accounts["reasons"] == "co-post").all()


def test_same_sentence_spread_over_three_days_is_not_co_posting():
    slow = [post(f"s{k}", f"slow{k}", 18 * 60 * k, VARIANTS[k], age_days=5) for k in range(5)]
    detector = CoordinationDetector().fit(frame(slow + background()))
    assert detector.coordinated_accounts_.empty
    assert detector.movement_scores_["coordination"].tolist() == [0.0]


def test_different_sentences_at_the_same_time_are_not_grouped():
    texts = [row["text"] for row in background(8)]
    rows = [post(f"d{k}", f"user{k}", k, text, age_days=5) for k, text in enumerate(texts)]
    detector = CoordinationDetector().fit(frame(rows + background()))
    assert detector.coordinated_accounts_.empty


def test_reposts_are_not_co_posts():
    rows = [post("orig", "author", 0, SENTENCE)]
    rows += [
        post(f"r{k}", f"fan{k}", 1 + k, SENTENCE, repost_of="x:orig", age_days=5) for k in range(5)
    ]
    rows += [
        post(f"m{k}", f"manual{k}", 1 + k, f"RT @author: {SENTENCE}", age_days=5) for k in range(5)
    ]
    detector = CoordinationDetector().fit(frame(rows + background()))
    assert detector.coordinated_accounts_.empty
    assert detector.movement_scores_.loc[0, "co_post_groups"] == 0


def link_sharing_window(ring_links=6, crowd=1000):
    """A ring of 4 accounts sharing the same obscure links within minutes, and a crowd.

    Each of the ``crowd`` readers shares one popular article (all within half an hour,
    so they chain into one event) and one link of their own.
    """
    rng = np.random.default_rng(7)
    rows = []
    for link in range(ring_links):
        for member in range(4):
            rows.append(
                post(
                    f"ring{link}-{member}",
                    f"ring{member}",
                    120 * link + member,
                    " ".join(rng.choice(WORDS, size=10)),
                    urls=[f"https://obscure.example/report-{link}?utm_source=twitter"],
                )
            )
    popular = ["https://www.lemonde.fr/economie/pigeons.html"]
    for k in range(crowd):
        rows.append(
            post(f"pop{k}", f"reader{k}", float(rng.uniform(0, 30)), "à lire", urls=popular)
        )
        rows.append(
            post(
                f"own{k}",
                f"reader{k}",
                float(rng.uniform(0, 600)),
                "lu",
                urls=[f"https://blog{k}.example/"],
            )
        )
    return frame(rows)


def test_shared_links_group_a_ring_but_not_the_crowd_of_a_popular_article():
    detector = CoordinationDetector().fit(link_sharing_window())
    accounts = detector.coordinated_accounts_
    assert sorted(accounts["author_uid"]) == [f"x:ring{k}" for k in range(4)]
    assert (accounts["reasons"] == "co-link").all()
    assert bool(detector.groups_.loc[0, "co_link"])


def test_one_shared_link_is_not_enough_unless_validation_is_off():
    window = link_sharing_window(ring_links=1, crowd=20)
    assert CoordinationDetector().fit(window).coordinated_accounts_.empty
    literal = CoordinationDetector(validate=False).fit(window)
    assert literal.coordinated_accounts_["author_uid"].nunique() == 24  # everyone shared it


def test_a_repost_ring_is_grouped_but_not_organic_reposts():
    rows = []
    for target in range(6):
        for member in range(6):
            rows.append(
                post(
                    f"rr{target}-{member}",
                    f"amp{member}",
                    90 * target + member,
                    "RT",
                    repost_of=f"x:t{target}",
                )
            )
    rng = np.random.default_rng(3)
    for k in range(1000):  # organic reposts of 50 other posts, over ten hours
        target = f"x:o{int(rng.integers(0, 50))}"
        rows.append(
            post(f"org{k}", f"fan{k % 700}", float(rng.uniform(0, 600)), "RT", repost_of=target)
        )
    detector = CoordinationDetector().fit(frame(rows))
    accounts = detector.coordinated_accounts_
    assert sorted(accounts["author_uid"]) == [f"x:amp{k}" for k in range(6)]
    assert (accounts["reasons"] == "co-repost").all()


def test_fresh_account_share_is_exact():
    ages = [3, 10, 400, 900, 1200]  # days: two fresh, three old
    bots = [
        post(f"b{k}", f"bot{k}", k, VARIANTS[k], age_days=ages[k], followers=k) for k in range(5)
    ]
    detector = CoordinationDetector().fit(frame(bots + background(45)))
    scores = detector.movement_scores_.set_index("movement_id").loc["m1"]
    assert scores["fresh_account_share"] == pytest.approx(2 / 5)
    share = 5 / 50
    assert scores["coordination"] == pytest.approx(1 - (1 - share) ** (1 + 2 / 5))
    reasons = detector.coordinated_accounts_.set_index("author_uid")["reasons"]
    assert reasons["x:bot0"] == "co-post,fresh,low-followers"
    assert reasons["x:bot2"] == "co-post,low-followers"
    assert detector.groups_.loc[0, "fresh_share"] == pytest.approx(0.4)


def test_every_movement_is_scored_and_groups_span_movements():
    bots = [
        post(f"b{k}", f"bot{k}", k, VARIANTS[k], movement="m1" if k < 3 else "m2", age_days=5)
        for k in range(5)
    ]
    quiet = background(20, movement="m3", seed=2)
    detector = CoordinationDetector().fit(frame(bots + background(10) + quiet))
    scores = detector.movement_scores_.set_index("movement_id")
    assert list(scores.index) == ["m1", "m2", "m3"]
    assert scores.loc["m1", "coordinated_accounts"] == 3
    assert scores.loc["m2", "coordinated_accounts"] == 2
    assert scores.loc["m3"].tolist() == [0.0, 0, 0, 0, 0.0]
    assert detector.coordinated_accounts_["group"].nunique() == 1


def test_results_are_deterministic_for_a_seed():
    bots = [post(f"b{k}", f"bot{k}", 2 * k, VARIANTS[k], age_days=5) for k in range(5)]
    window = frame(bots + background())
    first = CoordinationDetector(random_state=3).fit(window)
    second = CoordinationDetector(random_state=3).fit(window.sample(frac=1.0, random_state=0))
    assert len(first.coordinated_accounts_) == 5
    pd.testing.assert_frame_equal(first.coordinated_accounts_, second.coordinated_accounts_)
    pd.testing.assert_frame_equal(first.movement_scores_, second.movement_scores_)
    texts = normalize_text(window["text"])
    assert np.array_equal(
        minhash_signatures(texts, random_state=3), minhash_signatures(texts, random_state=3)
    )
    assert not np.array_equal(
        minhash_signatures(texts, random_state=3), minhash_signatures(texts, random_state=4)
    )


def test_minhash_estimates_jaccard():
    a = normalize_text(pd.Series([SENTENCE]))[0]
    b = a.replace("injuste", "inique")

    def shingles(text):
        return {text[i : i + 5] for i in range(len(text) - 4)}

    exact = len(shingles(a) & shingles(b)) / len(shingles(a) | shingles(b))
    signatures = minhash_signatures(pd.Series([a, b]), num_perm=512, random_state=0)
    assert (signatures[0] == signatures[1]).mean() == pytest.approx(exact, abs=0.06)


def test_normalisation_and_banding():
    assert normalize_text(pd.Series(["RT @Bob: Les  #Pigeons http://t.co/x ", None])).tolist() == [
        "les pigeons",
        "",
    ]
    assert normalize_url(
        pd.Series(["https://www.LeMonde.fr/a/?utm_source=tw&x=1#top"])
    ).tolist() == ["lemonde.fr/a/?x=1"]
    bands, rows = lsh_bands(64, 0.8)
    assert (bands, rows) == (12, 5)
    assert 1 - (1 - 0.8**rows) ** bands >= 0.99


def test_empty_window():
    detector = CoordinationDetector().fit(frame([]))
    assert detector.movement_scores_.empty
    assert list(detector.movement_scores_.columns) == [
        "movement_id",
        "coordination",
        "coordinated_accounts",
        "coordinated_posts",
        "co_post_groups",
        "fresh_account_share",
    ]
    assert list(detector.coordinated_accounts_.columns) == [
        "movement_id",
        "author_uid",
        "group",
        "reasons",
        "score",
    ]


def test_clone_and_params_round_trip():
    detector = CoordinationDetector(window_minutes=10, min_similarity=0.9, random_state=5)
    assert clone(detector).get_params() == detector.get_params()
    check_no_attributes_set_in_init("CoordinationDetector", CoordinationDetector())
    check_get_params_invariance("CoordinationDetector", CoordinationDetector())
    check_set_params("CoordinationDetector", CoordinationDetector())
    check_parameters_default_constructible("CoordinationDetector", CoordinationDetector())
