"""Ranked tables for the terminal and a static, self-contained HTML report.

The report embeds plotly.js, so it opens offline; it reads only the result tables
and the ``mart_*`` views.
"""

from __future__ import annotations

import html
from pathlib import Path

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

__all__ = ["format_top", "movement_hourly_posts", "run_summary", "top_movements", "write_report"]

# Okabe-Ito palette: distinguishable with the common colour-vision deficiencies.
PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000"]


def _read(engine: Engine, sql: str, params: dict | None = None) -> pd.DataFrame:
    with engine.connect() as conn:
        result = conn.execute(sa.text(sql), params or {})
        return pd.DataFrame(result.fetchall(), columns=list(result.keys()))


def top_movements(engine: Engine, at: pd.Timestamp | None = None, limit: int = 10) -> pd.DataFrame:
    """Ranked movements of the window ending at ``at`` (default: the latest window)."""
    if at is None:
        return _read(
            engine, "SELECT * FROM mart_emerging_opposition ORDER BY rank LIMIT :n", {"n": limit}
        )
    return _read(
        engine,
        "SELECT w.window_end, w.rank, w.movement_id, m.label, w.score, w.status, w.posts, "
        "w.growth, w.opposition, w.grassroots, w.coordination FROM movement_windows AS w "
        "JOIN movements AS m USING (movement_id) WHERE w.window_end = :w "
        "ORDER BY w.rank LIMIT :n",
        {"w": at, "n": limit},
    )


def run_summary(engine: Engine, limit: int = 10) -> pd.DataFrame:
    """Movements ranked by their peak score over all windows, with their first alert."""
    return _read(
        engine,
        """
        SELECT m.movement_id, m.label, max(w.score) AS peak_score,
               (SELECT min(fired_at) FROM alerts AS a WHERE a.movement_id = m.movement_id)
                   AS first_alert,
               m.first_seen, m.peak_at, m.peak_posts,
               (array_agg(w.opposition ORDER BY w.score DESC))[1] AS opposition,
               (array_agg(w.grassroots ORDER BY w.score DESC))[1] AS grassroots,
               (array_agg(w.coordination ORDER BY w.score DESC))[1] AS coordination
        FROM movements AS m JOIN movement_windows AS w USING (movement_id)
        GROUP BY m.movement_id
        ORDER BY peak_score DESC, m.movement_id
        LIMIT :n
        """,
        {"n": limit},
    )


def format_top(frame: pd.DataFrame) -> str:
    """Plain-text table of ranked movements for the terminal."""
    if frame.empty:
        return "no movements yet: ingest posts and run `protestwatch detect` first"
    shown = frame.copy()
    for column in shown.columns:
        if pd.api.types.is_float_dtype(shown[column]):
            shown[column] = shown[column].map(lambda v: f"{v:.2f}")
        elif column in {"hashtags"}:
            shown[column] = shown[column].map(lambda tags: " ".join(f"#{t}" for t in tags[:4]))
    hidden = {"movement_id", "window_end", "label"} if "hashtags" in shown else {"movement_id"}
    keep = [c for c in shown.columns if c not in hidden]
    return shown[keep].to_string(index=False, max_colwidth=48)


def movement_hourly_posts(engine: Engine, movement_ids: list[str]) -> pd.DataFrame:
    """Hourly posts of each movement's latest hashtags over the whole corpus."""
    return _read(
        engine,
        """
        WITH tags AS (
            SELECT DISTINCT ON (movement_id, tag_norm) movement_id, tag_norm
            FROM movement_hashtags WHERE movement_id = ANY(:ids)
        )
        SELECT t.movement_id, date_trunc('hour', h.created_at) AS hour,
               count(DISTINCT h.post_uid) AS posts
        FROM post_hashtags AS h JOIN tags AS t USING (tag_norm)
        GROUP BY 1, 2 ORDER BY 1, 2
        """,
        {"ids": movement_ids},
    )


def _figure_html(fig) -> str:
    fig.update_layout(
        template="plotly_white", margin={"l": 50, "r": 20, "t": 40, "b": 40}, height=320
    )
    return fig.to_html(full_html=False, include_plotlyjs=False, config={"displaylogo": False})


