"""Detect windows end to end on a generated scenario in real Postgres."""

import json

import pandas as pd
import pytest
import sqlalchemy as sa

from pipeline.detect import DetectParams, Models, run_range, run_window
from pipeline.evaluate import evaluate_run, movement_components, replay_alerts
from pipeline.ingest import ingest_paths

pytestmark = pytest.mark.e2e

RESULT_TABLES = {
    "movement_windows": "window_end, movement_id",
    "movement_hashtags": "window_end, movement_id, tag_norm",
    "movement_authors": "window_end, movement_id, author_uid",
    "movement_communities": "window_end, movement_id, community",
    "movement_lineage": "window_end, movement_id, related_id, kind",
    "coordinated_accounts": "window_end, movement_id, author_uid",
    "movements": "movement_id",
}


@pytest.fixture(scope="module")
def models():
    return Models.load()


@pytest.fixture(scope="module")
def truth(scenario_dir):
    return json.loads((scenario_dir / "truth.json").read_text())


@pytest.fixture(scope="module")
def detected(engine, scenario_dir, truth, models):
    """The scenario ingested and detected every 6 hours over its whole span."""
    ingest_paths(engine, [scenario_dir / "posts-*.jsonl"])
    start = pd.Timestamp(truth["start"]) + pd.Timedelta(days=1)
    end = pd.Timestamp(truth["end"])
    results = run_range(engine, start, end, every="6h")
    return results


def snapshot(engine) -> dict:
    with engine.connect() as conn:
        out = {}
        for table, order in RESULT_TABLES.items():
            columns = (
                "*" if table != "movements" else "movement_id, label, first_seen, last_seen, status"
            )
            out[table] = conn.execute(
                sa.text(f"SELECT {columns} FROM {table} ORDER BY {order}")
            ).all()
        out["alerts"] = conn.execute(
            sa.text(
                "SELECT movement_id, episode, fired_at, score, reason FROM alerts ORDER BY 1, 2"
            )
        ).all()
        return out


def test_every_window_is_recorded_as_a_done_run(engine, detected):
    with engine.connect() as conn:
        runs = conn.execute(sa.text("SELECT status, count(*) FROM detect_runs GROUP BY 1")).all()
    assert runs == [("done", len(detected))]
    assert all(r.n_movements > 0 for r in detected)


def test_grassroots_movements_are_alerted_before_their_peak(engine, detected, truth):
    matched = movement_components(engine, truth)
    with engine.connect() as conn:
        alerts = pd.DataFrame(
            conn.execute(sa.text("SELECT movement_id, fired_at FROM alerts")).all()
        )
    alerts = alerts.merge(matched, on="movement_id")
    for component in truth["components"]:
        fired = alerts.loc[alerts["component_id"] == component["id"], "fired_at"]
        if component["kind"] == "grassroots_opposition":
            assert len(fired), f"{component['label']} never alerted"
            assert fired.min() <= pd.Timestamp(component["peak"]) + pd.Timedelta(hours=6)
        elif component["kind"] in ("neutral_spike", "institutional_promotion"):
            assert fired.empty, f"{component['kind']} was alerted as opposition"


def test_coordinated_campaign_is_flagged_coordinated(engine, detected, truth):
    campaign = next(c for c in truth["components"] if c["kind"] == "coordinated_campaign")
    accounts = {f"x:{a}" for a in campaign["accounts"]}
    with engine.connect() as conn:
        flagged = set(conn.scalars(sa.text("SELECT DISTINCT author_uid FROM coordinated_accounts")))
    assert len(flagged & accounts) >= 0.5 * len(accounts)
    assert len(flagged & accounts) >= 0.8 * len(flagged)


def test_rerunning_a_window_gives_the_same_rows(engine, detected, models):
    before = snapshot(engine)
    last = detected[-1].window_end
    run_window(engine, last, models=models)
    assert snapshot(engine) == before


def test_movements_keep_their_id_across_windows(engine, detected, truth):
    with engine.connect() as conn:
        spans = pd.DataFrame(
            conn.execute(
                sa.text("SELECT movement_id, count(*) AS windows FROM movement_windows GROUP BY 1")
            ).all()
        )
    matched = movement_components(engine, truth).merge(spans, on="movement_id")
    grassroots = {c["id"] for c in truth["components"] if c["kind"] == "grassroots_opposition"}
    longest = (
        matched[matched["component_id"].isin(grassroots)].groupby("component_id")["windows"].max()
    )
    assert (longest >= 4).all()


def test_alert_replay_reproduces_the_stored_alerts(engine, detected):
    with engine.connect() as conn:
        windows = pd.DataFrame(
            conn.execute(
                sa.text("SELECT movement_id, window_end, score, posts FROM movement_windows")
            ).all()
        )
        stored = pd.DataFrame(
            conn.execute(
                sa.text("SELECT movement_id, episode, fired_at FROM alerts ORDER BY 1, 2")
            ).all()
        )
        first = conn.scalar(sa.text("SELECT min(created_at) FROM posts"))
    replayed = replay_alerts(windows, DetectParams(), pd.Timestamp(first))
    replayed = replayed.sort_values(["movement_id", "episode"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(replayed, stored, check_dtype=False)


def test_evaluation_reports_every_metric(engine, detected, scenario_dir):
    result = evaluate_run(engine, scenario_dir)
    model = result["model"]
    for key in ("p@1", "p@3", "end p@3", "recall", "recall_before_peak", "coordination_recall"):
        assert 0.0 <= model[key] <= 1.0
    assert set(result["ablations"]) == {
        "full",
        "no emergence",
        "no opposition",
        "no grassroots",
        "no coordination",
    }
    assert result["ablations"]["full"]["alerts"] == model["alerts"]
    assert 0.0 <= result["baseline"]["p@3"] <= 1.0
