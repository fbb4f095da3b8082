"""Ranked tables for the terminal and a static, self-contained HTML report.

The report embeds plotly.js, so it opens offline (no CDN, no fonts, no requests).
It reads only result tables and the ``mart_*`` views, and shows:

* an overview: a table of the top movements and their emergence-of-opposition
  score over the detect windows, alerts marked;
* one section per top movement, described at its *reference window* (the window of
  its first alert, else the window of its peak score): hourly volume with the alerts
  marked, the hashtag cluster, the stance split, the author communities carrying it,
  the coordination evidence and sample posts.

Posts, hashtags and labels are untrusted user text: everything is HTML-escaped, and
strings handed to plotly (which renders a subset of HTML in titles, legends and
hover text) are escaped too. Colours come from the Okabe-Ito palette, charts never
rely on colour alone (dash patterns, markers, value labels), every chart has a text
alternative and the data behind it is in a table.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

__all__ = [
    "PALETTE",
    "format_top",
    "movement_details",
    "movement_hourly_posts",
    "run_summary",
    "top_movements",
    "write_report",
]

# Okabe-Ito palette: distinguishable with the common colour-vision deficiencies.
PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000"]
#: Line styles paired with the palette so that series differ by more than colour.
DASHES = ["solid", "dash", "dot", "dashdot", "longdash", "longdashdot"]
STANCE_COLOURS = {"against": "#D55E00", "favour": "#009E73", "none": "#56B4E9"}
#: Alert marks are black: distinct from every series colour of the palette.
ALERT_COLOUR = "#000000"
_SAMPLE_POSTS = 3
_DEFAULT_WINDOW_HOURS = 24


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
    """Hourly posts of each movement's hashtags (over all its windows) in the whole corpus."""
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


# The window each movement is described at: its first alert, else its peak score.
_REFERENCE = """
WITH first_alert AS (
    SELECT DISTINCT ON (movement_id) movement_id, fired_at
    FROM alerts WHERE movement_id = ANY(:ids)
    ORDER BY movement_id, fired_at
), peak AS (
    SELECT DISTINCT ON (movement_id) movement_id, window_end
    FROM movement_windows WHERE movement_id = ANY(:ids)
    ORDER BY movement_id, score DESC, window_end
), ref AS (
    SELECT p.movement_id, coalesce(a.fired_at, p.window_end) AS window_end,
           a.fired_at IS NOT NULL AS at_alert,
           coalesce((SELECT (d.params ->> 'window_hours')::int FROM detect_runs AS d
                     WHERE d.window_end = coalesce(a.fired_at, p.window_end)
                       AND d.status = 'done'
                     ORDER BY d.detect_run_id DESC LIMIT 1), :default_hours) AS window_hours
    FROM peak AS p LEFT JOIN first_alert AS a USING (movement_id)
)
"""

_DETAIL_QUERIES = {
    "reference": """
        SELECT r.movement_id, r.window_end, r.at_alert, r.window_hours, w.posts, w.authors,
               w.new_authors, w.n_against, w.n_favour, w.n_none, w.score, w.opposition,
               w.grassroots, w.coordination, w.institutional_share
        FROM ref AS r JOIN movement_windows AS w USING (movement_id, window_end)
    """,
    "hashtags": """
        SELECT h.movement_id, h.tag, h.posts, h.authors
        FROM ref AS r JOIN movement_hashtags AS h USING (movement_id, window_end)
        ORDER BY h.movement_id, h.posts DESC, h.tag_norm
    """,
    "communities": """
        SELECT c.movement_id, c.community, c.authors, c.posts, c.share
        FROM ref AS r JOIN movement_communities AS c USING (movement_id, window_end)
        ORDER BY c.movement_id, c.posts DESC, c.community
    """,
    "coordination": """
        SELECT c.movement_id, c.grp AS "group", count(DISTINCT c.author_uid) AS accounts,
               string_agg(DISTINCT reason, ', ' ORDER BY reason) AS reasons
        FROM ref AS r JOIN coordinated_accounts AS c USING (movement_id, window_end)
        CROSS JOIN LATERAL unnest(string_to_array(c.reasons, ',')) AS reason
        GROUP BY c.movement_id, c.grp
        ORDER BY c.movement_id, accounts DESC, c.grp
    """,
    "alerts": """
        SELECT movement_id, episode, fired_at, score, reason, evidence
        FROM alerts WHERE movement_id = ANY(:ids) ORDER BY movement_id, fired_at
    """,
    # Earliest original posts of the reference window carrying the movement's hashtags
    # (used for movements without an alert; alerts carry their own sample posts).
    "posts": """
        SELECT r.movement_id, s.post_uid, s.created_at, s.text
        FROM ref AS r
        CROSS JOIN LATERAL (
            SELECT p.post_uid, p.created_at, p.text
            FROM posts AS p
            WHERE p.created_at >= r.window_end - make_interval(hours => r.window_hours)
              AND p.created_at < r.window_end
              AND EXISTS (
                  SELECT 1 FROM post_hashtags AS h
                  JOIN movement_hashtags AS m
                    ON m.tag_norm = h.tag_norm AND m.movement_id = r.movement_id
                   AND m.window_end = r.window_end
                  WHERE h.post_uid = p.post_uid AND h.created_at = p.created_at)
            ORDER BY p.repost_of_uid IS NOT NULL, p.created_at, p.post_uid
            LIMIT :n_posts
        ) AS s
        WHERE NOT r.at_alert
        ORDER BY r.movement_id, s.created_at
    """,
}


