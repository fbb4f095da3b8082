"""Ingest benchmark: protestwatch's loader against a naive pandas ``to_sql`` loader.

For each size, the scenario is generated once with :func:`pipeline.simulate.simulate`
(X API v2 pages, one file per day; shared with the detect benchmark under
``$PROTESTWATCH_HOME/bench``). Then, in the same run and one after the other, two
child processes load the same files end to end into their own fresh databases:

* ``protestwatch``: :func:`pipeline.ingest.ingest_paths` (readers, vectorised
  normalisation, COPY into staging, idempotent moves into the partitioned
  ``posts``, ``post_hashtags`` and ``interactions``, one transaction per file);
* ``naive``: ``json.loads`` per line, Python dicts per row, one pandas
  ``DataFrame`` per table and file, ``DataFrame.to_sql`` into plain tables of the
  same rows (posts, hashtags, interactions), no dedup, no quarantine.

Each side's wall time, CPU time and peak RSS come from ``os.wait4`` on its own
child (so the figures are separate), and the CPU time of its one Postgres backend
from ``/proc`` (embedded or local server only). Throughput is input tweets per
second, the same numerator for both sides. Results go to
``bench/results/ingest.json``.

Unless ``--no-one-file``, the largest corpus is also loaded as one concatenated file
(protestwatch only), to show that peak memory does not grow with file size.

Run with ``python -m bench --only ingest [--posts N]`` (``make bench`` runs every
benchmark); ``python -m bench.ingest --sizes 100000 1000000`` also works.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results" / "ingest.json"
DEFAULT_SIZES = (100_000, 1_000_000)
SEED = 2024  # same corpus as the detect benchmark
SIDES = ("protestwatch", "naive")
_TICK = os.sysconf("SC_CLK_TCK")


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# ----------------------------------------------------------------------------- parent


def _corpus(posts: int) -> tuple[Path, list[Path], dict]:
    """Generate the scenario once; return its directory, files and generation info."""
    from pipeline.config import get_settings

    data = get_settings().home / "bench" / f"seed{SEED}-{posts}"
    if not (data / "truth.json").exists():
        from pipeline.simulate import simulate

        _log(f"  generating {posts:,} posts in {data}")
        started = time.perf_counter()
        simulate(data, seed=SEED, posts=posts, progress=None)
        _log(f"  generated in {time.perf_counter() - started:.0f}s")
    truth = json.loads((data / "truth.json").read_text())
    files = sorted(data.glob("posts-*.jsonl"))
    return data, files, truth


def _fresh_database(name: str) -> str:
    """Drop and create database ``name`` on the configured server; return its URL."""
    import sqlalchemy as sa

    from pipeline.database import database_url, libpq_url

    base = database_url()
    admin = sa.create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    return libpq_url(base.set(database=name))


def _drop_database(url: str) -> None:
    import sqlalchemy as sa

    from pipeline.database import resolve_url

    parsed = resolve_url(url)
    admin = sa.create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)')
    admin.dispose()


def _run_side(side: str, url: str, files: list[Path]) -> dict:
    """Run one side in a child process; its own rusage via ``os.wait4``."""
    command = [sys.executable, "-m", "bench.ingest", "--child", side, url, *map(str, files)]
    started = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)  # stderr: progress
    out = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    if child.returncode != 0:
        raise RuntimeError(f"{side} child failed with exit code {child.returncode}")
    figures = json.loads(out.strip().splitlines()[-1])
    figures.update(
        process_wall_seconds=round(wall, 2),
        client_cpu_seconds=round(usage.ru_utime + usage.ru_stime, 2),
        peak_rss_mb=round(usage.ru_maxrss / 1024, 1),
    )
    return figures


def _one_file_run(files: list[Path], data: Path, keep: bool) -> dict:
    """protestwatch on the whole corpus concatenated into one file: memory vs file size."""
    import sqlalchemy as sa

    from pipeline.database import resolve_url, upgrade

    single = data / "all-in-one.jsonl.bench"
    if not single.exists() or single.stat().st_size != sum(f.stat().st_size for f in files):
        with single.open("wb") as out:
            for path in files:
                with path.open("rb") as handle:
                    while block := handle.read(1 << 24):
                        out.write(block)
    url = _fresh_database("protestwatch_bench_ingest_one_file")
    engine = sa.create_engine(resolve_url(url))
    upgrade(engine)
    engine.dispose()
    _log(f"  protestwatch, one file of {single.stat().st_size / 1e6:,.0f} MB")
    figures = _run_side("protestwatch", url, [single])
    figures["file_bytes"] = single.stat().st_size
    _log(
        f"  one file: {figures['tweets_per_second']:,.0f} tweets/s, "
        f"peak RSS {figures['peak_rss_mb']:,.0f} MB"
    )
    if not keep:
        _drop_database(url)
    single.unlink()
    return figures


def _one_size(posts: int, keep: bool, one_file: bool = False) -> dict:
    _log(f"ingest benchmark, {posts:,} posts")
    data, files, truth = _corpus(posts)
    sizes = [f.stat().st_size for f in files]
    from pipeline.config import get_settings

    run = {
        "posts": posts,
        "chunk_size": get_settings().chunk_size,
        "input": {
            "directory": str(data),
            "files": len(files),
            "bytes": sum(sizes),
            "largest_file_bytes": max(sizes),
            "distinct_posts": truth.get("posts"),
            "planted_malformed": truth.get("malformed"),
            "planted_duplicates": truth.get("duplicates"),
        },
    }
    for side in SIDES:
        url = _fresh_database(f"protestwatch_bench_ingest_{side}")
        if side == "protestwatch":
            import sqlalchemy as sa

            from pipeline.database import resolve_url, upgrade

            engine = sa.create_engine(resolve_url(url))
            upgrade(engine)  # schema first, not timed
            engine.dispose()
        _log(f"  {side}: loading {len(files)} files ({sum(sizes) / 1e6:,.0f} MB)")
        figures = _run_side(side, url, files)
        _log(
            f"  {side}: {figures['tweets_per_second']:,.0f} tweets/s, "
            f"{figures['seconds']:.1f}s, peak RSS {figures['peak_rss_mb']:,.0f} MB"
        )
        run[side] = figures
        if not keep:
            _drop_database(url)
    if one_file:
        run["protestwatch_one_file"] = _one_file_run(files, data, keep)
    pw, naive = run["protestwatch"], run["naive"]
    run["speedup"] = round(pw["tweets_per_second"] / naive["tweets_per_second"], 2)
    run["memory_ratio"] = round(pw["peak_rss_mb"] / naive["peak_rss_mb"], 2)
    return run


# ----------------------------------------------------------------------------- children


def _backend_cpu(engine) -> float | None:
    """CPU seconds used so far by the engine's (single) Postgres backend, if local."""
    import sqlalchemy as sa

    with engine.connect() as conn:
        pid = conn.scalar(sa.text("SELECT pg_backend_pid()"))
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / _TICK


