"""What the Airflow DAGs do, as plain functions of an engine and keys.

Each DAG task is a few lines calling one function here (or in :mod:`pipeline.detect`,
:mod:`pipeline.ingest`); everything is usable and testable without Airflow. Every
function is idempotent for its key (a source, a window end, a run id, a reference
time), so clearing and rerunning a task gives the same rows.

==========================  ===================================================
ingest                      :func:`configured_sources`, :func:`ingest_source`
detect                      :func:`detect_params`, :func:`plan_windows`,
                            :func:`detect_windows`
retrain                     :func:`train_candidate`, :func:`evaluate_candidate`,
                            :func:`promote_if_not_worse`
maintenance                 :func:`drop_expired_partitions`,
                            :func:`ensure_partitions_ahead`,
                            :func:`purge_rejected`, :func:`fail_stale_runs`,
                            :func:`vacuum_analyze`
failures                    :func:`record_task_failure`, :func:`notify_webhook`
==========================  ===================================================
"""

from __future__ import annotations

import dataclasses
import glob
import hashlib
import inspect
import itertools
import json
import logging
import re
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from pipeline.config import Settings, get_settings
from pipeline.errors import ConfigError, InputError

__all__ = [
    "SOURCE_KINDS",
    "configured_sources",
    "detect_params",
    "detect_windows",
    "drop_expired_partitions",
    "ensure_partitions_ahead",
    "evaluate_candidate",
    "fail_stale_runs",
    "ingest_source",
    "notify_webhook",
    "plan_windows",
    "promote_if_not_worse",
    "purge_rejected",
    "record_task_failure",
    "source_name",
    "train_candidate",
    "vacuum_analyze",
]

log = logging.getLogger(__name__)

# ------------------------------------------------------------------------- ingest

_GLOB_CHARS = frozenset("*?[")

#: Source kinds and their required keys.
SOURCE_KINDS = {"files": "path", "mastodon": "instance", "bluesky": "query"}


def configured_sources(
    sources: Iterable[Mapping] | None = None, settings: Settings | None = None
) -> list[dict]:
    """The sources to ingest: ``sources`` if non-empty, else ``PROTESTWATCH_SOURCES``.

    Parameters
    ----------
    sources : iterable of dict, optional
        Source specs, e.g. ``{"kind": "files", "path": "/data/inbox"}``,
        ``{"kind": "mastodon", "instance": "piaille.fr", "hashtags": ["pigeons"]}``,
        ``{"kind": "bluesky", "query": "#pigeons"}``; further keys are options of the
        reader or collector (``format``, ``max_pages``, ``lang``, ...).
    settings : Settings, optional
        Where the default sources come from.

    Returns
    -------
    list of dict
        Validated specs (JSON-able; one mapped ingest task each).

    Raises
    ------
    ConfigError
        An unknown kind or a spec without its required key.
    """
    chosen = list(sources or ()) or list((settings or get_settings()).sources)
    checked = []
    for spec in chosen:
        if not isinstance(spec, Mapping):
            raise ConfigError(f"a source must be an object, got {spec!r}")
        kind = spec.get("kind")
        if kind not in SOURCE_KINDS:
            raise ConfigError(
                f"unknown source kind {kind!r} in {dict(spec)}; use one of {sorted(SOURCE_KINDS)}"
            )
        if not spec.get(SOURCE_KINDS[kind]):
            raise ConfigError(f"a {kind} source needs {SOURCE_KINDS[kind]!r}: {dict(spec)}")
        checked.append(dict(spec))
    if not checked:
        log.warning("no sources configured: set PROTESTWATCH_SOURCES or the sources param")
    return checked


def source_name(source: Mapping) -> str:
    """Short display name of a source spec (the mapped task's label)."""
    kind = source.get("kind")
    if kind == "files":
        return f"files:{source.get('path')}"
    if kind == "mastodon":
        tags = ",".join(f"#{t.lstrip('#')}" for t in source.get("hashtags") or ())
        return f"mastodon:{source.get('instance')}{' ' + tags if tags else ''}"
    query = source.get("query")
    return f"{kind}:{query if isinstance(query, str) else ','.join(query or ())}"