def movement_details(engine: Engine, movement_ids: list[str]) -> dict[str, pd.DataFrame]:
    """Everything the report shows about some movements, at their reference window.

    The reference window of a movement is the window of its first alert, or the
    window of its peak score if it never alerted.

    Parameters
    ----------
    engine : Engine
        Database with detect results.
    movement_ids : list of str
        Movements to describe.

    Returns
    -------
    dict of str to DataFrame
        ``reference`` (one row per movement: window, counts, stance, scores),
        ``hashtags``, ``communities``, ``coordination`` (one row per coordinated
        group: accounts, reasons), ``alerts`` (all episodes), ``posts`` (sample posts
        of movements without an alert) and ``hourly`` (posts per hour).
    """
    params = {
        "ids": list(movement_ids),
        "default_hours": _DEFAULT_WINDOW_HOURS,
        "n_posts": _SAMPLE_POSTS,
    }
    details = {
        name: _read(engine, _REFERENCE + sql if "ref AS r" in sql else sql, params)
        for name, sql in _DETAIL_QUERIES.items()
    }
    details["hourly"] = movement_hourly_posts(engine, list(movement_ids))
    return details


# -- rendering -----------------------------------------------------------------------


def _esc(value) -> str:
    return html.escape(str(value), quote=True)


def _when(value) -> str:
    if value is None or pd.isna(value):
        return "none"
    return f"{pd.Timestamp(value).tz_convert('UTC'):%Y-%m-%d %H:%M} UTC"


def _num(value, digits: int = 2) -> str:
    if value is None or pd.isna(value):
        return "n/a"
    return f"{value:.{digits}f}"


def _table(
    caption: str, header: list[str], rows: list[list], numeric: set[int] | None = None
) -> str:
    """An accessible table; every cell is escaped. ``numeric``: right-aligned columns."""
    numeric = numeric or set()
    head = "".join(f'<th scope="col">{_esc(h)}</th>' for h in header)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="num">{_esc(v)}</td>' if i in numeric else f"<td>{_esc(v)}</td>"
            for i, v in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return (
        f"<table><caption>{_esc(caption)}</caption><thead><tr>{head}</tr></thead>"
        f"<tbody>{body}</tbody></table>"
    )


def _facts(caption: str, pairs: list[tuple[str, object]]) -> str:
    rows = "".join(f'<tr><th scope="row">{_esc(k)}</th><td>{_esc(v)}</td></tr>' for k, v in pairs)
    return f'<table class="facts"><caption>{_esc(caption)}</caption><tbody>{rows}</tbody></table>'


def _figure(fig, alt: str, caption: str, height: int = 320) -> str:
    """A plotly figure as a ``<figure>`` with a text alternative (plotly.js not included)."""
    fig.update_layout(
        template="plotly_white",
        height=height,
        margin={"l": 56, "r": 16, "t": 24, "b": 48},
        font={"family": "system-ui, sans-serif", "size": 13, "color": "#222"},
    )
    plot = fig.to_html(
        full_html=False,
        include_plotlyjs=False,
        config={"displaylogo": False, "displayModeBar": False, "responsive": True},
    )
    return (
        f'<figure><div class="plot" role="img" aria-label="{_esc(alt)}">{plot}</div>'
        f"<figcaption>{_esc(caption)}</figcaption></figure>"
    )