def write_report(engine: Engine, out: Path, limit: int = 5) -> Path:
    """Write the HTML report: an overview of scores over time and one section per top movement.

    Parameters
    ----------
    engine : Engine
        Database with detect results.
    out : Path
        Output file.
    limit : int
        Movements shown in detail (by peak score).

    Returns
    -------
    Path
        The written file.
    """
    import plotly.graph_objects as go
    from plotly.offline import get_plotlyjs

    summary = run_summary(engine, limit=limit)
    ids = summary["movement_id"].tolist()
    timeline = _read(
        engine,
        "SELECT movement_id, label, window_end, score, posts FROM mart_movement_timeline "
        "WHERE movement_id = ANY(:ids) ORDER BY window_end",
        {"ids": ids},
    )
    alerts = _read(
        engine,
        "SELECT movement_id, fired_at, reason, evidence FROM alerts WHERE movement_id = ANY(:ids)",
        {"ids": ids},
    )
    hourly = movement_hourly_posts(engine, ids)

    overview = go.Figure()
    for i, (_, group) in enumerate(timeline.groupby("movement_id", sort=False)):
        overview.add_trace(
            go.Scatter(
                x=group["window_end"],
                y=group["score"],
                mode="lines",
                name=group["label"].iloc[0],
                line={"color": PALETTE[i % len(PALETTE)], "width": 2},
            )
        )
    overview.update_layout(title="Emergence-of-opposition score per window", yaxis_title="score")
    sections = []
    for i, row in enumerate(summary.itertuples(index=False)):
        series = hourly[hourly["movement_id"] == row.movement_id]
        fig = go.Figure(
            go.Bar(
                x=series["hour"],
                y=series["posts"],
                marker_color=PALETTE[i % len(PALETTE)],
                name="posts per hour",
            )
        )
        own_alerts = alerts[alerts["movement_id"] == row.movement_id]
        for fired in own_alerts["fired_at"]:
            fig.add_vline(x=fired, line_dash="dash", line_color="#D55E00")
            fig.add_annotation(
                x=fired, y=1, yref="paper", text="alert", showarrow=False, font={"color": "#D55E00"}
            )
        fig.update_layout(title=f"{row.label}: posts per hour", yaxis_title="posts")
        evidence = own_alerts["evidence"].iloc[0] if len(own_alerts) else {}
        sections.append(_section(row, fig, evidence, own_alerts))
    body = "\n".join(sections) or "<p>No movements detected yet.</p>"
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>protestwatch report</title>
<script>{get_plotlyjs()}</script>
<style>body{{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;color:#222}}
section{{border-top:1px solid #ccc;padding-top:1em}} .muted{{color:#555}}
table{{border-collapse:collapse}} td,th{{padding:2px 8px;text-align:left}}</style></head>
<body><h1>protestwatch: emerging opposition</h1>
<p class="muted">Movements ranked by their peak score; dashed lines mark alerts.</p>
{_figure_html(overview)}
{body}
</body></html>"""
    out = Path(out)
    out.write_text(page, encoding="utf-8")
    return out


def _section(row, fig, evidence: dict, alerts: pd.DataFrame) -> str:
    stance = evidence.get("stance", {})
    samples = "".join(
        f"<li>{html.escape(p['text'])}</li>" for p in evidence.get("sample_posts", [])
    )
    communities = ", ".join(
        f"#{c['community']} ({c['share']:.0%})" for c in evidence.get("communities", [])
    )
    reason = html.escape(alerts["reason"].iloc[0]) if len(alerts) else "no alert"
    cells = [
        ("peak score", f"{row.peak_score:.2f}"),
        ("first alert", row.first_alert),
        ("first seen", row.first_seen),
        ("peak", f"{row.peak_at} ({row.peak_posts} posts / 24 h)"),
        ("opposition", f"{row.opposition:.2f}"),
        ("grassroots", f"{row.grassroots:.2f}"),
        ("coordination", f"{row.coordination:.2f}"),
        ("stance at alert", stance),
        ("communities", communities or "n/a"),
    ]
    table = "".join(f"<tr><th>{k}</th><td>{html.escape(str(v))}</td></tr>" for k, v in cells)
    return f"""<section><h2>{html.escape(row.label)}</h2>
<table>{table}</table>
<p class="muted">{reason}</p>
{_figure_html(fig)}
<ul>{samples}</ul></section>"""