def _call_with_options(func, *args, options: Mapping, what: str):
    try:
        inspect.signature(func).bind(*args, **options)
    except TypeError as exc:
        raise ConfigError(f"{what}: {exc}") from None
    return func(*args, **options)


def _files(engine: Engine, source: Mapping, settings: Settings) -> list:
    from pipeline.ingest import ingest_paths

    path = Path(source["path"])
    if _empty_inbox(path):  # an existing inbox with nothing in it: nothing to do
        log.info("%s holds no file to ingest", path)
        return []
    options = {k: v for k, v in source.items() if k not in ("kind", "path")}
    return _call_with_options(
        ingest_paths,
        engine,
        [str(path)],
        options={**options, "settings": settings},
        what=f"files source {path}",
    )


def _empty_inbox(path: Path) -> bool:
    """True for an existing directory without files, or a pattern matching nothing
    below an existing directory (a missing directory is an error, not an empty inbox)."""
    from pipeline.sources.files import expand_paths

    text = str(path)
    if _GLOB_CHARS & set(text):
        root = Path(
            *[p for p in itertools.takewhile(lambda p: not _GLOB_CHARS & set(p), path.parts)]
        )
        return root.is_dir() and not glob.glob(text, recursive=True)
    if not path.is_dir():
        return False
    try:
        expand_paths(path)
    except InputError:
        return True
    return False


def ingest_source(engine: Engine, source: Mapping, settings: Settings | None = None) -> dict:
    """Ingest one source: the files of a path (loaded files skipped by checksum) or
    what a live collector finds new since its cursor.

    Parameters
    ----------
    engine : Engine
        Target database with the current schema.
    source : dict
        A spec from :func:`configured_sources`.
    settings : Settings, optional
        Chunk size and pseudonymisation key.

    Returns
    -------
    dict
        ``source``, ``runs`` (ingest runs that loaded), ``files``, ``skipped``,
        ``read``, ``loaded``, ``duplicates``, ``rejected`` and ``asset``: the extra of
        the posts asset event (``source``, ``ingest_run_ids``, ``loaded``,
        ``first_post_at``, ``last_post_at`` of the posts loaded).
    """
    settings = settings or get_settings()
    kind = source["kind"]
    options = {k: v for k, v in source.items() if k not in ("kind", SOURCE_KINDS[kind])}
    if kind == "files":
        summaries = _files(engine, source, settings)
    elif kind == "mastodon":
        from pipeline.collect import collect_mastodon

        options.setdefault("settings", settings)
        summaries = _call_with_options(
            collect_mastodon, engine, source["instance"], options=options, what="mastodon source"
        )
    else:
        from pipeline.collect import collect_bluesky

        options.setdefault("settings", settings)
        summaries = _call_with_options(
            collect_bluesky, engine, source["query"], options=options, what="bluesky source"
        )
    totals = {"read": 0, "loaded": 0, "duplicates": 0, "rejected": 0}
    for summary in summaries:
        for key in totals:
            totals[key] += getattr(summary, key)
    runs = [s.ingest_run_id for s in summaries if s.status == "done" and s.loaded]
    first, last = _loaded_range(engine, runs)
    name = source_name(source)
    return {
        "source": name,
        "runs": runs,
        "files": len(summaries),
        "skipped": sum(s.status == "skipped" for s in summaries),
        **totals,
        "asset": {
            "source": name,
            "ingest_run_ids": runs,
            "loaded": totals["loaded"],
            "first_post_at": first,
            "last_post_at": last,
        },
    }


def _loaded_range(engine: Engine, runs: list[int]) -> tuple[str | None, str | None]:
    if not runs:
        return None, None
    with engine.connect() as conn:
        row = conn.execute(
            sa.text(
                "SELECT min(created_at), max(created_at) FROM posts "
                "WHERE ingest_run_id = ANY(:runs)"
            ),
            {"runs": runs},
        ).one()
    return tuple(None if v is None else pd.Timestamp(v).isoformat() for v in row)


# ------------------------------------------------------------------------- detect


