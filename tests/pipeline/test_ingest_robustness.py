"""Ingest through ``ingest_paths`` on real Postgres: broken input, duplicates, a killed process.

Every broken record is quarantined in ``rejected_records`` with its reason (or repaired,
when the record is still readable), the rest of its file loads, and each run reconciles:
``read = loaded + duplicates + rejected``. Whole-file problems are one clear
:class:`~pipeline.errors.InputError`. A post seen twice (two files, two formats, a
rerun) is stored once, and a process killed mid-file leaves no row of that file.
"""

from __future__ import annotations

import gzip
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import orjson
import pytest
import sqlalchemy as sa

from pipeline.config import get_settings
from pipeline.errors import InputError
from pipeline.ingest import ingest_paths
from tests.conftest import ROOT, truncate_all

pytestmark = pytest.mark.db

FIXTURES = ROOT / "tests" / "fixtures"
WHEN = "2012-10-01T08:00:00.000Z"
SQL_TAG = "pigeons'); DROP TABLE posts; --"


def tweet(post_id: str, **fields) -> dict:
    body = {"id": post_id, "author_id": "77", "created_at": WHEN, "text": f"post {post_id}"}
    return {**body, **fields}


def page(*tweets: dict) -> bytes:
    users = [{"id": "77", "username": "pigeon77", "created_at": "2011-01-01T00:00:00.000Z"}]
    return orjson.dumps({"data": list(tweets), "includes": {"users": users}}) + b"\n"


def good(n: int) -> bytes:
    """A valid page of two tweets, around each broken line."""
    return page(tweet(f"9{n:03d}1"), tweet(f"9{n:03d}2", entities={"hashtags": [{"tag": "ok"}]}))


# name -> (line, expected): ("rejected", reason fragment) or ("loaded", post_id)
BROKEN: dict[str, tuple[bytes, tuple[str, str]]] = {
    "truncated JSON": (
        b'{"data": [{"id": "101", "author_id": "77", "crea',
        ("rejected", "invalid JSON"),
    ),
    "not an object": (
        b"[1, 2, 3]",
        ("rejected", "not a JSON object"),
    ),
    "unknown shape": (
        b'{"tweet": {"id": "102"}}',
        ("rejected", "not an X v2 tweet"),
    ),
    "data of wrong type": (
        b'{"data": "nope"}',
        ("rejected", "data is not a list"),
    ),
    "tweet of wrong type": (
        page(17)[:-1],
        ("rejected", "tweet is not a JSON object"),
    ),
    "text of wrong type": (
        page(tweet("103", text=42)),
        ("rejected", "text is not a string"),
    ),
    "missing text": (
        page({k: v for k, v in tweet("104").items() if k != "text"}),
        ("rejected", "missing text"),
    ),
    "missing id": (
        page(tweet("", author_id="77")),
        ("rejected", "missing id"),
    ),
    "missing author": (
        page(tweet("105", author_id=None)),
        ("rejected", "missing author"),
    ),
    "missing created_at": (
        page(tweet("106", created_at=None)),
        ("rejected", "created_at missing"),
    ),
    "impossible date": (
        page(tweet("107", created_at="2012-13-45T99:00:00Z")),
        ("rejected", "bad created_at"),
    ),
    "date as words": (
        page(tweet("108", created_at="yesterday")),
        ("rejected", "bad created_at"),
    ),
    "date as a list": (
        page(tweet("109", created_at=["2012"])),
        ("rejected", "bad created_at"),
    ),
    "date in the future": (
        page(tweet("110", created_at="2999-01-01T00:00:00Z")),
        ("rejected", "bad created_at"),
    ),
    "date before 2006": (
        page(tweet("111", created_at="1999-01-01T00:00:00Z")),
        ("rejected", "bad created_at"),
    ),
    "entities of wrong type": (
        page(tweet("112", entities="nope")),
        ("rejected", "unexpected tweet structure"),
    ),
    "hashtag without tag": (
        page(tweet("113", entities={"hashtags": [{"start": 0}]})),
        ("rejected", "unexpected tweet structure"),
    ),
    "references of wrong type": (
        page(tweet("114", referenced_tweets="x")),
        ("rejected", "unexpected tweet structure"),
    ),
    "invalid UTF-8": (
        page(tweet("115", text="caf@@")).replace(b"@@", b"\xe9"),
        ("loaded", "115"),
    ),
    "raw NUL byte": (
        page(tweet("116", text="a\x01b")).replace(b"\\u0001", b"\x00"),
        ("loaded", "116"),
    ),
    "escaped NUL": (
        page(tweet("117", text="a\x00b")),
        ("loaded", "117"),
    ),
    "1 MB text": (
        page(tweet("118", text="pigeon " * 150_000)),
        ("loaded", "118"),
    ),
    "SQL-looking hashtag": (
        page(tweet("119", entities={"hashtags": [{"tag": SQL_TAG}]})),
        ("loaded", "119"),
    ),
    "null and numeric hashtags": (
        page(tweet("120", entities={"hashtags": [{"tag": None}, {"tag": 7}]})),
        ("loaded", "120"),
    ),
    "numeric ids": (
        page(tweet(121, author_id=77, conversation_id=121)),
        ("loaded", "121"),
    ),
    "epoch timestamp": (
        page(tweet("122", created_at=1349078400)),
        ("loaded", "122"),
    ),
    "wrong-typed optional fields": (
        page(tweet("123", lang=5, entities={"urls": [{"url": None}]})),
        ("loaded", "123"),
    ),
}


