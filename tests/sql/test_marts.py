"""Every mart view, given hand-built table rows, returns exactly the expected rows."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from pipeline.database import SQL_DIR, apply_views
from tests.conftest import truncate_all
from tests.sql.rows import (
    HOUR,
    T0,
    alert_row,
    author_row,
    hashtag_row,
    ingest_run_row,
    insert,
    insert_posts,
    movement_row,
    post_row,
    select,
    window_row,
)

pytestmark = pytest.mark.db

T1 = T0 + HOUR
T2 = T0 + 2 * HOUR
MINUTE = timedelta(minutes=1)

TESTED = {
    "mart_alerts",
    "mart_coordinated_accounts",
    "mart_detect_runs",
    "mart_emerging_opposition",
    "mart_ingest_health",
    "mart_movement_authors",
    "mart_movement_communities",
    "mart_movement_hashtags",
    "mart_movement_lineage",
    "mart_movement_timeline",
    "mart_movements",
}


@pytest.fixture(autouse=True)
def _empty(engine):
    truncate_all(engine)


def test_every_mart_view_has_a_test_here():
    assert {p.stem for p in (SQL_DIR / "views").glob("mart_*.sql")} == TESTED


def _two_movements(conn):
    """mv-a rises at T0 and keeps going at T1; mv-b appears at T1, coordinated."""
    insert(
        conn,
        "movements",
        [
            movement_row(
                "mv-a", "#geonpi #Pigeons", first_seen=T0, last_seen=T1, status="growing",
                peak_posts=60, peak_at=T1,
            ),
            movement_row(
                "mv-b", "#retraites", first_seen=T1, last_seen=T1, parent_ids=["mv-old"],
                peak_posts=20, peak_at=T1,
            ),
        ],
    )  # fmt: skip
    insert(
        conn,
        "movement_windows",
        [
            window_row("mv-a", T0, rank=1, score=0.5),
            window_row("mv-a", T1, rank=2, score=0.25, status="growing", posts=60),
            window_row(
                "mv-b", T1, rank=1, score=0.5, posts=20, authors=6, new_authors=6,
                coordination=0.5, grassroots=0.25, institutional_share=0.5,
            ),
        ],
    )  # fmt: skip
    insert(
        conn,
        "movement_hashtags",
        [
            hashtag_row("mv-a", T0, "geonpi", 40),
            hashtag_row("mv-a", T1, "geonpi", 45),
            hashtag_row("mv-a", T1, "Pigeons", 30),
            hashtag_row("mv-b", T1, "retraites", 20),
        ],
    )
    insert(conn, "alerts", [alert_row("mv-a", T0)])
    insert(
        conn,
        "detect_runs",
        [
            {"window_end": T0, "status": "done", "finished_at": T0 + MINUTE, "seconds": 30.0},
            {"window_end": T1, "status": "done", "finished_at": T1 + MINUTE, "seconds": 30.0},
        ],
    )


# --- mart_emerging_opposition --------------------------------------------------------


def test_emerging_opposition_ranks_the_movements_of_the_latest_window(engine):
    with engine.begin() as conn:
        _two_movements(conn)
    with engine.connect() as conn:
        rows = select(conn, "SELECT * FROM mart_emerging_opposition")
    common = {
        "window_end": T1, "expected": 4.0, "growth": 10.0, "surprise": 12.0,
        "acceleration": 2.0, "burst": 1.0, "new_author_share": 0.5, "emergence": 0.75,
        "opposition": 0.75, "n_against": 30, "n_favour": 2, "n_none": 8,
    }  # fmt: skip
    assert rows == [
        common | {
            "rank": 1, "movement_id": "mv-b", "label": "#retraites", "hashtags": ["retraites"],
            "score": 0.5, "status": "emerging", "first_seen": T1, "posts": 20, "authors": 6,
            "new_authors": 6, "grassroots": 0.25, "coordination": 0.5, "coordinated": True,
            "alerted_at": None, "institutional_share": 0.5, "grassroots_led": False,
            "parent_ids": ["mv-old"], "peak_posts": 20, "peak_at": T1, "alerts": 0,
        },
        common | {
            "rank": 2, "movement_id": "mv-a", "label": "#geonpi #Pigeons",
            "hashtags": ["geonpi", "Pigeons"], "score": 0.25, "status": "growing",
            "first_seen": T0, "posts": 60, "authors": 20, "new_authors": 10,
            "grassroots": 0.75, "coordination": 0.0, "coordinated": False, "alerted_at": T0,
            "institutional_share": 0.0, "grassroots_led": True, "parent_ids": [],
            "peak_posts": 60, "peak_at": T1, "alerts": 1,
        },
    ]  # fmt: skip


def test_a_finished_window_without_movements_empties_emerging_opposition(engine):
    with engine.begin() as conn:
        _two_movements(conn)
        insert(conn, "detect_runs", [{"window_end": T2, "status": "done"}])
    with engine.connect() as conn:
        assert select(conn, "SELECT * FROM mart_emerging_opposition") == []


def test_a_failed_or_running_window_leaves_the_last_finished_one_current(engine):
    with engine.begin() as conn:
        _two_movements(conn)
        insert(
            conn,
            "detect_runs",
            [{"window_end": T2, "status": "failed"}, {"window_end": T2, "status": "running"}],
        )
    with engine.connect() as conn:
        rows = select(conn, "SELECT window_end, movement_id FROM mart_emerging_opposition")
    assert rows == [
        {"window_end": T1, "movement_id": "mv-b"},
        {"window_end": T1, "movement_id": "mv-a"},
    ]


# --- mart_movement_timeline ----------------------------------------------------------


def test_timeline_has_every_window_of_a_movement_and_marks_alerts(engine):
    with engine.begin() as conn:
        _two_movements(conn)
    with engine.connect() as conn:
        rows = select(
            conn,
            "SELECT * FROM mart_movement_timeline WHERE movement_id = 'mv-a' ORDER BY window_end",
        )
    common = {
        "movement_id": "mv-a", "label": "#geonpi #Pigeons", "authors": 20, "new_authors": 10,
        "growth": 10.0, "emergence": 0.75, "opposition": 0.75, "grassroots": 0.75,
        "coordination": 0.0, "expected": 4.0, "surprise": 12.0, "acceleration": 2.0,
        "burst": 1.0, "new_author_share": 0.5, "n_against": 30, "n_favour": 2, "n_none": 8,
        "institutional_share": 0.0, "coordinated": False, "grassroots_led": True,
    }  # fmt: skip
    assert rows == [
        common | {"window_end": T0, "posts": 40, "score": 0.5, "rank": 1,
                  "status": "emerging", "alert_fired": True},
        common | {"window_end": T1, "posts": 60, "score": 0.25, "rank": 2,
                  "status": "growing", "alert_fired": False},
    ]  # fmt: skip


# --- mart_movements ------------------------------------------------------------------


def test_movements_summarise_each_movement_over_all_windows(engine):
    with engine.begin() as conn:
        _two_movements(conn)
        insert(conn, "alerts", [alert_row("mv-a", T1, episode=2)])
    with engine.connect() as conn:
        rows = select(conn, "SELECT * FROM mart_movements ORDER BY movement_id")
    assert rows == [
        {
            "movement_id": "mv-a", "label": "#geonpi #Pigeons", "status": "growing",
            "first_seen": T0, "last_seen": T1, "peak_posts": 60, "peak_at": T1,
            "parent_ids": [], "windows": 2, "best_rank": 1, "max_score": 0.5, "alerts": 2,
            "first_alert_at": T0, "last_alert_at": T1,
        },
        {
            "movement_id": "mv-b", "label": "#retraites", "status": "emerging",
            "first_seen": T1, "last_seen": T1, "peak_posts": 20, "peak_at": T1,
            "parent_ids": ["mv-old"], "windows": 1, "best_rank": 1, "max_score": 0.5,
            "alerts": 0, "first_alert_at": None, "last_alert_at": None,
        },
    ]  # fmt: skip


# --- mart_movement_hashtags ----------------------------------------------------------


def test_hashtags_are_ranked_with_their_share_and_first_window(engine):
    with engine.begin() as conn:
        _two_movements(conn)
    with engine.connect() as conn:
        rows = select(
            conn,
            "SELECT * FROM mart_movement_hashtags WHERE movement_id = 'mv-a' "
            "ORDER BY window_end, tag_rank",
        )
    assert rows == [
        {"movement_id": "mv-a", "window_end": T0, "tag_norm": "geonpi", "tag": "geonpi",
         "posts": 40, "authors": 20, "tag_rank": 1, "share": 1.0, "first_window_end": T0},
        {"movement_id": "mv-a", "window_end": T1, "tag_norm": "geonpi", "tag": "geonpi",
         "posts": 45, "authors": 22, "tag_rank": 1, "share": 0.75, "first_window_end": T0},
        {"movement_id": "mv-a", "window_end": T1, "tag_norm": "pigeons", "tag": "Pigeons",
         "posts": 30, "authors": 15, "tag_rank": 2, "share": 0.5, "first_window_end": T1},
    ]  # fmt: skip


# --- mart_movement_communities -------------------------------------------------------


def test_communities_are_ranked_by_posts_within_a_window(engine):
    with engine.begin() as conn:
        _two_movements(conn)
        insert(
            conn,
            "movement_communities",
            [
                {"window_end": T1, "movement_id": "mv-a", "community": -1, "authors": 9,
                 "posts": 15, "share": 0.25},
                {"window_end": T1, "movement_id": "mv-a", "community": 0, "authors": 8,
                 "posts": 30, "share": 0.5},
                {"window_end": T1, "movement_id": "mv-a", "community": 3, "authors": 3,
                 "posts": 15, "share": 0.25},
            ],
        )  # fmt: skip
    with engine.connect() as conn:
        rows = select(conn, "SELECT * FROM mart_movement_communities ORDER BY community_rank")
    assert rows == [
        {"movement_id": "mv-a", "window_end": T1, "community": 0, "authors": 8, "posts": 30,
         "share": 0.5, "community_rank": 1},
        {"movement_id": "mv-a", "window_end": T1, "community": -1, "authors": 9, "posts": 15,
         "share": 0.25, "community_rank": 2},
        {"movement_id": "mv-a", "window_end": T1, "community": 3, "authors": 3, "posts": 15,
         "share": 0.25, "community_rank": 3},
    ]  # fmt: skip


# --- mart_movement_lineage -----------------------------------------------------------


def test_lineage_names_both_movements_even_when_the_related_one_is_gone(engine):
    with engine.begin() as conn:
        _two_movements(conn)
        insert(
            conn,
            "movement_lineage",
            [
                {"window_end": T1, "movement_id": "mv-b", "related_id": "mv-a",
                 "kind": "split_from", "similarity": 0.5},
                {"window_end": T1, "movement_id": "mv-b", "related_id": "mv-old",
                 "kind": "merged_from", "similarity": 0.25},
            ],
        )  # fmt: skip
    with engine.connect() as conn:
        rows = select(conn, "SELECT * FROM mart_movement_lineage ORDER BY related_id")
    assert rows == [
        {"movement_id": "mv-b", "label": "#retraites", "window_end": T1, "kind": "split_from",
         "related_id": "mv-a", "related_label": "#geonpi #Pigeons", "similarity": 0.5},
        {"movement_id": "mv-b", "label": "#retraites", "window_end": T1, "kind": "merged_from",
         "related_id": "mv-old", "related_label": None, "similarity": 0.25},
    ]  # fmt: skip


# --- mart_movement_authors -----------------------------------------------------------


def test_movement_authors_lists_accounts_in_order_of_arrival(engine):
    with engine.begin() as conn:
        _two_movements(conn)
        insert(
            conn,
            "movement_authors",
            [
                # x:1 is kept in both windows; its earliest post is the T0 window's
                author_row("mv-a", T0, "x:1", posts=4, first_post_at=T0 - 20 * HOUR,
                           community=2),
                author_row("mv-a", T1, "x:1", posts=6, first_post_at=T0 - 18 * HOUR,
                           community=5),
                author_row("mv-a", T1, "x:2", posts=2, first_post_at=T0 - 2 * HOUR,
                           community=None),
                # same first post as x:2: ties go by author_uid
                author_row("mv-a", T1, "x:3", posts=1, first_post_at=T0 - 2 * HOUR),
                author_row("mv-b", T1, "x:1", posts=1, first_post_at=T1 - HOUR),
            ],
        )  # fmt: skip
        insert(
            conn,
            "coordinated_accounts",
            [
                {"window_end": T0, "movement_id": "mv-a", "author_uid": "x:2", "grp": 0,
                 "reasons": "co-link", "score": 0.5},
                {"window_end": T1, "movement_id": "mv-a", "author_uid": "x:2", "grp": 1,
                 "reasons": "co-post,fresh", "score": 0.75},
            ],
        )  # fmt: skip
    with engine.connect() as conn:
        rows = select(
            conn,
            "SELECT * FROM mart_movement_authors WHERE movement_id = 'mv-a' ORDER BY arrival_rank",
        )
    base = {"movement_id": "mv-a", "label": "#geonpi #Pigeons"}
    assert rows == [
        base | {"author_uid": "x:1", "arrival_rank": 1, "first_post_at": T0 - 20 * HOUR,
                "since_first_post": timedelta(0), "first_window_end": T0,
                "last_window_end": T1, "windows": 2, "max_window_posts": 6,
                "latest_community": 5, "coordinated": False, "coordination_reasons": None},
        base | {"author_uid": "x:2", "arrival_rank": 2, "first_post_at": T0 - 2 * HOUR,
                "since_first_post": timedelta(hours=18), "first_window_end": T1,
                "last_window_end": T1, "windows": 1, "max_window_posts": 2,
                "latest_community": None, "coordinated": True,
                "coordination_reasons": ["co-post", "fresh"]},
        base | {"author_uid": "x:3", "arrival_rank": 3, "first_post_at": T0 - 2 * HOUR,
                "since_first_post": timedelta(hours=18), "first_window_end": T1,
                "last_window_end": T1, "windows": 1, "max_window_posts": 1,
                "latest_community": 0, "coordinated": False, "coordination_reasons": None},
    ]  # fmt: skip


# --- mart_coordinated_accounts -------------------------------------------------------


def test_coordinated_accounts_carry_their_group_size_and_reasons(engine):
    with engine.begin() as conn:
        _two_movements(conn)
        insert(
            conn,
            "coordinated_accounts",
            [
                {"window_end": T1, "movement_id": "mv-b", "author_uid": "x:7", "grp": 0,
                 "reasons": "co-post,co-link", "score": 1.0},
                {"window_end": T1, "movement_id": "mv-b", "author_uid": "x:8", "grp": 0,
                 "reasons": "co-post", "score": 0.75},
                {"window_end": T1, "movement_id": "mv-b", "author_uid": "x:9", "grp": 1,
                 "reasons": "", "score": 0.25},
            ],
        )  # fmt: skip
    with engine.connect() as conn:
        rows = select(conn, "SELECT * FROM mart_coordinated_accounts ORDER BY author_uid")
    base = {"movement_id": "mv-b", "label": "#retraites", "window_end": T1,
            "movement_coordination": 0.5}  # fmt: skip
    assert rows == [
        base | {"author_uid": "x:7", "group_id": 0, "group_size": 2,
                "reasons": ["co-post", "co-link"], "score": 1.0},
        base | {"author_uid": "x:8", "group_id": 0, "group_size": 2, "reasons": ["co-post"],
                "score": 0.75},
        base | {"author_uid": "x:9", "group_id": 1, "group_size": 1, "reasons": None,
                "score": 0.25},
    ]  # fmt: skip


# --- mart_alerts ---------------------------------------------------------------------

ALERT_FIGURES = {
    "posts": 40, "authors": 20, "new_authors": 10, "expected": 4.0, "growth": 10.0,
    "surprise": 12.0, "emergence": 0.75, "opposition": 0.75, "grassroots": 0.75,
    "coordination": 0.0, "n_against": 30, "n_favour": 2, "n_none": 8, "coordinated": False,
    "coordinated_accounts": 0,
}  # fmt: skip


def test_alerts_explain_why_they_fired_without_sample_posts(engine):
    with engine.begin() as conn:
        _two_movements(conn)
    with engine.connect() as conn:
        rows = select(conn, "SELECT * FROM mart_alerts")
        tracked = conn.scalar(sa.text("SELECT to_regclass('alert_deliveries') IS NOT NULL"))
    evidence = alert_row("mv-a", T0)["evidence"]
    del evidence["sample_posts"]
    assert rows == [
        ALERT_FIGURES | {
            "alert_id": 1, "movement_id": "mv-a", "label": "#geonpi #Pigeons", "episode": 1,
            "fired_at": T0, "score": 0.5, "rank": 1,
            "reason": "score 0.50: 40 posts vs 4.0 expected", "hashtags": ["geonpi", "Pigeons"],
            "sample_posts": 1, "evidence": evidence,
            "delivery_state": "none" if tracked else "not_tracked",
            "deliveries": 0, "delivered_at": None, "delivery_details": [],
        }
    ]  # fmt: skip


def test_alerts_tolerate_evidence_with_missing_keys(engine):
    with engine.begin() as conn:
        _two_movements(conn)
        insert(conn, "alerts", [alert_row("mv-b", T1, evidence={"hashtags": "not a list"})])
    with engine.connect() as conn:
        rows = select(
            conn,
            "SELECT hashtags, posts, growth, n_against, sample_posts, evidence "
            "FROM mart_alerts WHERE movement_id = 'mv-b'",
        )
    assert rows == [
        {"hashtags": [], "posts": None, "growth": None, "n_against": None, "sample_posts": 0,
         "evidence": {"hashtags": "not a list"}}
    ]  # fmt: skip


@pytest.fixture(params=["episode", "alert_id"])
def alert_deliveries(engine, request):
    """A stand-in ``alert_deliveries`` table keyed by (movement_id, episode) like the
    real one, or by alert_id; the real table, if any, is set aside meanwhile."""
    key = (
        "movement_id text NOT NULL, episode integer NOT NULL"
        if request.param == "episode"
        else "alert_id bigint NOT NULL"
    )
    with engine.begin() as conn:
        real = conn.scalar(sa.text("SELECT to_regclass('alert_deliveries') IS NOT NULL"))
        if real:
            conn.exec_driver_sql("ALTER TABLE alert_deliveries RENAME TO alert_deliveries_real")
        conn.exec_driver_sql(
            f"CREATE TABLE alert_deliveries ({key}, destination text NOT NULL, "
            "channel text NOT NULL, target_url text, status text, attempts integer, "
            "created_at timestamptz, delivered_at timestamptz, last_error text)"
        )
    apply_views(engine)
    yield request.param
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE alert_deliveries CASCADE")
        if real:
            conn.exec_driver_sql("ALTER TABLE alert_deliveries_real RENAME TO alert_deliveries")
    apply_views(engine)


def test_alerts_show_their_delivery_state_when_deliveries_are_tracked(engine, alert_deliveries):
    with engine.begin() as conn:
        _two_movements(conn)
        insert(
            conn,
            "alerts",
            [alert_row("mv-a", T0 + n * HOUR, episode=n + 1) for n in range(1, 5)],
        )  # alert_id n is episode n of mv-a

        def delivery(alert_id, channel, status, delivered_at=None, error=None):
            key = (
                {"alert_id": alert_id}
                if alert_deliveries == "alert_id"
                else {"movement_id": "mv-a", "episode": alert_id}
            )
            return key | {
                "destination": f"{channel}:ops@example.org", "channel": channel,
                "target_url": "https://hooks.example/T0KEN", "status": status, "attempts": 1,
                "created_at": T0, "delivered_at": delivered_at, "last_error": error,
            }  # fmt: skip

        insert(
            conn,
            "alert_deliveries",
            [
                delivery(1, "email", "delivered", T0 + MINUTE),
                delivery(1, "webhook", "delivered", T0 + 2 * MINUTE),
                delivery(2, "email", "delivered", T1 + MINUTE),
                delivery(2, "webhook", "failed", error="HTTP 500"),
                delivery(3, "webhook", "failed", error="HTTP 500"),
                delivery(4, "email", "pending"),
            ],
        )
    with engine.connect() as conn:
        rows = select(
            conn,
            "SELECT alert_id, delivery_state, deliveries, delivered_at FROM mart_alerts "
            "ORDER BY alert_id",
        )
        details = conn.scalar(
            sa.text("SELECT delivery_details FROM mart_alerts WHERE alert_id = 2")
        )
    assert rows == [
        {"alert_id": 1, "delivery_state": "delivered", "deliveries": 2,
         "delivered_at": T0 + 2 * MINUTE},
        {"alert_id": 2, "delivery_state": "partial", "deliveries": 2,
         "delivered_at": T1 + MINUTE},
        {"alert_id": 3, "delivery_state": "failed", "deliveries": 1, "delivered_at": None},
        {"alert_id": 4, "delivery_state": "pending", "deliveries": 1, "delivered_at": None},
        {"alert_id": 5, "delivery_state": "none", "deliveries": 0, "delivered_at": None},
    ]  # fmt: skip
    # destinations (recipients, webhook URLs) are never exposed
    assert details == [
        {"channel": "email", "status": "delivered", "attempts": 1,
         "created_at": "2012-10-01T12:00:00+00:00",
         "delivered_at": "2012-10-01T13:01:00+00:00", "last_error": None},
        {"channel": "webhook", "status": "failed", "attempts": 1,
         "created_at": "2012-10-01T12:00:00+00:00", "delivered_at": None,
         "last_error": "HTTP 500"},
    ]  # fmt: skip


def test_alerts_read_the_real_delivery_table(engine):
    """With the schema's own alert_deliveries (migration 0004), states are tracked."""
    with engine.begin() as conn:
        if conn.scalar(sa.text("SELECT to_regclass('alert_deliveries') IS NULL")):
            pytest.skip("alert_deliveries is not in the schema")
        _two_movements(conn)
        conn.exec_driver_sql(
            "INSERT INTO alert_deliveries (movement_id, episode, destination, channel) "
            "VALUES ('mv-a', 1, 'webhook:hooks.example#1a2b', 'webhook')"
        )
    with engine.connect() as conn:
        rows = select(conn, "SELECT alert_id, delivery_state, deliveries FROM mart_alerts")
    assert rows == [{"alert_id": 1, "delivery_state": "pending", "deliveries": 1}]


