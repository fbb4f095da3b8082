"""MovementTracker and lifecycle_status: stable ids, lineage and life stages."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.utils.estimator_checks import (
    check_do_not_raise_errors_in_init_or_set_params,
    check_get_params_invariance,
    check_no_attributes_set_in_init,
    check_parameters_default_constructible,
    check_set_params,
)

from models.tracking import LIFECYCLE_STATUSES, MovementTracker, TrackingResult, lifecycle_status

pytestmark = pytest.mark.unit

WINDOW_END = pd.Timestamp("2012-10-01 15:00", tz="UTC")


def movements(spec: dict[str, tuple[dict[str, float], list[str]]], key: str = "movement_id"):
    """``(tags, authors)`` frames from ``{id: ({tag: weight}, [authors])}``."""
    tags = pd.DataFrame(
        [
            (owner, tag, weight)
            for owner, (weights, _) in spec.items()
            for tag, weight in weights.items()
        ],
        columns=[key, "tag_norm", "weight"],
    )
    authors = pd.DataFrame(
        [(owner, author) for owner, (_, names) in spec.items() for author in names],
        columns=[key, "author_uid"],
    )
    return tags, authors


def match(previous: dict, current: dict, tracker: MovementTracker | None = None) -> TrackingResult:
    prev_tags, prev_authors = movements(previous)
    cur_tags, cur_authors = movements(current, key="cluster")
    return (tracker or MovementTracker()).match(
        prev_tags, prev_authors, cur_tags, cur_authors, WINDOW_END
    )


def uniform(tags: list[str]) -> dict[str, float]:
    return dict.fromkeys(tags, 1.0)


def assigned(result: TrackingResult) -> dict[int, str]:
    return result.assignments.set_index("cluster")["movement_id"].to_dict()


PIGEONS = (uniform(["pigeons", "geonpi", "plf2013"]), ["u1", "u2", "u3"])
RETRAITES = (uniform(["retraites", "greve"]), ["r1", "r2"])


def test_identical_clusters_keep_their_ids():
    result = match(
        {"mv-pigeons": PIGEONS, "mv-retraites": RETRAITES},
        {0: PIGEONS, 1: RETRAITES},
    )
    assert assigned(result) == {0: "mv-pigeons", 1: "mv-retraites"}
    assert result.assignments["is_new"].tolist() == [False, False]
    assert result.assignments["similarity"].tolist() == pytest.approx([1.0, 1.0])
    assert result.lineage.empty
    assert list(result.assignments.columns) == ["cluster", "movement_id", "is_new", "similarity"]
    assert list(result.lineage.columns) == ["movement_id", "related_id", "kind", "similarity"]


def test_volume_change_with_the_same_tag_mix_keeps_similarity_one():
    doubled = ({tag: 2.0 for tag in PIGEONS[0]}, PIGEONS[1])
    result = match({"mv-pigeons": PIGEONS}, {0: doubled})
    assert result.assignments["similarity"].tolist() == pytest.approx([1.0])


def test_a_shifted_cluster_with_70_percent_of_its_tags_keeps_its_id():
    old_tags = [f"t{i}" for i in range(10)]
    new_tags = [*old_tags[:7], "n7", "n8", "n9"]
    old_authors = [f"u{i}" for i in range(10)]
    new_authors = [*old_authors[:7], "v7", "v8", "v9"]
    result = match(
        {"mv-a": (uniform(old_tags), old_authors)}, {4: (uniform(new_tags), new_authors)}
    )

    assert assigned(result) == {4: "mv-a"}
    # Weighted Jaccard 0.7 / 1.3 and author Jaccard 7 / 13.
    assert result.assignments["similarity"].iloc[0] == pytest.approx(0.6 * 7 / 13 + 0.4 * 7 / 13)


def test_an_unrelated_cluster_gets_a_new_id_of_the_right_format():
    result = match({"mv-pigeons": PIGEONS}, {0: PIGEONS, 3: RETRAITES})

    new = result.assignments.set_index("cluster").loc[3]
    assert new["movement_id"] == "mv-2012100115-003"
    assert re.fullmatch(r"mv-\d{10}-\d{3}", new["movement_id"])
    assert bool(new["is_new"])
    assert pd.isna(new["similarity"])


def test_first_window_makes_every_cluster_new():
    result = match({}, {0: PIGEONS, 1: RETRAITES})
    assert assigned(result) == {0: "mv-2012100115-000", 1: "mv-2012100115-001"}
    assert result.assignments["is_new"].all()
    assert result.lineage.empty


def test_window_end_in_another_time_zone_names_by_utc_hour():
    prev_tags, prev_authors = movements({})
    cur_tags, cur_authors = movements({7: PIGEONS}, key="cluster")
    paris = pd.Timestamp("2012-10-01 17:00", tz="Europe/Paris")
    result = MovementTracker().match(prev_tags, prev_authors, cur_tags, cur_authors, paris)
    assert result.assignments["movement_id"].tolist() == ["mv-2012100115-007"]


def test_a_merge_records_merged_from_lineage():
    # Cluster 0 = A's tags (weight 2) + B's tags (weight 1) and both author sets.
    # sim(A, 0) = 0.6 * 0.5 + 0.4 * 0.5 = 0.5; sim(B, 0) = 0.6 * 0.2 + 0.4 * 0.5 = 0.32.
    previous = {
        "mv-a": (uniform(["a", "b", "c"]), ["u1", "u2"]),
        "mv-b": (uniform(["d", "e", "f"]), ["u3", "u4"]),
    }
    merged = ({"a": 2, "b": 2, "c": 2, "d": 1, "e": 1, "f": 1}, ["u1", "u2", "u3", "u4"])
    result = match(previous, {0: merged})

    assert assigned(result) == {0: "mv-a"}
    assert result.assignments["similarity"].tolist() == pytest.approx([0.5])
    assert result.lineage[["movement_id", "related_id", "kind"]].values.tolist() == [
        ["mv-a", "mv-b", "merged_from"]
    ]
    assert result.lineage["similarity"].tolist() == pytest.approx([0.32])


def test_a_split_records_split_from_lineage():
    # A = {a, b, c, d} by u1..u5 splits into {a, b} by u1..u3 and {c, d} by u4, u5.
    # sim(A, 0) = 0.6 / 3 + 0.4 * 3 / 5 = 0.44; sim(A, 1) = 0.6 / 3 + 0.4 * 2 / 5 = 0.36.
    previous = {"mv-a": (uniform(["a", "b", "c", "d"]), ["u1", "u2", "u3", "u4", "u5"])}
    current = {
        0: (uniform(["a", "b"]), ["u1", "u2", "u3"]),
        1: (uniform(["c", "d"]), ["u4", "u5"]),
    }
    result = match(previous, current)

    assert assigned(result) == {0: "mv-a", 1: "mv-2012100115-001"}
    assert result.assignments["similarity"].iloc[0] == pytest.approx(0.44)
    assert result.lineage[["movement_id", "related_id", "kind"]].values.tolist() == [
        ["mv-2012100115-001", "mv-a", "split_from"]
    ]
    assert result.lineage["similarity"].tolist() == pytest.approx([0.36])


def test_weak_overlaps_give_no_lineage():
    previous = {"mv-a": (uniform(["a", "b", "c", "d"]), ["u1", "u2", "u3", "u4", "u5"])}
    current = {0: (uniform(["a", "b"]), ["u1", "u2", "u3"]), 1: (uniform(["d", "z"]), ["u9"])}
    result = match(previous, current)
    # sim(A, 1) = 0.6 * 0.25 / 1.75 < merge_threshold: cluster 1 is new without lineage.
    assert assigned(result)[1] == "mv-2012100115-001"
    assert result.lineage.empty


def test_similarity_table():
    prev_tags, prev_authors = movements({"mv-a": PIGEONS, "mv-b": RETRAITES})
    cur_tags, cur_authors = movements({0: PIGEONS}, key="cluster")
    table = MovementTracker().similarity(prev_tags, prev_authors, cur_tags, cur_authors)
    assert table[["movement_id", "cluster"]].values.tolist() == [["mv-a", 0]]
    assert table[["tag_similarity", "author_similarity", "similarity"]].values.tolist() == [
        [1.0, 1.0, 1.0]
    ]


# ---------------------------------------------------------------- lifecycle_status

NOW = pd.Timestamp("2012-10-05 12:00", tz="UTC")


def history_rows() -> pd.DataFrame:
    hours = [NOW - pd.Timedelta(hours=h) for h in (3, 2, 1, 0)]
    old = NOW - pd.Timedelta(days=4)
    rows = []

    def add(movement, when, posts):
        rows.append((movement, when, posts))

    # emerging: first posts 9 h ago.
    add("new", NOW - pd.Timedelta(hours=9), 2)
    add("new", NOW, 5)
    # growing: 10, 10, 10 then 15 (>= 1.2 * 10).
    add("grow", old, 4)
    for when, posts in zip(hours, (10, 10, 10, 15), strict=True):
        add("grow", when, posts)
    # peaking: max 20 long ago, 18, 18, 18 then 17 (< 21.6 and >= 0.6 * 20).
    add("peak", old, 20)
    for when, posts in zip(hours, (18, 18, 18, 17), strict=True):
        add("peak", when, posts)
    # declining: max 100, then 50, 50, 50 and 40 (< 60).
    add("decl", old, 100)
    for when, posts in zip(hours, (50, 50, 50, 40), strict=True):
        add("decl", when, posts)
    # dormant: a row with 0 posts now, or no row now at all.
    add("dorm", old, 30)
    add("dorm", NOW, 0)
    add("gone", old, 30)
    add("gone", hours[0], 3)
    # revived: silent in the last three windows (no rows), 5 posts now -> growing.
    add("revive", old, 50)
    add("revive", NOW, 5)
    # rows after the current window are ignored.
    add("future", NOW + pd.Timedelta(hours=1), 9)
    add("grow", NOW + pd.Timedelta(hours=1), 0)
    frame = pd.DataFrame(rows, columns=["movement_id", "window_end", "posts"])
    frame["window_end"] = frame["window_end"].astype("datetime64[ns, UTC]")
    return frame


def test_lifecycle_rules_on_a_hand_made_history():
    statuses = lifecycle_status(history_rows(), NOW)
    assert list(statuses.columns) == ["movement_id", "status"]
    assert statuses.set_index("movement_id")["status"].to_dict() == {
        "decl": "declining",
        "dorm": "dormant",
        "gone": "dormant",
        "grow": "growing",
        "new": "emerging",
        "peak": "peaking",
        "revive": "growing",
    }
    assert set(statuses["status"]) <= set(LIFECYCLE_STATUSES)


def test_lifecycle_on_the_very_first_window():
    history = pd.DataFrame({"movement_id": ["a", "b"], "window_end": [NOW, NOW], "posts": [4, 0]})
    statuses = lifecycle_status(history, NOW.tz_convert(None))
    assert statuses["status"].tolist() == ["emerging", "dormant"]


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
    # MovementTracker has no fit (it learns nothing); only parameter handling applies.
    check("MovementTracker", MovementTracker())


def test_clone_round_trips_parameters():
    tracker = MovementTracker(min_similarity=0.5, tag_weight=1.0, author_weight=0.0)
    assert clone(tracker).get_params() == tracker.get_params()