def counts(engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            t: conn.scalar(sa.text(f"SELECT count(*) FROM {t}"))
            for t in ("posts", "post_hashtags", "interactions", "rejected_records", "ingest_runs")
        }


def runs(engine) -> list[sa.Row]:
    with engine.connect() as conn:
        return conn.execute(
            sa.text(
                "SELECT source, status, n_read, n_loaded, n_duplicate, n_rejected, "
                "(SELECT count(*) FROM rejected_records r WHERE r.ingest_run_id = i.ingest_run_id)"
                " AS quarantined FROM ingest_runs i ORDER BY ingest_run_id"
            )
        ).all()


def assert_reconciled(engine) -> None:
    for run in runs(engine):
        if run.status == "done":
            assert run.n_read == run.n_loaded + run.n_duplicate + run.n_rejected, run
            assert run.quarantined == run.n_rejected, run


@pytest.fixture(scope="module")
def broken_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("broken") / "broken.jsonl"
    lines = [good(0)]
    for n, (line, _) in enumerate(BROKEN.values(), 1):
        lines += [line.rstrip(b"\n") + b"\n", good(n)]
    lines.append(b"\n\n")  # trailing blank lines are not records
    path.write_bytes(b"".join(lines))
    return path


@pytest.fixture(scope="module")
def loaded(engine, broken_file):
    """The broken file ingested once, with a small chunk size to cross chunk borders."""
    truncate_all(engine)
    settings = get_settings().__class__(**{**get_settings().__dict__, "chunk_size": 7})
    [summary] = ingest_paths(engine, [broken_file], settings=settings)
    return summary


def line_of(name: str) -> int:
    return 2 * list(BROKEN).index(name) + 2


@pytest.mark.parametrize("name", [n for n, (_, e) in BROKEN.items() if e[0] == "rejected"])
def test_a_broken_record_is_quarantined_with_its_reason(engine, loaded, name):
    _, (_, reason) = BROKEN[name]
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT reason, raw FROM rejected_records WHERE line = :l"),
            {"l": line_of(name)},
        ).all()
    assert len(rows) == 1 and reason in rows[0].reason
    assert rows[0].raw and len(rows[0].raw) <= 500 and "\x00" not in rows[0].raw


