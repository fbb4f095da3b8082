"""Evaluate detection against a scenario's ground truth, with baselines and ablations.

Definitions (also in ``docs/evaluation.md``):

* A movement *matches* a ground-truth component when more than half of its hashtag
  uses (summed over its windows) are hashtags of that component (``tag_norm`` form).
* A component is *significant* from the first hour its trailing-24-hour post count
  reaches 10 % of its maximum trailing-24-hour count (from ``truth_posts.csv.gz``).
* *precision@k per window*: movements of a window in rank order, fragments of one
  component collapsed to its best rank; hits are grassroots components live at that
  window (from their start to 24 h after their end); ``hits / min(k, live)``,
  averaged over windows where one is live. *At the end*: the same over movements
  ranked by their peak score over the whole run, ``hits / min(k, grassroots)``.
* *recall*: grassroots components with an alert on a matching movement; *before
  peak*: with the first alert at or before the component's peak.
* *false positives*: components of the other kinds (neutral spike, institutional
  promotion, persistent topic, coordinated campaign) with an alert.
* *coordination precision / recall*: accounts listed in ``coordinated_accounts`` vs
  the accounts of the coordinated campaign in the truth.
* *lead time*: first alert minus significant time (negative = earlier), and peak
  minus first alert (positive = before the peak).
* *ablation*: the final score recomputed from the stored parts with one part
  removed (set to 1, or coordination to 0), alerts replayed with the same
  hysteresis rule (:func:`replay_alerts`), same metrics.
* *grouping*: purity and completeness of hashtag-variant grouping
  (:func:`grouping_metrics`).
* *naive baseline*: hashtags ranked by their 24 h growth ratio ``(n + 1) / (n_prev + 1)``
  (at least ``min_posts`` posts); an "alert" when the ratio is at least 5.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from pipeline.detect import DetectParams, episode_open
from pipeline.normalize import normalize_tag

__all__ = [
    "ABLATIONS",
    "evaluate_run",
    "grouping_metrics",
    "match_truth",
    "movement_components",
    "naive_baseline",
    "replay_alerts",
    "significant_times",
]

log = logging.getLogger(__name__)

GRASSROOTS = "grassroots_opposition"
NEGATIVE_KINDS = (
    "neutral_spike",
    "institutional_promotion",
    "persistent_topic",
    "coordinated_campaign",
)
#: Ablations: name -> how the score is recomputed from the stored parts.
ABLATIONS = {
    "full": lambda w: (
        w["emergence"] * w["opposition"] * (0.5 + 0.5 * w["grassroots"]) * (1 - w["coordination"])
    ),
    "no emergence": lambda w: (
        w["opposition"] * (0.5 + 0.5 * w["grassroots"]) * (1 - w["coordination"])
    ),
    "no opposition": lambda w: (
        w["emergence"] * (0.5 + 0.5 * w["grassroots"]) * (1 - w["coordination"])
    ),
    "no grassroots": lambda w: w["emergence"] * w["opposition"] * (1 - w["coordination"]),
    "no coordination": lambda w: w["emergence"] * w["opposition"] * (0.5 + 0.5 * w["grassroots"]),
}


def _read(engine: Engine, sql: str, params: dict | None = None) -> pd.DataFrame:
    with engine.connect() as conn:
        result = conn.execute(sa.text(sql), params or {})
        return pd.DataFrame.from_records(
            list(map(tuple, result.fetchall())), columns=list(result.keys())
        )


def _component_tags(truth: dict) -> pd.DataFrame:
    return pd.DataFrame(
        [(c["id"], normalize_tag(tag)) for c in truth["components"] for tag in c["hashtags"]],
        columns=["component_id", "tag_norm"],
    ).drop_duplicates("tag_norm")


def movement_components(engine: Engine, truth: dict) -> pd.DataFrame:
    """Each movement's ground-truth component (or NaN): movement_id, component_id, purity."""
    uses = _read(
        engine,
        "SELECT movement_id, tag_norm, sum(posts) AS posts FROM movement_hashtags GROUP BY 1, 2",
    )
    if uses.empty:
        return pd.DataFrame(columns=["movement_id", "component_id", "purity"])
    uses = uses.merge(_component_tags(truth), on="tag_norm", how="left")
    totals = uses.groupby("movement_id")["posts"].sum()
    by_component = (
        uses.dropna(subset=["component_id"]).groupby(["movement_id", "component_id"])["posts"].sum()
    )
    best = (
        by_component.reset_index()
        .sort_values("posts", ascending=False)
        .drop_duplicates("movement_id")
    )
    best["purity"] = best["posts"] / best["movement_id"].map(totals)
    best = best[best["purity"] > 0.5]
    out = pd.DataFrame({"movement_id": totals.index})
    return out.merge(best[["movement_id", "component_id", "purity"]], on="movement_id", how="left")


