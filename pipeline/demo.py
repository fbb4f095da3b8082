"""``protestwatch demo``: simulate a scenario, ingest, detect, rank and report.

Idempotent: the scenario files are reused, ingest skips files already loaded, and
each detect window replaces its own rows, so a second run gives the same rows.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

import pandas as pd

from pipeline.config import get_settings
from pipeline.database import database_url, ensure_schema, get_engine, libpq_url

__all__ = ["DEMO_EVERY", "run_demo"]

log = logging.getLogger(__name__)

#: Step between demo window ends; production runs hourly, the demo every 3 h to stay fast.
DEMO_EVERY = "3h"


def _say(message: str) -> None:
    print(message, flush=True)


_EXPECTED = {
    "grassroots_opposition": "alert before its peak",
    "coordinated_campaign": "flagged coordinated, no alert",
    "neutral_spike": "no alert",
    "institutional_promotion": "no alert",
    "persistent_topic": "no alert",
    "background": "no alert",
}


def _truth_lines(engine, truth: dict) -> list[str]:
    """One line per ground-truth component: what happened and what was expected."""
    from pipeline.evaluate import match_truth

    lines = []
    for item in match_truth(engine, truth):
        if item["alerted"]:
            hours = item["lead_hours"]
            when = f"{abs(hours):.0f} h {'before' if hours >= 0 else 'after'} its peak"
            seen = f"ALERTED {item['first_alert']} ({when})"
        else:
            seen = "not alerted"
        seen += f", coordination {item['coordination']:.2f}"
        expected = _EXPECTED.get(item["kind"], "")
        lines.append(
            f"  {item['kind']:<24} {item['label'][:30]:<30} {seen:<52} expected: {expected}"
        )
    return lines


def run_demo(seed: int = 7, posts: int = 60_000, out: Path = Path("report.html")) -> None:
    """Run the whole flow on a generated scenario and print what it found.

    Parameters
    ----------
    seed : int
        Scenario seed.
    posts : int
        Posts to generate.
    out : Path
        Where to write the HTML report.
    """
    from tqdm import tqdm

    from pipeline.detect import run_range
    from pipeline.ingest import ingest_paths
    from pipeline.report import format_top, run_summary, write_report
    from pipeline.simulate import simulate

    settings = get_settings()
    data = settings.home / "demo" / f"seed{seed}-{posts}"
    interactive = sys.stderr.isatty()
    if not (data / "truth.json").exists():
        _say(f"1/5 simulating {posts:,} posts (seed {seed}) into {data}")
        with tqdm(total=posts, unit="post", disable=not interactive) as bar:
            simulate(data, seed=seed, posts=posts, progress=lambda n: bar.update(n - bar.n))
    else:
        _say(f"1/5 reusing the scenario in {data}")
    truth = json.loads((data / "truth.json").read_text())

    engine = get_engine()
    ensure_schema(engine)
    _say("2/5 ingesting")
    summaries = ingest_paths(engine, [data / "posts-*.jsonl"])
    loaded = sum(s.loaded for s in summaries)
    rejected = sum(s.rejected for s in summaries)
    _say(f"    {len(summaries)} files: {loaded:,} posts loaded, {rejected} records quarantined")

    start = pd.Timestamp(truth["start"]) + pd.Timedelta(days=1)
    end = pd.Timestamp(truth["end"]).ceil("h")
    windows = len(pd.date_range(start, end, freq=DEMO_EVERY))
    span = f"{start:%Y-%m-%d} to {end:%Y-%m-%d}, every {DEMO_EVERY}"
    _say(f"3/5 detecting over {windows} windows ({span})")
    with tqdm(total=windows, unit="window", disable=not interactive) as bar:
        results = run_range(engine, start, end, every=DEMO_EVERY, progress=bar.update)
    _say(f"    {sum(r.n_alerts for r in results)} alerts")

    summary = run_summary(engine, limit=10)
    _say("4/5 emerging opposition over the run, ranked by peak score:")
    _say(format_top(summary.drop(columns=["movement_id"])))
    _say("    ground truth of the scenario:")
    for line in _truth_lines(engine, truth):
        _say(line)

    path = write_report(engine, out)
    _say(f"5/5 report written to {path.resolve()}")
    url = libpq_url(database_url(settings))
    _say(f"Query the results: psql '{url}' -c 'select * from mart_emerging_opposition limit 5'")
