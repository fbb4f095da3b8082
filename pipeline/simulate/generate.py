"""The ``simulate`` entry point: plan a scenario, write its posts and its truth."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from pipeline.errors import ConfigError
from pipeline.simulate.layout import plan_layout
from pipeline.simulate.scenario import plan_scenario
from pipeline.simulate.truth import write_truth
from pipeline.simulate.x_v2 import default_workers, write_x_v2

__all__ = ["MIN_POSTS", "simulate"]

log = logging.getLogger(__name__)

#: Smallest corpus that still holds every component kind with a visible shape.
MIN_POSTS = 1_000


def _utc(start: str | pd.Timestamp) -> pd.Timestamp:
    try:
        ts = pd.Timestamp(start)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"start {start!r} is not a date and time: {exc}") from None
    if ts is pd.NaT:
        raise ConfigError(f"start {start!r} is not a date and time")
    ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
    return ts.floor("s")


def simulate(
    out_dir: Path,
    seed: int = 0,
    posts: int = 50_000,
    start: str | pd.Timestamp = "2012-09-20T00:00:00Z",
    days: int = 21,
    malformed_share: float = 0.002,
    duplicate_share: float = 0.005,
    progress: Callable[[int], None] | None = None,
    workers: int | None = None,
) -> dict:
    """Write a synthetic scenario of posts in X API v2 JSONL, with its ground truth.

    The scenario mixes two or three grassroots opposition movements, a coordinated
    campaign, a neutral spike, an institutional promotion, a persistent political
    topic and background chatter, mostly in French; see
    :mod:`pipeline.simulate.scenario`. Output, in ``out_dir``:

    * ``posts-YYYY-MM-DD.jsonl``: one file per UTC day, one twarc2 response page
      per line (see :mod:`pipeline.simulate.x_v2`), with planted malformed records
      and duplicates (see :mod:`pipeline.simulate.layout`);
    * ``truth.json`` and ``truth_posts.csv.gz`` (see :mod:`pipeline.simulate.truth`).

    Earlier ``posts-*.jsonl`` files in ``out_dir`` are removed so the directory
    holds exactly one scenario.

    Parameters
    ----------
    out_dir : Path
        Output directory, created if missing.
    seed : int, default 0
        Scenario seed; the same arguments always give the same bytes, and other
        seeds give other movements, hashtags, targets, times and sizes.
    posts : int, default 50_000
        Number of distinct posts (at least :data:`MIN_POSTS`).
    start : str or pandas.Timestamp, default "2012-09-20T00:00:00Z"
        Start of the scenario; naive times are taken as UTC.
    days : int, default 21
        Length in days (at least 3), one file per day.
    malformed_share : float, default 0.002
        Malformed records as a share of posts.
    duplicate_share : float, default 0.005
        Repeated tweet copies as a share of posts.
    progress : callable, optional
        Called with the number of distinct posts written so far.
    workers : int, optional
        Processes that write files in parallel; by default up to 4 (the available
        CPUs) from 100,000 posts, else 1. The output does not depend on it.

    Returns
    -------
    dict
        ``out_dir``, ``files`` (paths as strings), ``pages``, ``posts`` (distinct
        posts generated), ``records`` (tweets written in ``data`` arrays, duplicates
        included), ``malformed``, ``malformed_by_kind``, ``duplicates``, ``seed``,
        ``start``, ``end`` and ``seconds``.

    Raises
    ------
    ConfigError
        If an argument is out of range.
    """
    began = time.perf_counter()
    if int(posts) < MIN_POSTS:
        raise ConfigError(f"posts must be at least {MIN_POSTS}, got {posts}")
    if int(days) < 3:
        raise ConfigError(f"days must be at least 3, got {days}")
    for name, share in (("malformed_share", malformed_share), ("duplicate_share", duplicate_share)):
        if not 0.0 <= float(share) <= 0.2:
            raise ConfigError(f"{name} must be between 0 and 0.2, got {share}")
    if int(seed) < 0:
        raise ConfigError(f"seed must be a non-negative integer, got {seed}")
    start_ts = _utc(start)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)

    plan = plan_scenario(int(seed), int(posts), start_ts, int(days))
    layout = plan_layout(plan, float(malformed_share), float(duplicate_share))
    log.info("planned %d posts in %.1fs", len(plan), time.perf_counter() - began)
    keep = {f"posts-{d}.jsonl" for d in layout.days}
    for old in out_dir.glob("posts-*.jsonl"):
        if old.name not in keep:
            old.unlink()
    if workers is None:
        workers = default_workers(len(plan))
    files = write_x_v2(out_dir, plan, layout, progress, workers=int(workers))
    truth = write_truth(out_dir, plan, layout, files)
    seconds = time.perf_counter() - began
    log.info("wrote %d posts to %d files in %.1fs", len(plan), len(files), seconds)
    return {
        "out_dir": str(out_dir),
        "files": [str(p) for p in files],
        "pages": len(layout.page_file),
        "posts": len(plan),
        "records": len(layout.entries),
        "malformed": truth["malformed"],
        "malformed_by_kind": truth["malformed_by_kind"],
        "duplicates": truth["duplicates"],
        "seed": int(seed),
        "start": truth["start"],
        "end": truth["end"],
        "seconds": round(seconds, 3),
    }