def _overview(summary: pd.DataFrame, timeline: pd.DataFrame, alerts: pd.DataFrame) -> str:
    import plotly.graph_objects as go

    fig = go.Figure()
    for i, row in enumerate(summary.itertuples(index=False)):
        group = timeline[timeline["movement_id"] == row.movement_id]
        colour = PALETTE[i % len(PALETTE)]
        fig.add_trace(
            go.Scatter(
                x=group["window_end"],
                y=group["score"],
                mode="lines+markers",
                name=html.escape(f"{i + 1}. {row.label}"),
                line={"color": colour, "width": 2, "dash": DASHES[i % len(DASHES)]},
                marker={"size": 5},
            )
        )
        fired = alerts.loc[alerts["movement_id"] == row.movement_id, ["fired_at"]].merge(
            group[["window_end", "score"]], left_on="fired_at", right_on="window_end"
        )
        if len(fired):
            fig.add_trace(
                go.Scatter(
                    x=fired["fired_at"],
                    y=fired["score"],
                    mode="markers",
                    name=html.escape(f"alert: {row.label}"),
                    showlegend=False,
                    marker={
                        "symbol": "star",
                        "size": 14,
                        "color": colour,
                        "line": {"color": "#000000", "width": 1},
                    },
                )
            )
    fig.update_layout(
        yaxis_title="score (0 to 1)",
        xaxis_title="detect window end (UTC)",
        legend={"orientation": "h", "y": -0.25},
    )
    span = (
        f"from {_when(timeline['window_end'].min())} to {_when(timeline['window_end'].max())}"
        if len(timeline)
        else "(no windows)"
    )
    peaks = "; ".join(
        f"{i + 1}. {row.label} peaks at {row.peak_score:.2f}"
        + (f", first alert {_when(row.first_alert)}" if not pd.isna(row.first_alert) else "")
        for i, row in enumerate(summary.itertuples(index=False))
    )
    alt = (
        f"Line chart of the emergence-of-opposition score of the top {len(summary)} "
        f"movements per detect window {span}. {peaks}. Stars mark alerts."
    )
    return _figure(
        fig,
        alt,
        "Emergence-of-opposition score per detect window; stars mark alerts. "
        "The same numbers are in the table above and each movement's section.",
        height=380,
    )


def _volume_figure(label: str, series: pd.DataFrame, alerts: pd.DataFrame, colour: str) -> str:
    import plotly.graph_objects as go

    fig = go.Figure(
        go.Bar(x=series["hour"], y=series["posts"], marker_color=colour, name="posts per hour")
    )
    for alert in alerts.itertuples(index=False):
        fig.add_vline(x=alert.fired_at, line_dash="dash", line_color=ALERT_COLOUR, line_width=2)
        fig.add_annotation(
            x=alert.fired_at,
            y=1,
            yref="paper",
            text=f"alert #{alert.episode}",
            showarrow=False,
            xanchor="left",
            font={"color": ALERT_COLOUR},
        )
    fig.update_layout(yaxis_title="posts per hour", xaxis_title="hour (UTC)", showlegend=False)
    if series.empty:
        alt = f"Bar chart of posts per hour for {label}: no posts found."
    else:
        top = series.loc[series["posts"].idxmax()]
        alt = (
            f"Bar chart of posts per hour carrying the hashtags of {label}, from "
            f"{_when(series['hour'].min())} to {_when(series['hour'].max())}; "
            f"peak of {int(top['posts'])} posts in the hour of {_when(top['hour'])}; "
            + (
                "alerts at " + ", ".join(_when(t) for t in alerts["fired_at"])
                if len(alerts)
                else "no alert"
            )
            + "."
        )
    return _figure(
        fig,
        alt,
        "Posts per hour carrying the movement's hashtags, over the whole corpus; "
        "dashed line: alert.",
    )


def _stance_figure(label: str, ref) -> str:
    import plotly.graph_objects as go

    names = ["against", "favour", "none"]
    counts = [int(ref.n_against), int(ref.n_favour), int(ref.n_none)]
    fig = go.Figure(
        go.Bar(
            x=counts,
            y=names,
            orientation="h",
            marker_color=[STANCE_COLOURS[n] for n in names],
            text=counts,
            textposition="auto",
        )
    )
    fig.update_layout(
        xaxis_title="posts",
        yaxis={"autorange": "reversed"},
        showlegend=False,
    )
    total = sum(counts) or 1
    alt = f"Bar chart of the stance of the {sum(counts)} posts of {label}: " + ", ".join(
        f"{c} {n} ({c / total:.0%})" for n, c in zip(names, counts, strict=True)
    )
    return _figure(fig, alt + ".", "Stance of the window's posts (classifier output).", height=200)


def _community_name(community: int) -> str:
    return "outside communities" if community < 0 else f"community {community}"


