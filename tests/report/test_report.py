"""The HTML report from hand-built result rows: every part of a movement is shown, user
text is escaped, the page needs no network, and the terminal tables still work."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from pipeline.report import format_top, run_summary, top_movements, write_report
from tests.conftest import truncate_all

pytestmark = pytest.mark.db

T0 = datetime(2012, 9, 28, 12, tzinfo=UTC)
HOUR = timedelta(hours=1)
SCRIPT = '<script>alert("pwned")</script>'
IMG = "<img src=x onerror=alert(1)>"


def insert(conn, table: str, **row) -> None:
    row = {k: json.dumps(v) if isinstance(v, dict) else v for k, v in row.items()}
    columns = ", ".join(row)
    values = ", ".join(f":{c}" for c in row)
    conn.execute(sa.text(f"INSERT INTO {table} ({columns}) VALUES ({values})"), row)


def window(conn, mid: str, end: datetime, rank: int, score: float, **over) -> None:
    row = dict(
        window_end=end, movement_id=mid, status="emerging", posts=40, authors=30,
        new_authors=20, expected=4.0, growth=10.0, surprise=12.0, acceleration=1.0, burst=1.0,
        new_author_share=0.6, emergence=0.8, n_against=30, n_favour=2, n_none=8,
        opposition=0.7, institutional_share=0.05, grassroots=0.9, coordination=0.0,
        score=score, rank=rank,
    )  # fmt: skip
    insert(conn, "movement_windows", **(row | over))


def test_an_empty_database_gives_a_page_that_says_so(engine, tmp_path):
    # first in the module: runs before the module's rows are inserted
    truncate_all(engine)
    try:
        page = write_report(engine, tmp_path / "empty.html").read_text(encoding="utf-8")
    finally:
        truncate_all(engine)
    assert "No movements detected yet" in page and "no detect window yet" in page


@pytest.fixture(scope="module")
def results(engine):
    """Two movements: one alerted (hostile label and sample post), one coordinated
    and never alerted (its sample posts come from the posts table)."""
    truncate_all(engine)
    with engine.begin() as conn:
        conn.execute(
            sa.text("SELECT protestwatch_ensure_partitions(:lo, :hi)"),
            {"lo": T0 - 48 * HOUR, "hi": T0 + 48 * HOUR},
        )
        insert(
            conn,
            "movements",
            movement_id="mv-a",
            label=f"#Pigeons {IMG}",
            first_seen=T0,
            last_seen=T0 + 2 * HOUR,
            status="growing",
            peak_posts=60,
            peak_at=T0 + HOUR,
        )
        insert(
            conn,
            "movements",
            movement_id="mv-b",
            label="#TaxeSoda",
            first_seen=T0,
            last_seen=T0 + 2 * HOUR,
            status="emerging",
            peak_posts=50,
            peak_at=T0 + 2 * HOUR,
        )
        for i, score in enumerate([0.35, 0.6, 0.5]):
            window(conn, "mv-a", T0 + i * HOUR, 1, score, posts=40 + 10 * i)
            window(
                conn,
                "mv-b",
                T0 + i * HOUR,
                2,
                0.05 + 0.01 * i,
                coordination=0.9,
                n_against=45,
                n_favour=0,
                n_none=5,
            )
        for mid, end in [("mv-a", T0), ("mv-b", T0 + 2 * HOUR)]:
            for tag, posts in (
                [("Pigeons", 30), ("GEONPI", 12)]
                if mid == "mv-a"
                else [("TaxeSoda", 40), ("StopTaxeSoda", 20)]
            ):
                insert(
                    conn,
                    "movement_hashtags",
                    window_end=end,
                    movement_id=mid,
                    tag_norm=tag.lower(),
                    tag=tag,
                    posts=posts,
                    authors=posts - 2,
                )
            insert(
                conn,
                "movement_communities",
                window_end=end,
                movement_id=mid,
                community=4,
                authors=12,
                posts=20,
                share=0.5,
            )
            insert(
                conn,
                "movement_communities",
                window_end=end,
                movement_id=mid,
                community=-1,
                authors=8,
                posts=8,
                share=0.2,
            )
        for n in range(5):
            insert(
                conn,
                "coordinated_accounts",
                window_end=T0 + 2 * HOUR,
                movement_id="mv-b",
                author_uid=f"bot{n}",
                grp=n % 2,
                reasons="co-post,fresh",
                score=0.9,
            )
        evidence = {
            "posts": 40, "hashtags": ["Pigeons"], "stance": {"against": 30},
            "sample_posts": [{"post_uid": "x:1", "text": f"Stop! {SCRIPT} #Pigeons"}],
        }  # fmt: skip
        insert(
            conn,
            "alerts",
            movement_id="mv-a",
            episode=1,
            fired_at=T0,
            score=0.35,
            reason="score 0.35: 40 posts vs 4.0 expected <b>",
            evidence=evidence,
        )
        for n, (prefix, tag) in enumerate([("b", "TaxeSoda")] * 4 + [("a", "Pigeons")] * 6):
            created = T0 - 3 * HOUR + (n % 4) * HOUR
            uid = f"x:{prefix}{n}"
            text = f"soda post {n} {IMG}" if n == 0 else f"{tag} post {n}"
            insert(conn, "posts", post_uid=uid, platform="x", post_id=uid[2:],
                   author_uid=f"u{n}", created_at=created, source="test", ingest_run_id=1,
                   text=text)  # fmt: skip
            insert(conn, "post_hashtags", post_uid=uid, created_at=created, author_uid=f"u{n}",
                   tag=tag, tag_norm=tag.lower())  # fmt: skip
    yield engine
    truncate_all(engine)


@pytest.fixture(scope="module")
def page(results, tmp_path_factory) -> str:
    out = tmp_path_factory.mktemp("report") / "report.html"
    return write_report(results, out).read_text(encoding="utf-8")


def section(page: str, n: int) -> str:
    start = page.index(f'<section id="movement-{n}"')
    return page[start : page.index("</section>", start)]


def test_untrusted_text_is_escaped_everywhere(page):
    body = page[page.index("</head>") :]  # after the inline plotly.js library
    assert SCRIPT not in body and IMG not in body and "<b>" not in body
    assert html_escaped(SCRIPT) in section(page, 1)  # the alert's sample post
    assert html_escaped(IMG) in section(page, 2)  # a post read from the posts table
    assert f"#Pigeons {html_escaped(IMG)}" in page  # the label, in headings and tables
    # strings handed to plotly (legend names) are escaped before JSON encoding too
    assert "&lt;img src=x onerror=alert(1)&gt;" in page.split("Plotly.newPlot")[1]


def html_escaped(text: str) -> str:
    import html

    return html.escape(text, quote=True)


def test_each_movement_has_volume_stance_hashtags_communities_coordination_and_posts(page):
    for n in (1, 2):
        part = section(page, n)
        for heading in ("Volume", "Stance", "Hashtag cluster", "Communities carrying it",
                        "Coordination evidence", "Sample posts"):  # fmt: skip
            assert f"<h3>{heading}</h3>" in part
        assert part.count('<div class="plot" role="img" aria-label="') == 2
    first, second = section(page, 1), section(page, 2)
    assert "Alert #1</strong> at 2012-09-28 12:00 UTC" in first
    assert "at its first alert" in first and "#GEONPI" in first
    assert "alerts at 2012-09-28 12:00 UTC" in first  # in the volume chart's text
    assert "No alert for this movement." in second and "at its peak score" in second
    assert "5 coordinated account(s) in 2 group(s)" in second and "likely coordinated" in second
    assert "co-post, fresh" in second and "outside communities" in second
    assert second.count("<blockquote>") == 3  # earliest posts of the peak window


def test_charts_have_text_alternatives_and_tables_are_accessible(page):
    labels = re.findall(r'role="img" aria-label="([^"]+)"', page)
    assert len(labels) == 5  # overview + 2 x (volume, stance)
    assert labels[0].startswith("Line chart of the emergence-of-opposition score")
    assert any("30 against (75%), 2 favour (5%), 8 none (20%)" in label for label in labels)
    assert page.count("<caption>") == page.count("<table")
    assert '<th scope="col">' in page and '<th scope="row">' in page
    assert '<html lang="en">' in page


def test_the_page_needs_no_network(page):
    assert "<script src" not in page and "<link" not in page
    assert "@import" not in page and "url(http" not in page
    assert "plotly.js" in page[:2_000_000].lower()  # the library itself is inline


def test_okabe_ito_colours_mark_the_series(page):
    overview = page[page.index('id="overview-title"') : page.index('id="movement-1"')]
    assert '"color":"#0072B2"' in overview and '"color":"#D55E00"' in overview


def test_terminal_tables_still_work(results):
    summary = run_summary(results)
    assert summary["movement_id"].tolist() == ["mv-a", "mv-b"]
    assert "0.60" in format_top(summary.drop(columns=["movement_id"]))
    assert top_movements(results, at=T0 + HOUR)["movement_id"].tolist() == ["mv-a", "mv-b"]