def significant_times(engine: Engine, truth_dir: Path) -> pd.Series:
    """Per component, the first hour its trailing 24 h count reaches 10 % of its maximum.

    Post times come from the loaded ``posts`` (truth lists X post ids).
    """
    posts = pd.read_csv(truth_dir / "truth_posts.csv.gz", dtype={"post_id": str})
    posts["post_uid"] = "x:" + posts["post_id"]
    times = _read(engine, "SELECT post_uid, date_trunc('hour', created_at) AS hour FROM posts")
    posts = posts.merge(times, on="post_uid")
    counts = posts.groupby(["component_id", "hour"]).size().rename("posts").reset_index()
    out = {}
    for component, group in counts.groupby("component_id"):  # a handful of components
        series = group.set_index("hour")["posts"].asfreq("h", fill_value=0)
        trailing = series.rolling(24, min_periods=1).sum()
        out[component] = trailing.index[trailing >= 0.1 * trailing.max()][0]
    return pd.Series(out)


def replay_alerts(
    windows: pd.DataFrame, params: DetectParams, first_post: pd.Timestamp
) -> pd.DataFrame:
    """Alerts the detect hysteresis would fire for a given score history.

    Parameters
    ----------
    windows : DataFrame
        ``movement_id, window_end, score, posts`` for every window of every movement.
    params : DetectParams
        ``alert_on``, ``alert_off``, ``alert_min_posts``, ``alert_quiet_hours`` and
        ``alert_warmup_hours`` are used.
    first_post : Timestamp
        Time of the first post in the corpus (for the warm-up).

    Returns
    -------
    DataFrame
        ``movement_id, episode, fired_at``.
    """
    warm = first_post.floor("h") + pd.Timedelta(hours=params.alert_warmup_hours)
    rows = []
    ordered = windows.sort_values(["movement_id", "window_end"])
    for movement, group in ordered.groupby("movement_id", sort=False):  # per movement
        last_active, episode = None, 0
        columns = (group["window_end"], group["score"], group["posts"])
        for window_end, score, posts in zip(*columns, strict=True):
            candidate = (
                score >= params.alert_on and posts >= params.alert_min_posts and window_end >= warm
            )
            closed = episode == 0 or not episode_open(
                last_active, window_end, params.alert_quiet_hours
            )
            if candidate and closed:
                episode += 1
                rows.append((movement, episode, window_end))
                last_active = window_end
            elif episode and score >= params.alert_off:
                last_active = window_end
    return pd.DataFrame(rows, columns=["movement_id", "episode", "fired_at"])


def _collapse(ranked: pd.DataFrame, order: list[str]) -> pd.DataFrame:
    """One entry per ground-truth component (its best-ranked movement) per group.

    Fragments of one component would otherwise fill the top ranks with duplicates;
    unmatched movements stay separate entries.
    """
    ranked = ranked.assign(key=ranked["component_id"].fillna(ranked["movement_id"]))
    ranked = ranked.sort_values(order).drop_duplicates([*order[:-1], "key"])
    ranked["rank"] = (
        ranked.groupby(order[:-1]).cumcount() + 1 if order[:-1] else np.arange(1, len(ranked) + 1)
    )
    return ranked


