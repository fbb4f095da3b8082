"""One detect window: clusters -> movements -> scores -> rank -> alerts -> Postgres.

For a window end ``T`` the analysis window is ``[T - W, T)`` (``W`` =
``window_hours``) and the baseline is the ``baseline_days`` before it. The final
emergence-of-opposition score of a movement is a product of interpretable parts,
each in [0, 1] and kept in its own column of ``movement_windows``::

    score = emergence * opposition * (0.5 + 0.5 * grassroots) * (1 - coordination)

* ``emergence``  -- :class:`models.emergence.EmergenceScorer`: growth against the
  movement's own seasonal baseline, burst, new-author share;
* ``opposition`` -- smoothed share of posts classified *against* a target by
  :class:`models.stance.OppositionClassifier`: ``(n_against + 1) / (n + 4)``
  (a Beta(1, 3) prior: a movement must earn its opposition with posts);
* ``grassroots`` -- :class:`models.grassroots.GrassrootsScorer`: ordinary authors
  rather than institutions, intermediaries bypassed (halves the score at worst);
* ``coordination`` -- :class:`models.coordination.CoordinationDetector`: share of the
  movement carried by coordinated accounts (co-posting, co-links, fresh accounts).

Alerts use hysteresis: a movement fires when its score reaches ``alert_on`` (with at
least ``alert_min_posts`` posts, after ``alert_warmup_hours`` of corpus history) and
it has no open episode; an episode closes once the movement has spent
``alert_quiet_hours`` without a window at or above ``alert_off``. One alert per
episode, with its evidence.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from pipeline import window_data
from pipeline.config import Settings, get_settings
from pipeline.results import WindowTables, write_window
from pipeline.store import copy_frame

__all__ = [
    "PROMOTED_STANCE_FILE",
    "DetectParams",
    "Models",
    "WindowInputs",
    "WindowResult",
    "analyse_window",
    "episode_open",
    "lock_window",
    "run_range",
    "run_window",
    "stance_model_path",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DetectParams:
    """Knobs of a detect run; defaults documented in ``docs/operations.md``."""

    window_hours: int = 24
    baseline_days: int = 7
    min_movement_posts: int = 10
    max_movements: int = 100
    authors_kept: int = 50
    community_lookback_hours: int = 48
    tracking_lookback_hours: int = 48
    alert_on: float = 0.3
    alert_off: float = 0.15
    alert_quiet_hours: int = 24
    alert_min_posts: int = 10
    alert_warmup_hours: int = 48

    @classmethod
    def from_settings(cls, settings: Settings, **overrides) -> DetectParams:
        """Defaults with the window sizes of ``settings`` and explicit overrides."""
        base = cls(window_hours=settings.window_hours, baseline_days=settings.baseline_days)
        return replace(base, **overrides)


#: File under ``$PROTESTWATCH_HOME/models`` the retrain DAG promotes stance models to.
PROMOTED_STANCE_FILE = "stance-promoted.joblib"


def stance_model_path(settings: Settings) -> Path:
    """The stance model file detect loads when it exists (and promotion writes).

    ``PROTESTWATCH_STANCE_MODEL`` when set, else
    ``$PROTESTWATCH_HOME/models/stance-promoted.joblib``; without that file detect
    uses the shipped default model.
    """
    return settings.stance_model or settings.home / "models" / PROMOTED_STANCE_FILE


def lock_window(conn: sa.Connection, window_end: pd.Timestamp) -> None:
    """Serialise writers of one window for the rest of ``conn``'s transaction.

    A transaction-level advisory lock keyed by the window end (in hours since the
    epoch): a second run of the same window, from another Airflow run or the CLI,
    waits until the first commits and then recomputes and rewrites the window, so
    two runs never interleave their reads and writes. Released at commit/rollback.
    """
    conn.execute(
        sa.text(
            "SELECT pg_advisory_xact_lock("
            "hashtext('protestwatch.detect_window'), CAST(:hour AS integer))"
        ),
        {"hour": int(pd.Timestamp(window_end).timestamp() // 3600)},
    )


@dataclass
class Models:
    """The fitted or loaded models a detect run needs (loaded once per process).

    ``stance_version`` keys the per-post stance cache (``post_stance``): a new model
    gets a new version and classifies posts afresh.
    """

    stance: object
    institutional: pd.DataFrame
    institutional_handles: list[str] = field(default_factory=list)
    stance_version: str = "default"

    @classmethod
    def load(cls, settings: Settings | None = None) -> Models:
        """Load the default stance model and the institutional account list."""
        from models.grassroots import load_institutional_accounts
        from models.stance import load_default_model, load_model
        from pipeline.normalize import pseudonymise

        settings = settings or get_settings()
        institutional = load_institutional_accounts(settings.institutional_accounts)
        handles = institutional["handle"].str.lstrip("@").str.casefold()
        if settings.pseudonymise_key is not None:
            handles = pseudonymise(handles, settings.pseudonymise_key)
        path = stance_model_path(settings)
        if path.is_file():
            stance = load_model(path)
        else:
            stance = load_default_model(cache_dir=settings.home / "models")
        return cls(
            stance=stance,
            institutional=institutional,
            institutional_handles=handles.tolist(),
            stance_version=f"default-{joblib.hash(stance)[:16]}",
        )


@dataclass
class WindowResult:
    """Summary of one detect window (small and JSON-able for Airflow)."""

    window_end: pd.Timestamp
    n_posts: int
    n_clusters: int
    n_movements: int
    n_alerts: int
    seconds: float
    top: pd.DataFrame = field(repr=False, default_factory=pd.DataFrame)

    def summary(self) -> dict:
        """JSON-able summary without the ranked table."""
        data = asdict(self)
        data.pop("top")
        data["window_end"] = self.window_end.isoformat()
        return data

    def describe(self) -> str:
        """One line for the CLI."""
        return (
            f"window ending {self.window_end:%Y-%m-%d %H:%M} UTC: {self.n_posts:,} posts with "
            f"hashtags, {self.n_clusters} clusters, {self.n_movements} movements, "
            f"{self.n_alerts} new alert(s) in {self.seconds:.1f} s"
        )


def _empty(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(columns=columns)


def _top_items(frame: pd.DataFrame, by: str, key: str, n: int) -> pd.DataFrame:
    """The ``n`` largest rows of each ``key`` group by ``by`` (vectorised)."""
    ordered = frame.sort_values([key, by], ascending=[True, False], kind="stable")
    return ordered[ordered.groupby(key).cumcount() < n]


@dataclass
class WindowInputs:
    """What one window reads from the database; the ``fetch_*`` callables read more
    rows once the movements are known, so only what is needed leaves the database."""

    window_end: pd.Timestamp
    post_tags: pd.DataFrame
    interactions: pd.DataFrame
    corpus_hourly: pd.DataFrame
    previous: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]
    last_alerts: pd.DataFrame
    institutional_uids: list[str]
    fetch_posts: Callable[[list[str]], pd.DataFrame]
    fetch_hourly: Callable[[pd.DataFrame], tuple[pd.DataFrame, pd.Series]]


def analyse_window(inputs: WindowInputs, models: Models, params: DetectParams) -> WindowTables:
    """Turn one window's data into result tables (pure pandas; no database).

    Parameters
    ----------
    inputs : WindowInputs
        The window's rows and the callables reading more.
    models : Models
        Stance model and institutional accounts.
    params : DetectParams
        Thresholds.

    Returns
    -------
    WindowTables
        Rows for every result table of the window.
    """
    window_end = inputs.window_end
    post_tags, interactions = inputs.post_tags, inputs.interactions
    from models.communities import CommunityDetector
    from models.coordination import CoordinationDetector
    from models.emergence import EmergenceScorer
    from models.grassroots import GrassrootsScorer
    from models.hashtags import HashtagClusterer
    from models.tracking import MovementTracker, lifecycle_status

    clusterer = HashtagClusterer(random_state=0).fit(post_tags)
    assigned = clusterer.predict(post_tags)
    sizes = assigned.groupby("cluster").size()
    kept = sizes[sizes >= params.min_movement_posts].nlargest(params.max_movements).index
    assigned = assigned[assigned["cluster"].isin(kept)]
    uses = post_tags.merge(assigned, on="post_uid")
    cluster_tags = (
        uses.groupby(["cluster", "tag_norm"])
        .agg(posts=("post_uid", "nunique"), authors=("author_uid", "nunique"), tag=("tag", _mode))
        .reset_index()
    )
    cluster_tags = cluster_tags.merge(
        clusterer.clusters_[["tag_norm", "cluster"]], on=["tag_norm", "cluster"]
    )
    post_authors = uses.drop_duplicates("post_uid")[
        ["post_uid", "author_uid", "created_at", "cluster"]
    ]
    cluster_authors = (
        post_authors.groupby(["cluster", "author_uid"])
        .agg(posts=("post_uid", "size"), first_post_at=("created_at", "min"))
        .reset_index()
    )

    prev_tags, prev_authors, history = inputs.previous
    tracked = MovementTracker().match(
        prev_tags,
        prev_authors,
        cluster_tags.rename(columns={"posts": "weight"})[["cluster", "tag_norm", "weight"]],
        cluster_authors[["cluster", "author_uid"]],
        window_end,
    )
    ids = tracked.assignments.set_index("cluster")["movement_id"]
    cluster_tags["movement_id"] = cluster_tags["cluster"].map(ids)
    cluster_authors["movement_id"] = cluster_authors["cluster"].map(ids)
    post_authors = post_authors.assign(movement_id=post_authors["cluster"].map(ids))

    hourly, window_authors = inputs.fetch_hourly(cluster_tags[["movement_id", "tag_norm"]])
    emergence = EmergenceScorer(
        window_hours=params.window_hours, baseline_days=params.baseline_days
    ).score(hourly, inputs.corpus_hourly, window_end, window_authors=window_authors)

    posts = inputs.fetch_posts(post_authors["post_uid"].tolist()).merge(
        post_authors[["post_uid", "movement_id"]], on="post_uid"
    )
    unknown = posts["stance"].isna().to_numpy()
    if unknown.any():
        posts.loc[unknown, "stance"] = models.stance.predict(posts.loc[unknown, "text"].tolist())
    new_stance = posts.loc[unknown, ["post_uid", "created_at", "stance"]]
    stance = (
        pd.crosstab(posts["movement_id"], posts["stance"])
        .reindex(columns=["against", "favour", "none"], fill_value=0)
        .rename(columns=lambda c: f"n_{c}")
    )

    coordination = CoordinationDetector(random_state=0).fit(posts)
    communities = CommunityDetector(random_state=0).fit(interactions, reference_time=window_end)
    movement_authors = cluster_authors[["movement_id", "author_uid", "posts"]]
    carriers = communities.describe(movement_authors)
    movement_interactions = interactions.merge(
        post_authors[["post_uid", "movement_id"]], on="post_uid"
    )
    grassroots = GrassrootsScorer(
        institutional_handles=[], institutional_author_uids=inputs.institutional_uids
    ).fit_transform(movement_authors, movement_interactions)

    windows = _score(emergence, stance, grassroots, coordination.movement_scores_, window_end)
    status_history = pd.concat(
        [
            history[["movement_id", "window_end", "posts"]],
            windows[["movement_id", "window_end", "posts"]],
        ],
        ignore_index=True,
    )
    windows = windows.merge(lifecycle_status(status_history, window_end), on="movement_id")
    alerts = _alerts(windows, inputs, params, cluster_tags, posts, carriers, coordination)

    labels = (
        _top_items(cluster_tags, "posts", "movement_id", 3)
        .groupby("movement_id")["tag"]
        .agg(lambda tags: " ".join(f"#{t}" for t in tags))
    )
    parents = tracked.lineage.groupby("movement_id")["related_id"].agg(sorted)
    movements = pd.DataFrame({"movement_id": windows["movement_id"]})
    movements["label"] = movements["movement_id"].map(labels)
    movements["status"] = movements["movement_id"].map(windows.set_index("movement_id")["status"])
    movements["parent_ids"] = movements["movement_id"].map(parents)
    movements["parent_ids"] = movements["parent_ids"].apply(
        lambda p: p if isinstance(p, list) else []
    )

    authors_kept = _top_items(cluster_authors, "posts", "movement_id", params.authors_kept)
    authors_kept = authors_kept.merge(
        communities.communities_[["author_uid", "community"]], on="author_uid", how="left"
    )
    return WindowTables(
        window_end=window_end,
        movements=movements,
        windows=windows.drop(columns=["window_end"]),
        hashtags=cluster_tags[["movement_id", "tag_norm", "tag", "posts", "authors"]],
        authors=authors_kept[["movement_id", "author_uid", "posts", "first_post_at", "community"]],
        communities=carriers[["movement_id", "community", "authors", "posts", "share"]],
        lineage=tracked.lineage[["movement_id", "related_id", "kind", "similarity"]],
        coordinated=coordination.coordinated_accounts_.rename(columns={"group": "grp"})[
            ["movement_id", "author_uid", "grp", "reasons", "score"]
        ],
        alerts=alerts,
        extra={
            "new_stance": new_stance,
            "n_posts": int(post_tags["post_uid"].nunique()),
            "n_clusters": len(clusterer.clusters_["cluster"].unique()),
        },
    )


def _mode(values: pd.Series) -> str:
    return values.value_counts().index[0]


def _score(emergence, stance, grassroots, coordination, window_end) -> pd.DataFrame:
    frame = emergence.merge(stance, left_on="movement_id", right_index=True, how="left")
    frame = frame.merge(
        grassroots[["movement_id", "institutional_post_share", "grassroots"]],
        on="movement_id",
        how="left",
    )
    frame = frame.merge(coordination[["movement_id", "coordination"]], on="movement_id", how="left")
    for column in ("n_against", "n_favour", "n_none"):
        frame[column] = frame[column].fillna(0).astype(int)
    frame = frame.fillna({"grassroots": 0.5, "coordination": 0.0, "institutional_post_share": 0.0})
    # p-values below 1e-300 underflow to an infinite surprise; report them as 300
    frame["surprise"] = frame["surprise"].clip(upper=300.0)
    n = frame[["n_against", "n_favour", "n_none"]].sum(axis=1)
    frame["opposition"] = (frame["n_against"] + 1) / (n + 4)
    frame["score"] = (
        frame["emergence"]
        * frame["opposition"]
        * (0.5 + 0.5 * frame["grassroots"])
        * (1 - frame["coordination"])
    )
    frame = frame.sort_values(["score", "posts", "movement_id"], ascending=[False, False, True])
    frame["rank"] = np.arange(1, len(frame) + 1)
    frame["window_end"] = window_end
    frame = frame.rename(columns={"institutional_post_share": "institutional_share"})
    columns = [
        "movement_id", "window_end", "posts", "authors", "new_authors", "expected", "growth",
        "surprise", "acceleration", "burst", "new_author_share", "emergence", "n_against",
        "n_favour", "n_none", "opposition", "institutional_share", "grassroots",
        "coordination", "score", "rank",
    ]  # fmt: skip
    return frame[columns].reset_index(drop=True)


def _alerts(windows, inputs, params, cluster_tags, posts, carriers, coordination):
    """Alerts of this window with hysteresis, one per episode, with evidence."""
    history, last_alerts = inputs.previous[2], inputs.last_alerts
    if _history_hours(inputs.corpus_hourly) < params.alert_warmup_hours:
        return _empty(["movement_id", "episode", "fired_at", "score", "reason", "evidence"])
    candidates = windows[
        (windows["score"] >= params.alert_on) & (windows["posts"] >= params.alert_min_posts)
    ]
    if candidates.empty:
        return _empty(["movement_id", "episode", "fired_at", "score", "reason", "evidence"])
    last = last_alerts.set_index("movement_id")
    active = _last_active(history, last, params.alert_off)
    rows = []
    for row in candidates.itertuples(index=False):  # at most max_movements rows
        episode = 1
        if row.movement_id in last.index:
            if episode_open(active[row.movement_id], inputs.window_end, params.alert_quiet_hours):
                continue
            episode = int(last.loc[row.movement_id, "episode"]) + 1
        rows.append(_alert_row(row, episode, cluster_tags, posts, carriers, coordination))
    return pd.DataFrame(
        rows, columns=["movement_id", "episode", "fired_at", "score", "reason", "evidence"]
    )


def _history_hours(corpus_hourly: pd.DataFrame) -> int:
    """Hours of corpus history before the window end (from the first hour with posts).

    Until a baseline exists every topic looks new, so alerts wait for
    ``alert_warmup_hours`` of history.
    """
    active = corpus_hourly.loc[corpus_hourly["posts"] > 0, "hour"]
    if active.empty:
        return 0
    return len(corpus_hourly) - int(corpus_hourly.index[corpus_hourly["hour"] == active.min()][0])


def _last_active(history: pd.DataFrame, last: pd.DataFrame, off: float) -> pd.Series:
    """Per alerted movement, the latest window at or above ``off`` since its last alert.

    Falls back to the alert time itself; windows where the movement was absent count
    as quiet, so a movement that vanished and came back starts a new episode.
    """
    if last.empty:
        return pd.Series(dtype="datetime64[ns, UTC]")
    alerted = last["window_end"]
    if history.empty:
        return alerted
    since = history.merge(alerted.rename("alerted"), left_on="movement_id", right_index=True)
    active = since[(since["window_end"] > since["alerted"]) & (since["score"] >= off)]
    latest = active.groupby("movement_id")["window_end"].max()
    return latest.reindex(alerted.index).fillna(alerted)


def episode_open(last_active: pd.Timestamp, window_end: pd.Timestamp, quiet_hours: int) -> bool:
    """Whether an alert episode is still open at ``window_end``.

    An episode closes once its movement has spent ``quiet_hours`` without a window
    scoring at least ``alert_off``; the next crossing of ``alert_on`` is a new episode.
    """
    return window_end - last_active < pd.Timedelta(hours=quiet_hours)


def _alert_row(row, episode, cluster_tags, posts, carriers, coordination) -> dict:
    mid = row.movement_id
    tags = cluster_tags[cluster_tags["movement_id"] == mid].nlargest(5, "posts")
    own = posts[posts["movement_id"] == mid]
    samples = own[own["stance"] == "against"].sort_values("created_at").head(3)
    comm = carriers[carriers["movement_id"] == mid].nlargest(3, "share")
    coord = coordination.movement_scores_
    coord = coord[coord["movement_id"] == mid]
    reason = (
        f"score {row.score:.2f}: {row.posts} posts vs {row.expected:.1f} expected "
        f"(growth x{row.growth:.1f}), {row.new_author_share:.0%} new authors, "
        f"{row.n_against} of {row.n_against + row.n_favour + row.n_none} posts against"
    )
    evidence = {
        "posts": int(row.posts),
        "authors": int(row.authors),
        "new_authors": int(row.new_authors),
        "expected": round(float(row.expected), 3),
        "growth": round(float(row.growth), 3),
        "surprise": round(float(row.surprise), 3),
        "emergence": round(float(row.emergence), 3),
        "opposition": round(float(row.opposition), 3),
        "grassroots": round(float(row.grassroots), 3),
        "coordination": round(float(row.coordination), 3),
        "stance": {
            "against": int(row.n_against),
            "favour": int(row.n_favour),
            "none": int(row.n_none),
        },
        "hashtags": tags["tag"].tolist(),
        "sample_posts": [
            {"post_uid": uid, "text": text[:280]}
            for uid, text in zip(samples["post_uid"], samples["text"], strict=True)
        ],
        "communities": [
            {"community": int(c), "share": round(float(s), 3)}
            for c, s in zip(comm["community"], comm["share"], strict=True)
        ],
        "coordinated": bool(row.coordination >= 0.5),
        "coordinated_accounts": int(coord["coordinated_accounts"].sum()) if len(coord) else 0,
    }
    return {
        "movement_id": mid,
        "episode": episode,
        "fired_at": None,
        "score": float(row.score),
        "reason": reason,
        "evidence": json.dumps(evidence, ensure_ascii=False, allow_nan=False),
    }


def run_window(
    engine: Engine,
    window_end: pd.Timestamp,
    params: DetectParams | None = None,
    models: Models | None = None,
) -> WindowResult:
    """Detect movements for one window end and write the results idempotently.

    Parameters
    ----------
    engine : Engine
        Database with posts loaded.
    window_end : Timestamp
        End of the analysis window (UTC; floored to the hour).
    params : DetectParams, optional
        Defaults from the settings.
    models : Models, optional
        Loaded models (pass them when running many windows).

    Returns
    -------
    WindowResult
        Counts and the ranked movements of the window.
    """
    started = time.perf_counter()
    settings = get_settings()
    params = params or DetectParams.from_settings(settings)
    models = models or Models.load(settings)
    window_end = pd.Timestamp(window_end).tz_convert("UTC").floor("h")
    start = window_end - pd.Timedelta(hours=params.window_hours)
    baseline_start = start - pd.Timedelta(days=params.baseline_days)
    with engine.begin() as conn:
        run_id = conn.scalar(
            sa.text(
                "INSERT INTO detect_runs (window_end, status, params) "
                "VALUES (:w, 'running', CAST(:p AS jsonb)) RETURNING detect_run_id"
            ),
            {"w": window_end, "p": json.dumps(asdict(params))},
        )
    try:
        with engine.begin() as conn:
            lock_window(conn, window_end)
            inputs = WindowInputs(
                window_end=window_end,
                post_tags=window_data.window_post_tags(conn, start, window_end),
                interactions=window_data.window_interactions(
                    conn,
                    window_end - pd.Timedelta(hours=params.community_lookback_hours),
                    window_end,
                ),
                corpus_hourly=window_data.corpus_hourly(conn, baseline_start, window_end),
                previous=window_data.previous_movements(
                    conn, window_end, params.tracking_lookback_hours
                ),
                last_alerts=window_data.last_alerts(conn, window_end),
                institutional_uids=window_data.institutional_uids(
                    conn, models.institutional_handles, baseline_start, window_end
                ),
                fetch_posts=lambda uids: window_data.window_posts(
                    conn, uids, start, window_end, models.stance_version
                ),
                fetch_hourly=lambda tags: (
                    window_data.movement_hourly(conn, tags, baseline_start, window_end),
                    window_data.movement_window_authors(conn, tags, start, window_end),
                ),
            )
            tables = analyse_window(inputs, models, params)
            tables.alerts["fired_at"] = window_end
            write_window(conn, tables)
            new_stance = tables.extra["new_stance"].assign(model=models.stance_version)
            copy_frame(conn, "post_stance", new_stance, list(new_stance.columns))
            seconds = time.perf_counter() - started
            conn.execute(
                sa.text(
                    "UPDATE detect_runs SET status = 'done', finished_at = clock_timestamp(), "
                    "seconds = :s, n_posts = :np, n_clusters = :nc, n_movements = :nm, "
                    "n_alerts = :na WHERE detect_run_id = :id"
                ),
                {
                    "s": seconds,
                    "np": tables.extra["n_posts"],
                    "nc": tables.extra["n_clusters"],
                    "nm": len(tables.windows),
                    "na": len(tables.alerts),
                    "id": run_id,
                },
            )
    except Exception as exc:
        with engine.begin() as conn:
            conn.execute(
                sa.text(
                    "UPDATE detect_runs SET status = 'failed', finished_at = clock_timestamp(), "
                    "error = :e WHERE detect_run_id = :id"
                ),
                {"e": str(exc)[:2000], "id": run_id},
            )
        raise
    return WindowResult(
        window_end=window_end,
        n_posts=tables.extra["n_posts"],
        n_clusters=tables.extra["n_clusters"],
        n_movements=len(tables.windows),
        n_alerts=len(tables.alerts),
        seconds=seconds,
        top=tables.windows.head(10),
    )


def run_range(
    engine: Engine,
    start: pd.Timestamp,
    end: pd.Timestamp,
    every: str = "1h",
    params: DetectParams | None = None,
    progress: Callable[[int], None] | None = None,
) -> list[WindowResult]:
    """Run :func:`run_window` for every window end from ``start`` to ``end`` in order.

    Windows must run in time order because movement tracking and alert hysteresis
    read the previous windows' results.
    """
    models = Models.load()
    results = []
    for window_end in pd.date_range(start, end, freq=every):
        results.append(run_window(engine, window_end, params=params, models=models))
        if progress:
            progress(1)
    return results
