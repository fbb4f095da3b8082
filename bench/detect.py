"""Detect benchmark: one window over generated corpora of growing size.

For each size (posts over 3 weeks) the scenario is generated and ingested once into
its own database (``protestwatch_bench_<n>``, reused when already loaded); then a
child process times one detect window (24 h against a 7-day baseline) and, in the
same child, the naive baseline (hashtags ranked by 24 h growth with pandas), so both
figures come from the same machine state. Peak RSS is the child's. Results go to
``bench/results/detect.json``.

Run with ``python -m bench --only detect`` (``make bench`` runs every benchmark).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

RESULTS = Path(__file__).resolve().parent / "results" / "detect.json"
DEFAULT_SIZES = (100_000, 300_000, 1_000_000)
SEED = 2024
WINDOW_DAY = 14  # window end: day 14 of 21, a full 7-day baseline behind it


def _prepare(posts: int) -> tuple[str, str]:
    """Generate and ingest the corpus once; return (database URL, window end)."""
    from pipeline.config import get_settings
    from pipeline.database import database_url, libpq_url, upgrade
    from pipeline.ingest import ingest_paths
    from pipeline.simulate import simulate

    settings = get_settings()
    data = settings.home / "bench" / f"seed{SEED}-{posts}"
    if not (data / "truth.json").exists():
        print(f"  generating {posts:,} posts", flush=True)
        simulate(data, seed=SEED, posts=posts)
    base = database_url(settings)
    name = f"protestwatch_bench_{posts}"
    admin = sa.create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}):
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    url = base.set(database=name)
    engine = sa.create_engine(url)
    upgrade(engine)
    print(f"  ingesting {posts:,} posts (skipped when already loaded)", flush=True)
    ingest_paths(engine, [data / "posts-*.jsonl"], settings=settings)
    with engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")
    engine.dispose()
    truth = json.loads((data / "truth.json").read_text())
    window_end = pd.Timestamp(truth["start"]) + pd.Timedelta(days=WINDOW_DAY)
    return libpq_url(url), window_end.isoformat()


def _naive_baseline(engine, window_end: pd.Timestamp) -> int:
    """Top hashtags by 24 h growth ratio, the way a notebook would do it."""
    frame = pd.read_sql(
        sa.text(
            "SELECT tag_norm, created_at FROM post_hashtags "
            "WHERE created_at >= :lo AND created_at < :hi"
        ),
        engine,
        params={"lo": window_end - pd.Timedelta(hours=48), "hi": window_end},
    )
    recent = frame["created_at"] >= window_end - pd.Timedelta(hours=24)
    counts = frame.groupby([frame["tag_norm"], recent]).size().unstack(fill_value=0)
    counts = counts.reindex(columns=[False, True], fill_value=0)
    ratio = (counts[True] + 1) / (counts[False] + 1)
    return len(ratio[counts[True] >= 10].nlargest(20))


def _child(url: str, at: str) -> dict:
    """Time one window in this (fresh) process: models load, detect, then baseline."""
    import os

    from pipeline.config import get_settings
    from pipeline.database import get_engine
    from pipeline.detect import Models, run_window

    os.environ["DATABASE_URL"] = url
    started = time.perf_counter()
    models = Models.load(get_settings())
    load_seconds = time.perf_counter() - started
    engine = get_engine()
    window_end = pd.Timestamp(at)
    run_window(engine, window_end - pd.Timedelta(hours=1), models=models)  # warm caches
    started = time.perf_counter()
    result = run_window(engine, window_end, models=models)
    detect_seconds = time.perf_counter() - started
    started = time.perf_counter()
    _naive_baseline(engine, window_end)
    baseline_seconds = time.perf_counter() - started
    return {
        "model_load_seconds": round(load_seconds, 2),
        "detect_seconds": round(detect_seconds, 2),
        "baseline_seconds": round(baseline_seconds, 2),
        "window_posts_with_hashtags": result.n_posts,
        "clusters": result.n_clusters,
        "movements": result.n_movements,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def main(argv: list[str] | None = None) -> dict:
    """Run the detect benchmark and write ``bench/results/detect.json``."""
    parser = argparse.ArgumentParser(prog="python -m bench.detect")
    parser.add_argument("--sizes", type=int, nargs="+", default=list(DEFAULT_SIZES))
    parser.add_argument("--child", nargs=2, metavar=("URL", "AT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(_child(*args.child)))
        return {}
    runs = []
    for posts in args.sizes:
        print(f"detect benchmark, {posts:,} posts", flush=True)
        url, at = _prepare(posts)
        child = subprocess.run(
            [sys.executable, "-m", "bench.detect", "--child", url, at],
            capture_output=True,
            text=True,
            check=True,
        )
        figures = json.loads(child.stdout.strip().splitlines()[-1])
        figures.update(posts=posts, window_end=at)
        print(f"  {figures}", flush=True)
        runs.append(figures)
    if len(runs) > 1:
        first, last = runs[0], runs[-1]
        scale = last["posts"] / first["posts"]
        growth = last["detect_seconds"] / max(first["detect_seconds"], 1e-9)
        summary = {"size_ratio": scale, "detect_time_ratio": round(growth, 2)}
    else:
        summary = {}
    report = {
        "benchmark": "detect one 24 h window against a 7-day baseline",
        "machine_note": "shared 2-core machine: compare ratios, not absolute seconds",
        "runs": runs,
        "scaling": summary,
        "written_at": pd.Timestamp.now(tz="UTC").isoformat(),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    print(f"written to {RESULTS}")
    return report


if __name__ == "__main__":
    main()