def _precision_at_k(ranked: pd.DataFrame, live: pd.DataFrame, ks=(1, 3, 5)) -> dict:
    """Mean precision@k over windows with a live grassroots movement.

    Precision@k is ``hits / min(k, live)``: with one live grassroots movement a
    perfect ranking scores 1, not 1/3.
    """
    out = {}
    ranked = _collapse(ranked, ["window_end", "rank"])
    ranked = ranked.merge(live, on=["window_end", "component_id"], how="left")
    ranked["hit"] = ranked["live"].fillna(False).astype(bool)
    n_live = live.groupby("window_end").size()
    windows = n_live.index
    ranked = ranked[ranked["window_end"].isin(windows)]
    for k in ks:
        hits = (
            ranked[ranked["rank"] <= k]
            .groupby("window_end")["hit"]
            .sum()
            .reindex(windows, fill_value=0)
        )
        per_window = hits / np.minimum(k, n_live)
        out[f"p@{k}"] = float(per_window.mean()) if len(windows) else float("nan")
    return out


def _end_precision(scored: pd.DataFrame, kinds: dict, n_relevant: int, ks=(1, 3, 5)) -> dict:
    """Precision@k of movements ranked by their peak score over the run (``hits / min(k, R)``)."""
    peak = scored.sort_values("score", ascending=False).drop_duplicates("movement_id")
    peak = peak.assign(order=np.arange(len(peak)))
    ranked = _collapse(peak, ["order"])
    relevant = ranked["component_id"].map(kinds) == GRASSROOTS
    return {
        f"end p@{k}": float(relevant[ranked["rank"] <= k].sum() / max(min(k, n_relevant), 1))
        for k in ks
    }


def _live_grassroots(truth: dict, window_ends: np.ndarray) -> pd.DataFrame:
    rows = []
    for c in truth["components"]:
        if c["kind"] != GRASSROOTS:
            continue
        start, end = pd.Timestamp(c["start"]), pd.Timestamp(c["end"])
        for w in window_ends:
            if start <= w <= end + pd.Timedelta(hours=24):
                rows.append((w, c["id"], True))
    return pd.DataFrame(rows, columns=["window_end", "component_id", "live"])


def _alert_metrics(
    alerts: pd.DataFrame, matched: pd.DataFrame, truth: dict, significant: pd.Series
) -> dict:
    """Recall, lead times and false positives of a set of alerts."""
    alerts = alerts.merge(matched, on="movement_id", how="left")
    first = alerts.dropna(subset=["component_id"]).groupby("component_id")["fired_at"].min()
    grassroots = [c for c in truth["components"] if c["kind"] == GRASSROOTS]
    leads, peak_leads, before_peak = [], [], 0
    for c in grassroots:
        if c["id"] not in first.index:
            continue
        fired = first[c["id"]]
        peak = pd.Timestamp(c["peak"])
        before_peak += fired <= peak
        peak_leads.append((peak - fired).total_seconds() / 3600)
        if c["id"] in significant.index:
            leads.append((fired - significant[c["id"]]).total_seconds() / 3600)
    negatives = [c for c in truth["components"] if c["kind"] in NEGATIVE_KINDS]
    flagged = [c["kind"] for c in negatives if c["id"] in first.index]
    return {
        "grassroots": len(grassroots),
        "recall": sum(c["id"] in first.index for c in grassroots) / max(len(grassroots), 1),
        "recall_before_peak": before_peak / max(len(grassroots), 1),
        "lead_vs_significant_h": float(np.median(leads)) if leads else float("nan"),
        "hours_before_peak": float(np.median(peak_leads)) if peak_leads else float("nan"),
        "false_positive_components": flagged,
        "alerts": len(alerts),
    }