def detect_params(params: Mapping[str, Any], settings: Settings | None = None):
    """The :class:`~pipeline.detect.DetectParams` of a DAG run's params.

    Every field of ``DetectParams`` may be a param of the same name; a missing or
    null one keeps its default (``window_hours``/``baseline_days`` from the
    settings). Other params are ignored.

    Raises
    ------
    ConfigError
        A negative count, a zero window, or ``alert_off`` above ``alert_on``.
    """
    from pipeline.detect import DetectParams

    names = [f.name for f in dataclasses.fields(DetectParams)]
    overrides = {n: params[n] for n in names if params.get(n) is not None}
    result = DetectParams.from_settings(settings or get_settings(), **overrides)
    sizes = {n: getattr(result, n) for n in names if isinstance(getattr(result, n), int)}
    positive = {"window_hours", "baseline_days", "max_movements"}
    if bad := {n: v for n, v in sizes.items() if v < 0 or (v == 0 and n in positive)}:
        raise ConfigError(f"detect params out of range: {bad}")
    if result.alert_off > result.alert_on:
        raise ConfigError(f"alert_off ({result.alert_off}) is above alert_on ({result.alert_on})")
    return result


def _hour(value) -> pd.Timestamp:
    ts = pd.Timestamp(value)
    ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
    return ts.floor("h")


def plan_windows(
    engine: Engine,
    *,
    window_end=None,
    window_end_to=None,
    interval_end=None,
    run_after=None,
    events: Iterable[Mapping] = (),
    max_catchup: int = 24,
) -> list[pd.Timestamp]:
    """The window ends a detect run computes, in time order.

    1. An explicit ``window_end`` (the DAG param): that hour, or with
       ``window_end_to`` every hour from one to the other (a backfill in one run:
       Airflow does not backfill asset-scheduled DAGs).
    2. An asset-triggered run (``events`` = extras of the posts asset events that
       triggered it): the latest *full* hour of the data loaded, ``floor_hour(max
       last_post_at)`` (the hour holding the newest post is taken as incomplete),
       at most ``floor_hour(run_after)``; preceded by the hours since the last
       ``done`` window that were not computed (at most ``max_catchup`` windows in
       all), so hourly ingests that were merged into one run leave no gap.
    3. A manual, scheduled or backfill run with a data interval: ``floor_hour(
       data_interval_end)``, so runs over consecutive logical dates give exactly
       the windows of one ``run_range`` over the same range.
    4. Otherwise ``floor_hour(run_after)``.

    Parameters
    ----------
    engine : Engine
        Database (read for the last done window in case 2).
    window_end, window_end_to, interval_end, run_after : timestamp-like, optional
        From the DAG run.
    events : iterable of dict
        Asset event extras.
    max_catchup : int
        Most windows of an asset-triggered run.

    Returns
    -------
    list of pandas.Timestamp
        Window ends (UTC, on the hour).
    """
    if window_end:
        try:
            first, last = _hour(window_end), _hour(window_end_to or window_end)
        except ValueError:
            raise ConfigError(f"not a timestamp: {window_end!r} or {window_end_to!r}") from None
        if last < first:
            raise ConfigError(f"window_end_to {window_end_to} is before window_end {window_end}")
        return list(pd.date_range(first, last, freq="h"))
    lasts = [e.get("last_post_at") for e in events if e and e.get("last_post_at")]
    if lasts:
        target = max(_hour(t) for t in lasts)
        if run_after is not None:
            target = min(target, _hour(run_after))
        with engine.connect() as conn:
            done = conn.scalar(
                sa.text(
                    "SELECT max(window_end) FROM detect_runs "
                    "WHERE status = 'done' AND window_end < :t"
                ),
                {"t": target},
            )
        first = target
        if done is not None:  # catch up on the hours not computed since the last window
            earliest = target - pd.Timedelta(hours=max(max_catchup, 1) - 1)
            first = max(earliest, _hour(done) + pd.Timedelta(hours=1))
        return list(pd.date_range(first, target, freq="h"))
    if interval_end is not None:
        return [_hour(interval_end)]
    return [_hour(run_after if run_after is not None else datetime.now(UTC))]