@pytest.mark.parametrize("name", [n for n, (_, e) in BROKEN.items() if e[0] == "loaded"])
def test_a_damaged_but_readable_record_is_repaired_and_loaded(engine, loaded, name):
    _, (_, post_id) = BROKEN[name]
    with engine.connect() as conn:
        text = conn.scalar(sa.text("SELECT text FROM posts WHERE post_id = :p"), {"p": post_id})
    assert text is not None and "\x00" not in text


def test_the_rest_of_the_file_loads_and_counts_reconcile(engine, loaded):
    rejected = sum(1 for _, e in BROKEN.values() if e[0] == "rejected")
    repaired = len(BROKEN) - rejected
    good_posts = 2 * (len(BROKEN) + 1)
    assert (loaded.read, loaded.loaded, loaded.rejected, loaded.duplicates) == (
        good_posts + len(BROKEN),
        good_posts + repaired,
        rejected,
        0,
    )
    with engine.connect() as conn:
        ok = conn.scalar(sa.text("SELECT count(*) FROM post_hashtags WHERE tag_norm = 'ok'"))
    assert ok == len(BROKEN) + 1
    assert_reconciled(engine)


def test_repairs_are_the_documented_ones(engine, loaded):
    with engine.connect() as conn:
        text = dict(conn.execute(sa.text("SELECT post_id, text FROM posts")).all())
        tags = conn.execute(sa.text("SELECT post_id, tag FROM post_hashtags "
                                    "JOIN posts USING (post_uid, created_at)")).all()  # fmt: skip
        lang = conn.scalar(sa.text("SELECT lang FROM posts WHERE post_id = '123'"))
        urls = conn.scalar(sa.text("SELECT urls FROM posts WHERE post_id = '123'"))
        epoch = conn.scalar(sa.text("SELECT created_at FROM posts WHERE post_id = '122'"))
    assert text["115"] == "caf\ufffd"
    assert text["116"] == "ab" and text["117"] == "ab"
    assert len(text["118"]) == 100_000
    assert ("119", SQL_TAG) in tags
    assert sorted(t for p, t in tags if p == "120") == ["7"]
    assert lang is None or lang.isalpha()  # a number is no language tag: detected instead
    assert urls == []
    assert epoch.isoformat() == "2012-10-01T08:00:00+00:00"
    assert counts(engine)["posts"] > 0  # the SQL in the hashtag was data, not a statement


def test_an_empty_file_is_a_run_with_nothing_read(engine, tmp_path):
    truncate_all(engine)
    path = tmp_path / "empty.jsonl"
    path.write_bytes(b"")
    [summary] = ingest_paths(engine, [path])
    assert (summary.status, summary.read, summary.loaded) == ("done", 0, 0)
    assert_reconciled(engine)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("notes.txt", b"hello, this is not a post export\n", "cannot tell the format"),
        ("odd.jsonl", b'{"kind": "mystery"}\n', "cannot tell the format"),
        ("cut.jsonl.gz", gzip.compress(page(tweet("1")) * 50)[:-40], "corrupt or truncated"),
    ],
)
def test_a_whole_file_problem_is_one_clear_input_error(engine, tmp_path, name, content, message):
    truncate_all(engine)
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputError) as raised:
        ingest_paths(engine, [path])
    assert message in str(raised.value) and name in str(raised.value)
    assert "\n" not in str(raised.value)
    assert counts(engine)["posts"] == 0


def test_an_unknown_format_name_is_one_clear_input_error(engine, broken_file):
    with pytest.raises(InputError, match="unknown format 'myspace'"):
        ingest_paths(engine, [broken_file], format="myspace")