def grouping_metrics(engine: Engine, truth: dict) -> dict:
    """Purity and completeness of hashtag-variant grouping for grassroots movements.

    For each grassroots component, its *main* movement is the one holding most uses
    of the component's hashtags (summed over windows). *Completeness*: share of the
    component's hashtag uses that are in its main movement. *Purity*: share of the
    main movement's hashtag uses that belong to the component. *Variants grouped*:
    share of the component's hashtag variants seen in the data that ever appear in
    the main movement. *Movements*: movements holding at least 10 % of the
    component's uses (1 = not fragmented).
    """
    uses = _read(
        engine,
        "SELECT movement_id, tag_norm, sum(posts) AS posts FROM movement_hashtags GROUP BY 1, 2",
    )
    tags = _component_tags(truth)
    uses = uses.merge(tags, on="tag_norm", how="left")
    totals = uses.groupby("movement_id")["posts"].sum()
    out = []
    for c in truth["components"]:
        if c["kind"] != GRASSROOTS:
            continue
        own = uses[uses["component_id"] == c["id"]]
        if own.empty:
            out.append(
                {"completeness": 0.0, "purity": float("nan"), "variants": 0.0, "movements": 0}
            )
            continue
        per_movement = own.groupby("movement_id")["posts"].sum()
        main = per_movement.idxmax()
        seen = set(own["tag_norm"])
        out.append(
            {
                "completeness": float(per_movement[main] / per_movement.sum()),
                "purity": float(per_movement[main] / totals[main]),
                "variants": len(set(own.loc[own["movement_id"] == main, "tag_norm"])) / len(seen),
                "movements": int((per_movement >= 0.1 * per_movement.sum()).sum()),
            }
        )
    frame = pd.DataFrame(out)
    return {
        "grouping_purity": float(frame["purity"].mean()) if len(frame) else float("nan"),
        "grouping_completeness": float(frame["completeness"].mean())
        if len(frame)
        else float("nan"),
        "variants_grouped": float(frame["variants"].mean()) if len(frame) else float("nan"),
        "movements_per_grassroots": float(frame["movements"].mean())
        if len(frame)
        else float("nan"),
    }


def _coordination_metrics(engine: Engine, truth: dict) -> dict:
    truth_accounts = {f"x:{a}" for c in truth["components"] for a in c.get("accounts", [])}
    flagged = (
        set(_read(engine, "SELECT DISTINCT author_uid FROM coordinated_accounts")["author_uid"])
        if truth_accounts
        else set()
    )
    hit = len(flagged & truth_accounts)
    return {
        "coordinated_truth_accounts": len(truth_accounts),
        "flagged_accounts": len(flagged),
        "coordination_precision": hit / len(flagged) if flagged else float("nan"),
        "coordination_recall": hit / len(truth_accounts) if truth_accounts else float("nan"),
    }


def naive_baseline(
    engine: Engine, window_ends: pd.DatetimeIndex, truth: dict, min_posts: int = 10, k_max: int = 5
) -> pd.DataFrame:
    """Hashtags ranked by 24 h growth ratio per window (the naive baseline).

    Returns ``window_end, tag_norm, posts, ratio, rank, component_id``.
    """
    frames = []
    for window_end in window_ends:  # one set-based query per window
        frame = _read(
            engine,
            """
            SELECT tag_norm,
                   count(*) FILTER (WHERE created_at >= :w - interval '24 hours') AS posts,
                   count(*) FILTER (WHERE created_at < :w - interval '24 hours') AS previous
            FROM post_hashtags WHERE created_at >= :w - interval '48 hours' AND created_at < :w
            GROUP BY tag_norm
            """,
            {"w": window_end},
        )
        frame = frame[frame["posts"] >= min_posts].copy()
        frame["ratio"] = (frame["posts"] + 1) / (frame["previous"] + 1)
        frame = frame.sort_values(
            ["ratio", "posts", "tag_norm"], ascending=[False, False, True]
        ).head(k_max)
        frame["rank"] = np.arange(1, len(frame) + 1)
        frame["window_end"] = window_end
        frames.append(frame)
    ranked = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return ranked.merge(_component_tags(truth), on="tag_norm", how="left")