def detect_windows(engine: Engine, window_ends: Iterable, params=None) -> dict:
    """Run :func:`pipeline.detect.run_window` for each window end, in order.

    Models are loaded once. Each window is written idempotently under its advisory
    lock (see :func:`pipeline.detect.lock_window`).

    Returns
    -------
    dict
        ``window_ends`` (ISO strings), ``windows`` (each window's summary) and
        ``n_alerts``: small and JSON-able.
    """
    from pipeline.detect import Models, run_window

    ends = [_hour(w) for w in window_ends]
    if not ends:
        return {"window_ends": [], "windows": [], "n_alerts": 0}
    models = Models.load()
    results = [run_window(engine, w, params=params, models=models) for w in ends]
    for result in results:
        log.info("%s", result.describe())
    return {
        "window_ends": [w.isoformat() for w in ends],
        "windows": [r.summary() for r in results],
        "n_alerts": sum(r.n_alerts for r in results),
    }


# ------------------------------------------------------------------------ retrain


def _models_dir(settings: Settings) -> Path:
    return settings.home / "models"


def _read_corpus(path) -> pd.DataFrame:
    from models.stance import load_stance_corpus

    try:
        return load_stance_corpus(path)
    except (FileNotFoundError, ValueError) as exc:
        raise InputError(f"cannot read the labeled data: {exc}") from None


def _split(corpus: str | None, heldout: str | None, settings: Settings):
    """Training and held-out rows of the labeled data (deterministic)."""
    from models.stance import split_heldout

    corpus = corpus or (str(settings.stance_corpus) if settings.stance_corpus else None)
    data = _read_corpus(corpus)
    if heldout:
        train, test = data, _read_corpus(heldout)
        if "split" in train.columns:
            train = train[train["split"] != "heldout"].reset_index(drop=True)
    elif "split" in data.columns:
        train, test = split_heldout(data)
    else:  # a quarter of the rows, chosen by a hash of their text
        digest = data["text"].map(lambda t: hashlib.sha256(t.encode()).digest()[0])
        test = data[digest % 4 == 0].reset_index(drop=True)
        train = data[digest % 4 != 0].reset_index(drop=True)
    if train.empty or test.empty or train["label"].nunique() < 2:
        raise InputError(
            f"labeled data {corpus or 'shipped corpus'}: need training rows with at least "
            f"two labels and held-out rows (got {len(train)} and {len(test)})"
        )
    return train, test, corpus or "shipped"


def train_candidate(
    run_id: str,
    corpus: str | None = None,
    heldout: str | None = None,
    settings: Settings | None = None,
) -> dict:
    """Train a candidate stance model on the training rows of the labeled data.

    The held-out rows come from ``heldout`` (a CSV) if given, else the corpus's
    ``split`` column, else a hash of the text (a quarter of the rows). The
    candidate is saved under ``$PROTESTWATCH_HOME/models/candidates/`` (named after
    the run, so a rerun overwrites it with the same model); the key is its path.

    Returns
    -------
    dict
        ``candidate`` (path), ``corpus``, ``heldout``, ``corpus_sha256``,
        ``n_train``, ``n_heldout``.
    """
    from models.stance import corpus_checksum, train_stance

    settings = settings or get_settings()
    train, test, corpus_name = _split(corpus, heldout, settings)
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", run_id)
    path = _models_dir(settings) / "candidates" / f"stance-{safe}.joblib"
    train_stance(train, out=path, random_state=0, n_splits=0)
    return {
        "candidate": str(path),
        "corpus": corpus_name,
        "heldout": heldout,
        "corpus_sha256": corpus_checksum(train),
        "n_train": len(train),
        "n_heldout": len(test),
    }


def _current_model(settings: Settings):
    from models.stance import load_default_model, load_model
    from pipeline.detect import stance_model_path

    path = stance_model_path(settings)
    if path.is_file():
        return load_model(path), str(path)
    return load_default_model(cache_dir=_models_dir(settings)), "default"