# --- mart_ingest_health --------------------------------------------------------------


def test_ingest_health_adds_up_each_source_hour_with_its_lag(engine):
    runs = [
        ingest_run_row("live:mastodon", T0, finished_at=T0 + 5 * MINUTE),
        ingest_run_row(
            "live:mastodon", T0 + 30 * MINUTE, finished_at=T0 + 32 * MINUTE, n_read=20,
            n_loaded=15, n_duplicate=5, n_rejected=0, n_hashtags=1, n_interactions=0,
        ),
        ingest_run_row(
            "live:mastodon", T0 + 40 * MINUTE, status="failed", finished_at=T0 + 41 * MINUTE,
            n_read=0, n_loaded=0, n_duplicate=0, n_rejected=0, error="HTTP 503",
        ),
        # next hour: everything was a duplicate, no post loaded
        ingest_run_row(
            "live:mastodon", T1, finished_at=T1 + MINUTE, n_read=5, n_loaded=0,
            n_duplicate=5, n_rejected=0,
        ),
        # still running: counted in the hour it started in
        ingest_run_row(
            "data/b.jsonl", T0 + 50 * MINUTE, format="csv", status="running",
            finished_at=None, n_read=0, n_loaded=0, n_duplicate=0, n_rejected=0,
        ),
    ]  # fmt: skip
    with engine.begin() as conn:
        insert(conn, "ingest_runs", runs)
        insert_posts(
            conn,
            [
                post_row("x:1", T0 - 30 * MINUTE, 1),
                post_row("x:2", T0 - 10 * MINUTE, 1),  # run 1: lag 15 min
                post_row("x:3", T0 + 20 * MINUTE, 2),  # run 2: lag 12 min
            ],
        )
    with engine.connect() as conn:
        conn.exec_driver_sql("SET TimeZone = 'Asia/Kolkata'")  # hours stay UTC hours
        rows = select(conn, "SELECT * FROM mart_ingest_health ORDER BY source, hour")
    assert rows == [
        {
            "source": "data/b.jsonl", "hour": T0, "format": "csv", "runs": 1, "runs_done": 0,
            "runs_failed": 0, "runs_running": 1, "n_read": 0, "n_loaded": 0,
            "n_duplicate": 0, "n_rejected": 0, "duplicate_share": None,
            "rejected_share": None, "n_hashtags": 0, "n_interactions": 0,
            "load_seconds": None, "newest_post_at": None, "last_load_at": None, "lag": None,
            "max_run_lag": None, "last_error": None,
        },
        {
            "source": "live:mastodon", "hour": T0, "format": "x_v2", "runs": 3, "runs_done": 2,
            "runs_failed": 1, "runs_running": 0, "n_read": 30, "n_loaded": 23,
            "n_duplicate": 6, "n_rejected": 1, "duplicate_share": 0.2,
            "rejected_share": 1 / 30, "n_hashtags": 13, "n_interactions": 5,
            "load_seconds": 420.0, "newest_post_at": T0 + 20 * MINUTE,
            "last_load_at": T0 + 32 * MINUTE, "lag": 12 * MINUTE,
            "max_run_lag": 15 * MINUTE, "last_error": "HTTP 503",
        },
        {
            "source": "live:mastodon", "hour": T1, "format": "x_v2", "runs": 1, "runs_done": 1,
            "runs_failed": 0, "runs_running": 0, "n_read": 5, "n_loaded": 0,
            "n_duplicate": 5, "n_rejected": 0, "duplicate_share": 1.0,
            "rejected_share": 0.0, "n_hashtags": 12, "n_interactions": 5,
            "load_seconds": 60.0, "newest_post_at": None, "last_load_at": None, "lag": None,
            "max_run_lag": None, "last_error": None,
        },
    ]  # fmt: skip