def test_the_same_posts_in_three_formats_and_a_rerun_are_stored_once(engine):
    truncate_all(engine)
    pages, flat = FIXTURES / "x_v2" / "pages.jsonl", FIXTURES / "x_v2" / "flat.jsonl"
    v1 = FIXTURES / "x_v1" / "tweets.jsonl"
    first, second, third = ingest_paths(engine, [pages, flat, v1])
    assert (first.format, second.format, third.format) == ("x_v2", "x_v2", "x_v1")
    assert first.loaded == 6 and second.loaded == 0 and third.loaded == 0
    assert second.duplicates == 6 and third.duplicates == 5
    before = counts(engine)
    assert before["posts"] == 6

    reruns = ingest_paths(engine, [pages, flat, v1])
    assert [s.status for s in reruns] == ["skipped"] * 3
    forced = ingest_paths(engine, [pages], force=True)
    assert (forced[0].loaded, forced[0].duplicates) == (0, 6)
    after = counts(engine)
    assert {k: after[k] for k in ("posts", "post_hashtags", "interactions")} == {
        k: before[k] for k in ("posts", "post_hashtags", "interactions")
    }
    assert_reconciled(engine)


def test_one_post_twice_in_two_files_is_stored_once(engine, tmp_path):
    truncate_all(engine)
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    a.write_bytes(page(tweet("500"), tweet("501")))
    b.write_bytes(page(tweet("501"), tweet("502")) + page(tweet("502")))
    one, two = ingest_paths(engine, [a, b])
    assert (one.loaded, two.loaded, two.duplicates) == (2, 1, 2)
    assert counts(engine)["posts"] == 3
    assert_reconciled(engine)


# --------------------------------------------------------------------------- crash

CHILD = textwrap.dedent(
    """
    import sys, time
    import sqlalchemy as sa
    from pipeline.database import get_engine
    from pipeline.ingest import ingest_paths

    chunks = 0

    def progress(n):
        global chunks
        chunks += 1
        print(f"chunk {chunks} {n}", flush=True)
        if chunks == 2:
            time.sleep(30)  # the parent kills us here, mid-file

    ingest_paths(get_engine(), [sys.argv[1]], progress=progress)
    print("finished", flush=True)
    """
)


def write_large_file(path: Path, posts: int, per_page: int = 100) -> None:
    with path.open("wb") as out:
        for start in range(0, posts, per_page):
            out.write(
                page(
                    *(
                        tweet(
                            f"{700_000 + i}",
                            entities={"hashtags": [{"tag": f"t{i % 50}"}, {"tag": "crash"}]},
                            in_reply_to_user_id=str(i % 97 + 1000),
                        )
                        for i in range(start, min(start + per_page, posts))
                    )
                )
            )


def test_a_process_killed_mid_file_leaves_nothing_and_a_rerun_completes_it(
    engine, db_env, tmp_path
):
    truncate_all(engine)
    path = tmp_path / "large.jsonl"
    posts = 20_000
    write_large_file(path, posts)
    env = {**os.environ, "PROTESTWATCH_CHUNK_SIZE": "2000", "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )
    try:
        seen = [child.stdout.readline() for _ in range(2)]
        assert [line.split()[:2] for line in seen] == [["chunk", "1"], ["chunk", "2"]], (
            seen,
            child.stderr.read() if child.poll() is not None else "",
        )
        # two chunks are in the database, inside the file's open transaction
        with engine.connect() as conn:
            active = conn.scalar(
                sa.text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND xact_start IS NOT NULL AND pid <> pg_backend_pid()"
                )
            )
        assert active >= 1
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
        child.stdout.close()
        child.stderr.close()
    assert child.returncode == -signal.SIGKILL

    assert counts(engine) == {
        "posts": 0,
        "post_hashtags": 0,
        "interactions": 0,
        "rejected_records": 0,
        "ingest_runs": 0,
    }
    [summary] = ingest_paths(engine, [path])
    assert (summary.status, summary.read, summary.loaded, summary.duplicates) == (
        "done",
        posts,
        posts,
        0,
    )
    after = counts(engine)
    assert after["posts"] == posts and after["post_hashtags"] == 2 * posts
    assert after["interactions"] == posts
    assert_reconciled(engine)