def evaluate_candidate(candidate: Mapping, settings: Settings | None = None) -> dict:
    """Macro-F of the candidate and of the current model on the same held-out rows.

    The current model is the one detect loads (:func:`pipeline.detect.
    stance_model_path` if it exists, else the shipped default). Note that the
    shipped default was trained on every row of the shipped corpus, held-out rows
    included, so against it the bar is high when the labeled data is the shipped
    corpus.

    Returns
    -------
    dict
        ``candidate`` plus ``candidate_macro_f``, ``current_macro_f``,
        ``current_model`` and ``scores`` (per-model :func:`models.stance.stance_scores`).
    """
    from models.stance import load_model, stance_scores

    settings = settings or get_settings()
    _, test, _ = _split(
        None if candidate["corpus"] == "shipped" else candidate["corpus"],
        candidate.get("heldout"),
        settings,
    )
    texts, gold = test["text"].tolist(), test["label"].to_numpy(dtype=object)
    lang = test["lang"].to_numpy(dtype=object) if "lang" in test else None
    model = load_model(candidate["candidate"])
    current, current_name = _current_model(settings)
    scores = {
        "candidate": stance_scores(gold, model.predict(texts), lang),
        "current": stance_scores(gold, current.predict(texts), lang),
    }
    return {
        **candidate,
        "candidate_macro_f": scores["candidate"]["macro_f"],
        "current_macro_f": scores["current"]["macro_f"],
        "current_model": current_name,
        "scores": scores,
    }


def promote_if_not_worse(
    engine: Engine,
    evaluation: Mapping,
    run_id: str,
    min_gain: float = 0.0,
    settings: Settings | None = None,
) -> dict:
    """Promote the candidate if its macro-F is at least the current model's + ``min_gain``.

    Promotion writes the candidate (atomically) to the file detect loads
    (:func:`pipeline.detect.stance_model_path`); detect runs started afterwards use
    it and classify posts afresh (the stance cache is keyed by the model). The
    decision is recorded in ``model_promotions`` once per run: a rerun returns the
    recorded decision and does not promote again.

    Returns
    -------
    dict
        ``promoted``, ``reason``, both macro-F scores, ``model_path``.
    """
    from models.stance import load_model, load_model_metadata, save_model
    from pipeline.detect import stance_model_path

    settings = settings or get_settings()
    with engine.connect() as conn:
        recorded = conn.execute(
            sa.text(
                "SELECT promoted, reason, candidate_macro_f, current_macro_f, model_path "
                "FROM model_promotions WHERE model = 'stance' AND run_id = :r"
            ),
            {"r": run_id},
        ).one_or_none()
    if recorded is not None:
        log.info("run %s already decided: %s", run_id, recorded.reason)
        return dict(recorded._mapping)
    candidate_f, current_f = evaluation["candidate_macro_f"], evaluation["current_macro_f"]
    promoted = candidate_f >= current_f + min_gain
    reason = (
        f"candidate macro-F {candidate_f:.4f} {'>=' if promoted else '<'} current "
        f"{current_f:.4f}{f' + {min_gain}' if min_gain else ''} ({evaluation['current_model']})"
    )
    path = stance_model_path(settings)
    if promoted:
        metadata = load_model_metadata(evaluation["candidate"])
        metadata["promotion"] = {
            "run_id": run_id,
            "candidate_macro_f": candidate_f,
            "replaced": evaluation["current_model"],
            "replaced_macro_f": current_f,
        }
        save_model(load_model(evaluation["candidate"]), path, metadata=metadata)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO model_promotions (model, run_id, promoted, candidate_macro_f, "
                "current_macro_f, current_model, model_path, candidate_path, corpus, "
                "corpus_sha256, n_train, n_heldout, reason, evaluation) VALUES ('stance', :r, "
                ":p, :cf, :uf, :um, :mp, :cp, :c, :sha, :nt, :nh, :reason, CAST(:e AS jsonb)) "
                "ON CONFLICT (model, run_id) DO NOTHING"
            ),
            {
                "r": run_id,
                "p": promoted,
                "cf": candidate_f,
                "uf": current_f,
                "um": evaluation["current_model"],
                "mp": str(path),
                "cp": evaluation["candidate"],
                "c": evaluation["corpus"],
                "sha": evaluation["corpus_sha256"],
                "nt": evaluation["n_train"],
                "nh": evaluation["n_heldout"],
                "reason": reason,
                "e": json.dumps(evaluation.get("scores", {})),
            },
        )
    log.info("%s: %s", "promoted" if promoted else "not promoted", reason)
    return {
        "promoted": promoted,
        "reason": reason,
        "candidate_macro_f": candidate_f,
        "current_macro_f": current_f,
        "model_path": str(path),
    }