def _engine(url: str):
    import sqlalchemy as sa

    from pipeline.database import resolve_url

    # one connection, so one backend does all the work and its CPU can be read
    return sa.create_engine(resolve_url(url), pool_size=1, max_overflow=0)


def _child_protestwatch(url: str, files: list[str]) -> dict:
    import sqlalchemy as sa

    from pipeline.ingest import ingest_paths

    engine = _engine(url)
    server_before = _backend_cpu(engine)
    started, cpu_started = time.perf_counter(), time.process_time()
    summaries = []
    for path in files:
        summaries += ingest_paths(engine, [path])
        done = summaries[-1]
        _log(
            f"    {Path(path).name}: {done.read:,} read, {done.loaded:,} loaded "
            f"in {done.seconds:.1f}s ({time.perf_counter() - started:.0f}s total)"
        )
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    server_after = _backend_cpu(engine)
    with engine.connect() as conn:
        stored = {
            t: conn.scalar(sa.text(f"SELECT count(*) FROM {t}"))
            for t in ("posts", "post_hashtags", "interactions", "rejected_records")
        }
    read = sum(s.read for s in summaries)
    return {
        "seconds": round(seconds, 2),
        "tweets_read": read,
        "tweets_per_second": round(read / seconds),
        "posts_loaded_per_second": round(stored["posts"] / seconds),
        "rows": stored,
        "duplicates": sum(s.duplicates for s in summaries),
        "load_cpu_seconds": round(cpu, 2),
        "server_backend_cpu_seconds": (
            round(server_after - server_before, 2) if server_before is not None else None
        ),
    }


def _naive_rows(lines, source: str) -> tuple[list, list, list]:
    """The notebook way: ``json.loads`` each line, a dict per row."""
    posts, tags, edges = [], [], []
    for line in lines:
        try:
            page = json.loads(line)
        except ValueError:
            continue
        users = {u["id"]: u for u in page.get("includes", {}).get("users", [])}
        for tweet in page.get("data", []):
            if not tweet.get("id") or not tweet.get("author_id"):
                continue
            author = users.get(tweet["author_id"], {})
            refs = {r["type"]: r["id"] for r in tweet.get("referenced_tweets", [])}
            entities = tweet.get("entities", {})
            post_uid = "x:" + tweet["id"]
            posts.append(
                {
                    "post_uid": post_uid,
                    "platform": "x",
                    "post_id": tweet["id"],
                    "author_uid": "x:" + tweet["author_id"],
                    "author_handle": author.get("username"),
                    "author_followers": author.get("public_metrics", {}).get("followers_count"),
                    "author_created_at": author.get("created_at"),
                    "created_at": tweet.get("created_at"),
                    "text": tweet.get("text"),
                    "lang": tweet.get("lang"),
                    "reply_to_uid": "x:" + refs["replied_to"] if "replied_to" in refs else None,
                    "repost_of_uid": "x:" + refs["retweeted"] if "retweeted" in refs else None,
                    "quote_of_uid": "x:" + refs["quoted"] if "quoted" in refs else None,
                    "conversation_uid": "x:" + tweet.get("conversation_id", tweet["id"]),
                    "urls": json.dumps([u.get("expanded_url") for u in entities.get("urls", [])]),
                    "source": source,
                }
            )
            for tag in entities.get("hashtags", []):
                tags.append(
                    {
                        "post_uid": post_uid,
                        "created_at": tweet.get("created_at"),
                        "author_uid": "x:" + tweet["author_id"],
                        "tag": tag["tag"],
                        "tag_norm": tag["tag"].lower(),
                    }
                )
            for mention in entities.get("mentions", []):
                edges.append(
                    {
                        "src_author_uid": "x:" + tweet["author_id"],
                        "dst_author_uid": "x:" + str(mention.get("id")),
                        "kind": "mention",
                        "post_uid": post_uid,
                        "created_at": tweet.get("created_at"),
                    }
                )
            if tweet.get("in_reply_to_user_id"):
                edges.append(
                    {
                        "src_author_uid": "x:" + tweet["author_id"],
                        "dst_author_uid": "x:" + tweet["in_reply_to_user_id"],
                        "kind": "reply",
                        "post_uid": post_uid,
                        "created_at": tweet.get("created_at"),
                    }
                )
    return posts, tags, edges


