"""Compare detect results with a scenario's ground truth.

A movement *matches* a ground-truth component when more than half of its hashtag
uses (summed over its windows) are hashtags of that component (compared in
``tag_norm`` form). A component is *alerted* when any matching movement fired an
alert; lead time is the component's peak minus the first such alert.
"""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from pipeline.normalize import normalize_tag

__all__ = ["match_truth", "movement_components"]


def movement_components(engine: Engine, truth: dict) -> pd.DataFrame:
    """Each movement's ground-truth component (or None): movement_id, component_id, purity."""
    tags = pd.DataFrame(
        [
            (component["id"], normalize_tag(tag))
            for component in truth["components"]
            for tag in component["hashtags"]
        ],
        columns=["component_id", "tag_norm"],
    ).drop_duplicates("tag_norm")
    with engine.connect() as conn:
        result = conn.execute(
            sa.text(
                "SELECT movement_id, tag_norm, sum(posts) AS posts FROM movement_hashtags "
                "GROUP BY 1, 2"
            )
        )
        uses = pd.DataFrame(result.fetchall(), columns=["movement_id", "tag_norm", "posts"])
    if uses.empty:
        return pd.DataFrame(columns=["movement_id", "component_id", "purity"])
    uses = uses.merge(tags, on="tag_norm", how="left")
    totals = uses.groupby("movement_id")["posts"].sum()
    by_component = uses.dropna(subset=["component_id"]).groupby(["movement_id", "component_id"])["posts"].sum()
    best = by_component.reset_index().sort_values("posts", ascending=False).drop_duplicates("movement_id")
    best["purity"] = best["posts"] / best["movement_id"].map(totals)
    best = best[best["purity"] > 0.5]
    out = pd.DataFrame({"movement_id": totals.index})
    return out.merge(best[["movement_id", "component_id", "purity"]], on="movement_id", how="left")


def match_truth(engine: Engine, truth: dict) -> list[dict]:
    """Per ground-truth component: was it alerted, when, and how long before its peak."""
    matched = movement_components(engine, truth)
    with engine.connect() as conn:
        result = conn.execute(sa.text("SELECT movement_id, min(fired_at) AS first_alert FROM alerts GROUP BY 1"))
        alerts = pd.DataFrame(result.fetchall(), columns=["movement_id", "first_alert"])
    alerts = alerts.merge(matched, on="movement_id", how="left")
    rows = []
    for component in truth["components"]:
        own = alerts[alerts["component_id"] == component["id"]]
        first = pd.to_datetime(own["first_alert"], utc=True).min() if len(own) else pd.NaT
        peak = pd.Timestamp(component["peak"]) if component.get("peak") else pd.NaT
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
            }
        )
    return rows