# -------------------------------------------------------------------- maintenance


def _log_action(conn, run_id, action, target=None, n_rows=None, detail=None) -> None:
    conn.execute(
        sa.text(
            "INSERT INTO maintenance_log (run_id, action, target, n_rows, detail) "
            "VALUES (:r, :a, :t, :n, CAST(:d AS jsonb))"
        ),
        {"r": run_id, "a": action, "t": target, "n": n_rows, "d": json.dumps(detail or {})},
    )


def _month_start(moment: pd.Timestamp) -> pd.Timestamp:
    moment = pd.Timestamp(moment).tz_convert("UTC")
    return pd.Timestamp(year=moment.year, month=moment.month, day=1, tz="UTC")


def drop_expired_partitions(
    engine: Engine, now, retention_days: int, run_id: str | None = None
) -> dict:
    """Drop the monthly partitions of raw posts older than ``retention_days``.

    Whole months go at once: the partitions of ``posts``, ``post_hashtags`` and
    ``interactions`` whose month ended at or before ``now - retention_days`` (so
    posts are kept between ``retention_days`` and ``retention_days`` + one month).
    The stance cache of those posts goes with them. Results (``movement_*``,
    ``alerts``) and bookkeeping are kept. ``now`` is the run's reference time
    (its data interval end), so a rerun drops the same partitions.

    Returns
    -------
    dict
        ``cutoff``, ``dropped`` (partition names) and ``stance_rows_deleted``.
    """
    if retention_days <= 0:
        raise ConfigError(f"retention_days must be positive, got {retention_days}")
    cutoff = pd.Timestamp(now).tz_convert("UTC") - pd.Timedelta(days=retention_days)
    with engine.begin() as conn:
        conn.exec_driver_sql("SET LOCAL lock_timeout = '60s'")
        dropped = conn.scalars(
            sa.text("SELECT protestwatch_drop_partitions_before(:c)"), {"c": cutoff}
        ).all()
        boundary = _month_start(cutoff)
        stance = conn.execute(
            sa.text("DELETE FROM post_stance WHERE created_at < :b"), {"b": boundary}
        ).rowcount
        for name in dropped:
            _log_action(conn, run_id, "drop_partition", name, detail={"cutoff": str(cutoff)})
        if stance:
            _log_action(conn, run_id, "purge_stance_cache", "post_stance", stance)
    log.info("retention cutoff %s: dropped %s", cutoff, dropped or "nothing")
    return {"cutoff": cutoff.isoformat(), "dropped": dropped, "stance_rows_deleted": stance}


def ensure_partitions_ahead(engine: Engine, now, months_ahead: int, run_id=None) -> dict:
    """Create the monthly partitions from ``now``'s month to ``months_ahead`` months on."""
    lo = _month_start(now)
    hi = lo + pd.DateOffset(months=max(months_ahead, 0))
    with engine.begin() as conn:
        created = conn.scalar(
            sa.text("SELECT protestwatch_ensure_partitions(:lo, :hi)"), {"lo": lo, "hi": hi}
        )
        if created:
            _log_action(conn, run_id, "create_partitions", None, created, {"to": str(hi)})
    return {"from": lo.isoformat(), "to": hi.isoformat(), "created": int(created)}


def purge_rejected(engine: Engine, now, older_than_days: int, run_id=None) -> dict:
    """Delete quarantined records (``rejected_records``) older than the given age."""
    cutoff = pd.Timestamp(now).tz_convert("UTC") - pd.Timedelta(days=older_than_days)
    with engine.begin() as conn:
        deleted = conn.execute(
            sa.text("DELETE FROM rejected_records WHERE rejected_at < :c"), {"c": cutoff}
        ).rowcount
        if deleted:
            _log_action(conn, run_id, "purge_rejected", "rejected_records", deleted)
    return {"cutoff": cutoff.isoformat(), "deleted": deleted}