def _section(rank: int, row, details: dict[str, pd.DataFrame]) -> str:
    mid = row.movement_id
    colour = PALETTE[(rank - 1) % len(PALETTE)]
    label = str(row.label)
    own = {name: frame[frame["movement_id"] == mid] for name, frame in details.items()}
    ref = next(own["reference"].itertuples(index=False), None)
    alerts = own["alerts"]
    first_alert = next(alerts.itertuples(index=False), None)
    anchor = f"movement-{rank}"

    parts = [f'<section id="{anchor}" aria-labelledby="{anchor}-title">']
    parts.append(f'<h2 id="{anchor}-title">{rank}. {_esc(label)}</h2>')
    if first_alert is not None:
        parts.append(
            f'<p class="alert"><strong>Alert #{first_alert.episode}</strong> at '
            f"{_esc(_when(first_alert.fired_at))}: {_esc(first_alert.reason)}</p>"
        )
    else:
        parts.append('<p class="muted">No alert for this movement.</p>')
    where = (
        "at its first alert"
        if ref is not None and ref.at_alert
        else "at its peak score"
        if ref is not None
        else ""
    )
    window = (
        f"{ref.window_hours} h window ending {_when(ref.window_end)} ({where})"
        if ref is not None
        else "n/a"
    )
    facts = [
        ("movement id", mid),
        ("described", window),
        ("peak score", _num(row.peak_score)),
        ("first alert", _when(row.first_alert)),
        ("first seen", _when(row.first_seen)),
        ("peak volume", f"{row.peak_posts} posts in the window ending {_when(row.peak_at)}"),
    ]
    if ref is not None:
        facts += [
            ("posts / authors", f"{ref.posts} / {ref.authors} ({ref.new_authors} new)"),
            ("opposition", _num(ref.opposition)),
            ("grassroots", _num(ref.grassroots)),
            ("institutional share", _num(ref.institutional_share)),
            ("coordination", _num(ref.coordination)),
        ]
    parts.append(_facts(f"Key facts of {label}", facts))
    parts.append(f"<h3>Volume</h3>{_volume_figure(label, own['hourly'], alerts, colour)}")

    parts.append('<div class="grid">')
    if ref is not None:
        parts.append(f"<div><h3>Stance</h3>{_stance_figure(label, ref)}</div>")
    tags = own["hashtags"].head(15)
    parts.append(
        "<div><h3>Hashtag cluster</h3>"
        + _table(
            f"Hashtags of {label} in the described window",
            ["hashtag", "posts", "authors"],
            [[f"#{t.tag}", t.posts, t.authors] for t in tags.itertuples(index=False)],
            numeric={1, 2},
        )
        + "</div></div>"
    )

    communities = own["communities"].head(8)
    parts.append(
        "<h3>Communities carrying it</h3>"
        + (
            _table(
                f"Author communities carrying {label} (share of its posts)",
                ["community", "authors", "posts", "share of posts"],
                [
                    [_community_name(c.community), c.authors, c.posts, f"{c.share:.0%}"]
                    for c in communities.itertuples(index=False)
                ],
                numeric={1, 2, 3},
            )
            if len(communities)
            else '<p class="muted">No community data for this window.</p>'
        )
    )

    groups = own["coordination"]
    n_accounts = int(groups["accounts"].sum()) if len(groups) else 0
    coordination = ref.coordination if ref is not None else float("nan")
    verdict = (
        "likely coordinated"
        if not pd.isna(coordination) and coordination >= 0.5
        else "no strong sign of coordination"
    )
    parts.append(
        "<h3>Coordination evidence</h3>"
        f"<p>{n_accounts} coordinated account(s) in {len(groups)} group(s); coordination "
        f"score {_esc(_num(coordination))} ({verdict}).</p>"
    )
    if len(groups):
        parts.append(
            _table(
                f"Coordinated groups in {label}",
                ["group", "accounts", "evidence"],
                [[g.group, g.accounts, g.reasons] for g in groups.itertuples(index=False)],
                numeric={1},
            )
        )

    if first_alert is not None:
        evidence = first_alert.evidence
        if isinstance(evidence, str):
            evidence = json.loads(evidence)
        samples = [
            (p.get("post_uid", ""), None, p.get("text", ""))
            for p in evidence.get("sample_posts", [])
        ]
        source = "posts against, from the alert's evidence"
    else:
        samples = [(p.post_uid, p.created_at, p.text) for p in own["posts"].itertuples(index=False)]
        source = "earliest original posts of the described window"
    items = "".join(
        f'<li><blockquote>{_esc(text)}</blockquote><p class="muted">{_esc(uid)}'
        + (f", {_esc(_when(created))}" if created is not None else "")
        + "</p></li>"
        for uid, created, text in samples
    )
    parts.append(
        f'<h3>Sample posts</h3><p class="muted">{_esc(source)}; untrusted user text.</p>'
        + (f'<ul class="posts">{items}</ul>' if items else '<p class="muted">None.</p>')
    )
    parts.append('<p><a href="#overview-title">Back to the overview</a></p></section>')
    return "\n".join(parts)