def evaluate_run(engine: Engine, truth_dir: Path, params: DetectParams | None = None) -> dict:
    """All metrics of one scenario whose posts were ingested and detected in ``engine``.

    Parameters
    ----------
    engine : Engine
        Database holding the scenario and its detect results.
    truth_dir : Path
        Directory with ``truth.json`` and ``truth_posts.csv.gz``.
    params : DetectParams, optional
        The parameters the detection ran with (for the alert replay of ablations).

    Returns
    -------
    dict
        ``model`` (precision@k, recall, lead times, false positives, coordination),
        ``ablations`` and ``baseline`` rows, each a dict of metrics.
    """
    params = params or DetectParams()
    truth = json.loads((truth_dir / "truth.json").read_text())
    significant = significant_times(engine, truth_dir)
    matched = movement_components(engine, truth)
    windows = _read(
        engine,
        "SELECT movement_id, window_end, score, rank, posts, emergence, opposition, "
        "grassroots, coordination FROM movement_windows",
    )
    window_ends = np.sort(windows["window_end"].unique())
    live = _live_grassroots(truth, window_ends)
    first_post = pd.Timestamp(_read(engine, "SELECT min(created_at) AS t FROM posts")["t"].iloc[0])
    kinds = {c["id"]: c["kind"] for c in truth["components"]}
    n_grassroots = sum(kind == GRASSROOTS for kind in kinds.values())

    rows = {}
    for name, formula in ABLATIONS.items():
        scored = windows.assign(score=formula(windows))
        scored["rank"] = (
            scored.groupby("window_end")["score"].rank(ascending=False, method="first").astype(int)
        )
        ranked = scored.merge(matched, on="movement_id", how="left")
        metrics = _precision_at_k(
            ranked[["window_end", "rank", "movement_id", "component_id"]], live
        )
        metrics.update(_end_precision(ranked, kinds, n_grassroots))
        alerts = replay_alerts(scored, params, first_post)
        metrics.update(_alert_metrics(alerts, matched, truth, significant))
        rows[name] = metrics

    stored = _read(engine, "SELECT movement_id, episode, fired_at FROM alerts")
    model = _alert_metrics(stored, matched, truth, significant)
    model.update({k: v for k, v in rows["full"].items() if k.startswith(("p@", "end p@"))})
    model.update(_coordination_metrics(engine, truth))
    model.update(grouping_metrics(engine, truth))
    model["replay_matches_stored_alerts"] = bool(len(stored) == rows["full"]["alerts"])

    baseline_ranked = naive_baseline(engine, pd.DatetimeIndex(window_ends), truth)
    baseline_ranked["movement_id"] = baseline_ranked["tag_norm"]
    baseline = _precision_at_k(
        baseline_ranked[["window_end", "rank", "movement_id", "component_id"]], live
    )
    fired = baseline_ranked[baseline_ranked["ratio"] >= 5]
    fired = fired.dropna(subset=["component_id"]).groupby("component_id")["window_end"].min()
    baseline_alerts = pd.DataFrame(
        {"movement_id": fired.index, "episode": 1, "fired_at": fired.to_numpy()}
    )
    identity = pd.DataFrame(
        {"movement_id": fired.index, "component_id": fired.index, "purity": 1.0}
    )
    baseline.update(_alert_metrics(baseline_alerts, identity, truth, significant))
    return {"model": model, "ablations": rows, "baseline": baseline}


def match_truth(engine: Engine, truth: dict) -> list[dict]:
    """Per ground-truth component: first alert, hours before its peak, top coordination."""
    matched = movement_components(engine, truth)
    alerts = _read(
        engine, "SELECT movement_id, min(fired_at) AS first_alert FROM alerts GROUP BY 1"
    )
    alerts = alerts.merge(matched, on="movement_id")
    coordination = _read(
        engine,
        "SELECT movement_id, max(coordination) AS coordination FROM movement_windows GROUP BY 1",
    ).merge(matched, on="movement_id")
    rows = []
    for component in truth["components"]:
        own = alerts[alerts["component_id"] == component["id"]]
        first = pd.to_datetime(own["first_alert"], utc=True).min() if len(own) else pd.NaT
        peak = pd.Timestamp(component["peak"]) if component.get("peak") else pd.NaT
        coord = coordination.loc[coordination["component_id"] == component["id"], "coordination"]
        rows.append(
            {
                "id": component["id"],
                "kind": component["kind"],
                "label": component["label"],
                "movements": int((matched["component_id"] == component["id"]).sum()),
                "alerted": not pd.isna(first),
                "first_alert": "" if pd.isna(first) else f"{first:%Y-%m-%d %H:%M}",
                "lead_hours": None
                if pd.isna(first) or pd.isna(peak)
                else (peak - first).total_seconds() / 3600,
                "coordination": float(coord.max()) if len(coord) else 0.0,
            }
        )
    return rows