def fail_stale_runs(engine: Engine, stale_hours: int, run_id=None) -> dict:
    """Mark ``running`` ingest and detect runs older than ``stale_hours`` as failed.

    A process killed mid-run leaves its bookkeeping row ``running``; the age is
    measured on the wall clock (``started_at`` is).
    """
    counts = {}
    with engine.begin() as conn:
        for table in ("ingest_runs", "detect_runs"):
            counts[table] = conn.execute(
                sa.text(
                    f"UPDATE {table} SET status = 'failed', finished_at = clock_timestamp(), "
                    "error = coalesce(error, 'marked failed by maintenance: still running "
                    "after ' || CAST(:h AS text) || ' h') WHERE status = 'running' "
                    "AND started_at < now() - make_interval(hours => CAST(:h AS integer))"
                ),
                {"h": int(stale_hours)},
            ).rowcount
            if counts[table]:
                _log_action(conn, run_id, "fail_stale_runs", table, counts[table])
    return counts


def vacuum_analyze(engine: Engine, vacuum: bool = True, run_id=None) -> dict:
    """``VACUUM (ANALYZE)`` (or ``ANALYZE``) every protestwatch table.

    Runs outside a transaction (VACUUM must). Autovacuum never analyses a
    partitioned parent, so this keeps the planner's statistics of ``posts`` & co.
    """
    command = "VACUUM (ANALYZE)" if vacuum else "ANALYZE"
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        tables = conn.scalars(
            sa.text(
                "SELECT c.relname FROM pg_class AS c "
                "JOIN pg_namespace AS n ON n.oid = c.relnamespace "
                "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') "
                "AND NOT c.relispartition ORDER BY c.relname"
            )
        ).all()
        for table in tables:
            conn.exec_driver_sql(f'{command} "{table}"')
    with engine.begin() as conn:
        _log_action(conn, run_id, "vacuum" if vacuum else "analyze", None, len(tables))
    return {"command": command, "tables": len(tables)}


# ----------------------------------------------------------------------- failures


def record_task_failure(engine: Engine, failure: Mapping) -> None:
    """Insert (or update) the ``task_failures`` row of one failed task try.

    ``failure`` has ``dag_id``, ``task_id``, ``map_index``, ``run_id``,
    ``try_number``, ``state`` (``up_for_retry`` or ``failed``), ``logical_date``,
    ``error_type``, ``error`` and ``notified``.
    """
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO task_failures (dag_id, task_id, map_index, run_id, try_number, "
                "state, logical_date, error_type, error, notified) VALUES (:dag_id, :task_id, "
                ":map_index, :run_id, :try_number, :state, :logical_date, :error_type, :error, "
                ":notified) ON CONFLICT (dag_id, task_id, map_index, run_id, try_number) "
                "DO UPDATE SET state = EXCLUDED.state, error_type = EXCLUDED.error_type, "
                "error = EXCLUDED.error, notified = EXCLUDED.notified, failed_at = now()"
            ),
            {
                **{k: failure.get(k) for k in ("logical_date", "error_type", "error")},
                **{k: failure[k] for k in ("dag_id", "task_id", "run_id", "state")},
                "map_index": int(failure.get("map_index", -1)),
                "try_number": int(failure.get("try_number") or 0),
                "notified": bool(failure.get("notified", False)),
            },
        )


def notify_webhook(url: str, payload: Mapping, timeout: float = 10.0) -> bool:
    """POST ``payload`` as JSON to ``url``; True on a 2xx answer, never raises.

    The payload carries a ``text`` line, so Slack/Mattermost/Teams-style incoming
    webhooks show it as is.
    """
    body = json.dumps(payload, default=str).encode("utf-8")
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return 200 <= response.status < 300
    except (urllib.error.URLError, OSError, ValueError) as exc:
        log.warning("failure webhook %s did not answer: %s", url, exc)
        return False