def _child_naive(url: str, files: list[str]) -> dict:
    import pandas as pd
    import sqlalchemy as sa

    engine = _engine(url)
    server_before = _backend_cpu(engine)
    started = time.perf_counter()
    read = 0
    cpu_started = time.process_time()
    for path in files:
        with open(path, encoding="utf-8", errors="replace") as handle:
            posts, tags, edges = _naive_rows(handle, path)
        read += len(posts)
        for table, rows in (("posts", posts), ("post_hashtags", tags), ("interactions", edges)):
            frame = pd.DataFrame(rows)
            if frame.empty:
                continue
            for column in ("created_at", "author_created_at"):
                if column in frame:
                    frame[column] = pd.to_datetime(frame[column], utc=True, errors="coerce")
            frame.to_sql(table, engine, if_exists="append", index=False, chunksize=10_000)
        _log(
            f"    {Path(path).name}: {len(posts):,} posts "
            f"({time.perf_counter() - started:.0f}s total)"
        )
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    server_after = _backend_cpu(engine)
    with engine.connect() as conn:
        stored = {
            t: conn.scalar(sa.text(f"SELECT count(*) FROM {t}"))
            for t in ("posts", "post_hashtags", "interactions")
        }
    return {
        "seconds": round(seconds, 2),
        "tweets_read": read,
        "tweets_per_second": round(read / seconds),
        "rows": stored,
        "load_cpu_seconds": round(cpu, 2),
        "server_backend_cpu_seconds": (
            round(server_after - server_before, 2) if server_before is not None else None
        ),
    }


# ----------------------------------------------------------------------------- entry


def main(argv: list[str] | None = None) -> dict:
    """Run the ingest benchmark and write ``bench/results/ingest.json``."""
    from pipeline.config import get_settings

    parser = argparse.ArgumentParser(prog="python -m bench.ingest")
    parser.add_argument("--sizes", type=int, nargs="+", default=list(DEFAULT_SIZES))
    parser.add_argument("--posts", type=int, help="one size (same as --sizes N)")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark databases")
    parser.add_argument(
        "--one-file",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also load the largest corpus as one concatenated file (memory vs file size)",
    )
    parser.add_argument("--output", type=Path, default=RESULTS, help="results file")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        side, url, *files = args.child
        run = _child_protestwatch if side == "protestwatch" else _child_naive
        figures = run(url, files)
        figures["self_peak_rss_mb"] = round(
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1
        )
        print(json.dumps(figures), flush=True)
        return figures
    sizes = [args.posts] if args.posts else args.sizes
    runs = [
        _one_size(posts, args.keep, one_file=args.one_file and posts == max(sizes))
        for posts in sizes
    ]
    output = args.output
    if output.exists():  # keep the other sizes of an earlier report
        try:
            earlier = json.loads(output.read_text()).get("runs", [])
        except ValueError:
            earlier = []
        runs += [run for run in earlier if run.get("posts") not in sizes]
        runs.sort(key=lambda run: run["posts"])
    report = {
        "benchmark": "ingest X v2 JSONL end to end into Postgres (posts, hashtags, interactions)",
        "targets": {
            "tweets_per_second": 40_000,
            "speedup_over_naive": 3.0,
            "peak_rss_mb": 1536,
        },
        "chunk_size": get_settings().chunk_size,
        "machine": {
            "cpus": os.cpu_count(),
            "load_average_at_end": os.getloadavg(),
            "note": "shared machine: other jobs run concurrently; compare ratios and CPU",
        },
        "runs": runs,
        "written_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(report, indent=2) + "\n")
    _log(f"written to {output}")
    return report


if __name__ == "__main__":
    main()