_CSS = """
body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;
     color:#222;background:#fff;line-height:1.45}
h1{font-size:1.7em} h2{font-size:1.35em;margin-top:0} h3{font-size:1.1em;margin:1.2em 0 .4em}
section{border-top:2px solid #ccc;padding-top:1em;margin-top:2em}
.muted{color:#555} .alert{border-left:4px solid #D55E00;padding:.3em .8em;background:#fff4ec}
table{border-collapse:collapse;margin:.5em 0;font-variant-numeric:tabular-nums}
caption{text-align:left;font-weight:600;padding:.2em 0}
th,td{padding:4px 10px;text-align:left;border-bottom:1px solid #ddd;vertical-align:top}
thead th{border-bottom:2px solid #888} td.num{text-align:right}
tbody tr:nth-child(even){background:#f6f6f6}
table.facts th{font-weight:600;white-space:nowrap}
figure{margin:.5em 0} figcaption{color:#555;font-size:.9em}
.grid{display:grid;grid-template-columns:1fr 1fr;gap:1.5em;align-items:start}
ul.posts{list-style:none;padding:0}
ul.posts li{border-left:3px solid #0072B2;padding:.2em .8em;margin:.6em 0;background:#f6f9fc}
blockquote{margin:0;white-space:pre-wrap;overflow-wrap:anywhere}
a{color:#0072B2}
@media (max-width:800px){.grid{grid-template-columns:1fr}}
"""


def write_report(engine: Engine, out: Path, limit: int = 5) -> Path:
    """Write the HTML report: an overview of scores over time and one section per top movement.

    Parameters
    ----------
    engine : Engine
        Database with detect results.
    out : Path
        Output file (its directory must exist).
    limit : int
        Movements shown in detail (by peak score).

    Returns
    -------
    Path
        The written file.
    """
    from plotly.offline import get_plotlyjs

    summary = run_summary(engine, limit=limit)
    ids = summary["movement_id"].tolist()
    timeline = _read(
        engine,
        "SELECT movement_id, window_end, score FROM mart_movement_timeline "
        "WHERE movement_id = ANY(:ids) ORDER BY window_end",
        {"ids": ids},
    )
    windows = _read(
        engine,
        "SELECT count(DISTINCT window_end) AS n, min(window_end) AS first, "
        "max(window_end) AS last FROM movement_windows",
    ).iloc[0]
    details = movement_details(engine, ids)

    if summary.empty:
        overview = "<p>No movements detected yet: ingest posts and run detect first.</p>"
        sections = ""
    else:
        rows = [
            [
                i + 1,
                row.label,
                _num(row.peak_score),
                _when(row.first_alert),
                _num(row.opposition),
                _num(row.grassroots),
                _num(row.coordination),
            ]
            for i, row in enumerate(summary.itertuples(index=False))
        ]
        table = _table(
            "Top movements by peak score (opposition, grassroots and coordination at the peak)",
            ["#", "movement", "peak score", "first alert", "opposition", "grassroots", "coord."],
            rows,
            numeric={0, 2, 4, 5, 6},
        )
        links = " · ".join(
            f'<a href="#movement-{i + 1}">{i + 1}. {_esc(label)}</a>'
            for i, label in enumerate(summary["label"])
        )
        overview = (
            f"{table}<p>Jump to: {links}</p>{_overview(summary, timeline, details['alerts'])}"
        )
        sections = "\n".join(
            _section(i + 1, row, details) for i, row in enumerate(summary.itertuples(index=False))
        )
    span = (
        f"{int(windows['n'])} detect window(s) from {_when(windows['first'])} "
        f"to {_when(windows['last'])}"
        if int(windows["n"])
        else "no detect window yet"
    )
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>protestwatch report</title>
<style>{_CSS}</style>
<script>{get_plotlyjs()}</script></head>
<body><header><h1>protestwatch: emerging opposition</h1>
<p class="muted">{_esc(span)}. Movements ranked by their peak emergence-of-opposition
score; each is described at its first alert (or its peak if it never alerted).
Sample posts are untrusted user content.</p>
<noscript><p>Charts need JavaScript; every number is also in the tables.</p></noscript>
</header><main>
<section aria-labelledby="overview-title"><h2 id="overview-title">Overview</h2>
{overview}
</section>
{sections}
</main></body></html>"""
    out = Path(out)
    out.write_text(page, encoding="utf-8")
    return out
