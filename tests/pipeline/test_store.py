"""COPY loading into real Postgres: idempotent, reconciled, all-or-nothing per file."""

import pytest
import sqlalchemy as sa

from pipeline.sources.base import Record, Rejected
from pipeline.store import ingest_records
from tests.conftest import truncate_all

pytestmark = pytest.mark.db


@pytest.fixture(autouse=True)
def _empty(engine):
    truncate_all(engine)


def records(n=5, start=0, source="a.jsonl"):
    return [
        Record(
            "x",
            str(i),
            f"x:{i % 3}",
            f"2012-10-01T{i % 24:02d}:00:00Z",
            f"post {i} #Pigeons",
            hashtags=["Pigeons", "geonpi"],
            interactions=[(f"x:{(i + 1) % 3}", "repost")],
            urls=["http://ex.fr/a"],
            source=source,
            line=i + 1,
        )
        for i in range(start, start + n)
    ]


def counts(engine):
    with engine.connect() as conn:
        return {
            t: conn.scalar(sa.text(f"SELECT count(*) FROM {t}"))
            for t in ("posts", "post_hashtags", "interactions", "rejected_records")
        }


def test_records_load_with_hashtags_interactions_and_quarantine(engine):
    items = [*records(4), Rejected("a.jsonl", 9, "invalid JSON: x", b"{oops")]
    summary = ingest_records(engine, "a.jsonl", items, format="x_v2", checksum="c1")
    assert (summary.read, summary.loaded, summary.duplicates, summary.rejected) == (5, 4, 0, 1)
    assert counts(engine) == {
        "posts": 4,
        "post_hashtags": 8,
        "interactions": 4,
        "rejected_records": 1,
    }
    with engine.connect() as conn:
        row = conn.execute(sa.text("SELECT source, line, reason, raw FROM rejected_records")).one()
        run = conn.execute(
            sa.text("SELECT status, n_read, n_loaded, n_rejected FROM ingest_runs")
        ).one()
    assert tuple(row) == ("a.jsonl", 9, "invalid JSON: x", "{oops")
    assert tuple(run) == ("done", 5, 4, 1)


def test_same_content_twice_is_a_no_op_and_force_counts_duplicates(engine):
    ingest_records(engine, "a.jsonl", records(4), format="x_v2", checksum="c1")
    again = ingest_records(engine, "a.jsonl", records(4), format="x_v2", checksum="c1")
    assert again.status == "skipped"
    forced = ingest_records(engine, "a.jsonl", records(4), format="x_v2", checksum="c1", force=True)
    assert (forced.read, forced.loaded, forced.duplicates) == (4, 0, 4)
    assert counts(engine)["posts"] == 4


def test_overlapping_files_store_each_post_once(engine):
    ingest_records(engine, "a.jsonl", records(4, 0), format="x_v2", checksum="c1")
    second = ingest_records(
        engine, "b.jsonl", records(4, 2, "b.jsonl"), format="x_v1", checksum="c2"
    )
    assert (second.loaded, second.duplicates) == (2, 2)
    assert counts(engine)["posts"] == 6


def test_duplicates_inside_one_chunk_are_counted(engine):
    items = records(3) + records(3)
    summary = ingest_records(engine, "a.jsonl", items, format="x_v2", checksum="c1", chunk_size=4)
    assert (summary.read, summary.loaded, summary.duplicates) == (6, 3, 3)


def test_a_failure_mid_file_leaves_no_rows_and_a_failed_run(engine):
    def broken():
        yield from records(3)
        raise OSError("disk went away")

    with pytest.raises(OSError):
        ingest_records(engine, "a.jsonl", broken(), format="x_v2", checksum="c1", chunk_size=2)
    assert counts(engine)["posts"] == 0
    with engine.connect() as conn:
        status, error = conn.execute(sa.text("SELECT status, error FROM ingest_runs")).one()
    assert status == "failed" and "disk went away" in error
    rerun = ingest_records(engine, "a.jsonl", records(3), format="x_v2", checksum="c1")
    assert rerun.loaded == 3


def test_posts_land_in_monthly_partitions(engine):
    items = [
        *records(1),
        Record("x", "99", "x:1", "2012-11-03T00:00:00Z", "later", source="a.jsonl", line=99),
    ]
    ingest_records(engine, "a.jsonl", items, format="x_v2", checksum="c1")
    with engine.connect() as conn:
        parts = conn.execute(
            sa.text("SELECT tableoid::regclass::text, count(*) FROM posts GROUP BY 1 ORDER BY 1")
        ).all()
    assert parts == [("posts_p201210", 1), ("posts_p201211", 1)]


def test_sql_looking_text_and_hashtags_are_stored_verbatim(engine):
    nasty = "'); DROP TABLE posts; --"
    item = Record(
        "x", "1", "x:1", "2012-10-01T00:00:00Z", nasty, hashtags=[nasty], source="a", line=1
    )
    ingest_records(engine, "a", [item], format="x_v2", checksum="c1")
    with engine.connect() as conn:
        assert conn.scalar(sa.text("SELECT text FROM posts")) == nasty
        assert conn.scalar(sa.text("SELECT tag FROM post_hashtags")) == nasty