# --- mart_detect_runs ----------------------------------------------------------------


def test_detect_runs_list_every_run_with_its_outcome(engine):
    with engine.begin() as conn:
        insert(
            conn,
            "detect_runs",
            [
                {"window_end": T0, "status": "done", "started_at": T0, "finished_at": T0 + MINUTE,
                 "seconds": 60.0, "params": {"window_hours": 24}, "n_posts": 100,
                 "n_clusters": 4, "n_movements": 2, "n_alerts": 1},
                {"window_end": T1, "status": "failed", "started_at": T1,
                 "finished_at": T1 + MINUTE, "params": {}, "error": "out of memory"},
            ],
        )  # fmt: skip
    with engine.connect() as conn:
        rows = select(conn, "SELECT * FROM mart_detect_runs ORDER BY detect_run_id")
    assert rows == [
        {"detect_run_id": 1, "window_end": T0, "status": "done", "started_at": T0,
         "finished_at": T0 + MINUTE, "seconds": 60.0, "n_posts": 100, "n_clusters": 4,
         "n_movements": 2, "n_alerts": 1, "error": None, "params": {"window_hours": 24}},
        {"detect_run_id": 2, "window_end": T1, "status": "failed", "started_at": T1,
         "finished_at": T1 + MINUTE, "seconds": None, "n_posts": None, "n_clusters": None,
         "n_movements": None, "n_alerts": None, "error": "out of memory", "params": {}},
    ]  # fmt: skip
