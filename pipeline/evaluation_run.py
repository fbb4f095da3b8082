"""``protestwatch evaluate``: run the whole pipeline on generated scenarios and report.

Each seed gets its own database on the configured server
(``protestwatch_eval_<seed>_<posts>``, recreated), so an evaluation never touches the
main data. Results are printed and written to ``docs/evaluation.md``.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import URL

from pipeline.config import get_settings
from pipeline.database import database_url, upgrade
from pipeline.detect import DetectParams, run_range
from pipeline.evaluate import evaluate_run
from pipeline.ingest import ingest_paths

__all__ = ["DEVELOPMENT_SEEDS", "evaluate_seeds", "render_markdown", "stance_report"]

log = logging.getLogger(__name__)

#: Seeds looked at while developing (demo and tests); never used for evaluation.
DEVELOPMENT_SEEDS = (7, 11)


def _scenario_database(base: URL, name: str) -> URL:
    """(Re)create database ``name`` on the server of ``base`` and return its URL."""
    admin = sa.create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    return base.set(database=name)


def _has_results(url: URL) -> bool:
    """Whether an evaluation database exists and holds finished detect runs."""
    try:
        engine = sa.create_engine(url)
        with engine.connect() as conn:
            done = conn.scalar(sa.text("SELECT count(*) FROM detect_runs WHERE status = 'done'"))
        engine.dispose()
    except sa.exc.SQLAlchemyError:
        return False
    return bool(done)


def evaluate_seeds(
    seeds: list[int],
    posts: int = 40_000,
    every: str = "3h",
    params: DetectParams | None = None,
    progress: Callable[[str], None] | None = None,
    reuse: bool = False,
) -> dict[int, dict]:
    """Simulate, ingest, detect and evaluate each seed in its own database.

    With ``reuse``, a seed whose evaluation database already holds detect results is
    only re-scored (metrics recomputed), not re-run.

    Returns
    -------
    dict
        Seed -> :func:`pipeline.evaluate.evaluate_run` result (plus ``seconds``).
    """
    settings = get_settings()
    params = params or DetectParams.from_settings(settings)
    base = database_url(settings)
    results = {}
    for seed in seeds:
        if seed in DEVELOPMENT_SEEDS:
            log.warning("seed %s was used during development; its scores are optimistic", seed)
        from pipeline.simulate import simulate

        data = settings.home / "eval" / f"seed{seed}-{posts}"
        if not (data / "truth.json").exists():
            simulate(data, seed=seed, posts=posts)
        name = f"protestwatch_eval_{seed}_{posts}"
        started = pd.Timestamp.now()
        if reuse and _has_results(base.set(database=name)):
            engine = sa.create_engine(base.set(database=name))
        else:
            engine = sa.create_engine(_scenario_database(base, name))
            upgrade(engine)
            ingest_paths(engine, [data / "posts-*.jsonl"], settings=settings)
            truth = json.loads((data / "truth.json").read_text())
            first = pd.Timestamp(truth["start"]) + pd.Timedelta(days=1)
            last = pd.Timestamp(truth["end"]).ceil("h")
            run_range(engine, first, last, every=every, params=params)
        result = evaluate_run(engine, data, params)
        result["seconds"] = (pd.Timestamp.now() - started).total_seconds()
        results[seed] = result
        engine.dispose()
        if progress:
            progress(f"seed {seed}: {_one_line(result)}")
    return results


def stance_report() -> dict:
    """Held-out and cross-validated stance scores with the two baselines."""
    from models.stance import (
        OppositionClassifier,
        evaluate_stance,
        load_stance_corpus,
        split_heldout,
    )

    train, test = split_heldout(load_stance_corpus())
    return evaluate_stance(lambda: OppositionClassifier(random_state=0), train, test)


def _one_line(result: dict) -> str:
    model = result["model"]
    return (
        f"p@3 {model['p@3']:.2f}, end p@3 {model['end p@3']:.2f}, recall "
        f"{model['recall']:.2f} ({model['recall_before_peak']:.2f} before peak), "
        f"false positives {model['false_positive_components'] or 'none'}"
    )


def _fmt(value) -> str:
    if isinstance(value, float):
        return "n/a" if math.isnan(value) else f"{value:.2f}"
    if isinstance(value, list):
        return ", ".join(value) or "none"
    return str(value)


def _table(rows: dict[str, dict], columns: list[str]) -> str:
    lines = ["| | " + " | ".join(columns) + " |", "|---" * (len(columns) + 1) + "|"]
    for name, metrics in rows.items():
        lines.append(f"| {name} | " + " | ".join(_fmt(metrics.get(c, "")) for c in columns) + " |")
    return "\n".join(lines)


def _mean(rows: list[dict], columns: list[str]) -> dict:
    out = {}
    for column in columns:
        values = [r[column] for r in rows if isinstance(r.get(column), int | float)]
        out[column] = float(np.nanmean(values)) if values else float("nan")
    return out


RANKING = ["p@1", "p@3", "p@5", "end p@1", "end p@3", "end p@5"]
ALERTING = [
    "recall",
    "recall_before_peak",
    "lead_vs_significant_h",
    "hours_before_peak",
    "alerts",
    "false_positive_components",
]
GROUPING = [
    "grouping_purity",
    "grouping_completeness",
    "variants_grouped",
    "movements_per_grassroots",
]
COORDINATION = [
    "coordinated_truth_accounts",
    "flagged_accounts",
    "coordination_precision",
    "coordination_recall",
]


def render_markdown(results: dict[int, dict], stance: dict | None, command: str) -> str:
    """The ``docs/evaluation.md`` text for an evaluation run."""
    seeds = sorted(results)
    model_rows = {f"seed {s}": results[s]["model"] for s in seeds}
    model_rows["mean"] = _mean(
        list(model_rows.values()), RANKING + ALERTING[:-1] + COORDINATION + GROUPING
    )
    base_rows = {f"seed {s}": results[s]["baseline"] for s in seeds}
    base_rows["mean"] = _mean(list(base_rows.values()), RANKING[:3] + ALERTING[:-1])
    ablation_rows = {
        name: _mean([results[s]["ablations"][name] for s in seeds], RANKING + ALERTING[:-1])
        for name in results[seeds[0]]["ablations"]
    }
    for name in ablation_rows:
        flagged = sorted(
            {k for s in seeds for k in results[s]["ablations"][name]["false_positive_components"]}
        )
        ablation_rows[name]["false_positive_components"] = flagged
    parts = [
        "# Evaluation",
        "",
        "Generated by `" + command + "` (see `pipeline/evaluate.py` for every definition).",
        f"Evaluation seeds: {', '.join(map(str, seeds))}. Seeds used while developing and "
        f"tuning (demo, tests): {', '.join(map(str, DEVELOPMENT_SEEDS))} — not evaluated here.",
        "",
        "All numbers come from the scenario generator: they show the method works on",
        "its planted structure, not how it does on real platforms. Real data is noisier.",
        "",
        "## Ranking (precision@k)",
        "",
        "Per window: mean over windows where a grassroots movement is live. At the end:",
        "movements ranked by their peak score over the run.",
        "",
        _table(model_rows, RANKING),
        "",
        "## Alerts",
        "",
        "Recall of grassroots movements, lead time (median hours; first alert minus the",
        "time the movement became significant — negative is earlier — and hours before",
        "its peak), and the non-grassroots components that got an alert.",
        "",
        _table(model_rows, ALERTING),
        "",
        "## Movements: hashtag-variant grouping of grassroots movements",
        "",
        "Purity and completeness (see `grouping_metrics`); movements per grassroots",
        "component counts movements holding at least 10 % of its hashtag uses (1 is ideal).",
        "",
        _table(model_rows, GROUPING),
        "",
        "## Coordination",
        "",
        _table(model_rows, COORDINATION),
        "",
        "## Naive baseline: top hashtags by 24 h growth ratio",
        "",
        _table(base_rows, RANKING[:3] + ALERTING),
        "",
        "## Ablations (mean over seeds; alerts replayed from stored score parts)",
        "",
        _table(ablation_rows, RANKING + ALERTING),
        "",
    ]
    if stance:
        held = stance["heldout"]
        hand = stance.get("heldout_handwritten") or {}
        rows = {}
        for name in ("model", "majority", "lexicon"):
            scores = held[name]
            rows[name] = {
                "held-out macro-F": scores["macro_f"],
                "FR": scores["by_lang"].get("fr", {}).get("macro_f", float("nan")),
                "EN": scores["by_lang"].get("en", {}).get("macro_f", float("nan")),
                "hand-written held-out": hand.get(name, {}).get("macro_f", float("nan")),
            }
        cv = stance.get("cv_train") or {}
        cv_all = cv.get("macro_f", float("nan"))
        cv_hand = (cv.get("handwritten") or {}).get("macro_f", float("nan"))
        parts += [
            "## Stance (macro-F = mean of F1(against) and F1(favour))",
            "",
            f"Held-out split of the shipped corpus (n={stance['n_test']}; see "
            "`docs/stance_corpus.md`), next to a majority-class and a lexicon-only baseline.",
            "",
            _table(rows, ["held-out macro-F", "FR", "EN", "hand-written held-out"]),
            "",
            f"5-fold cross-validated macro-F on the training part (topic-grouped folds): "
            f"{_fmt(cv_all)} overall, {_fmt(cv_hand)} on its hand-written rows.",
            "",
        ]
    return "\n".join(parts)
