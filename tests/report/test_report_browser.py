"""The HTML report of a real detect run renders its charts in headless Chromium.

Ingest a small scenario, detect a few windows, write the report, then open it in a
real browser without network: plotly draws its SVG, user text stays inert, and a
full-page screenshot is kept in ``test-artifacts/report/`` for humans to look at.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from tests.report.png import read_png

pytestmark = [pytest.mark.db, pytest.mark.e2e]

HOSTILE = "<script>document.title='pwned'</script><img src=x onerror=\"document.title='pwned'\">"


@pytest.fixture(scope="module")
def report(engine, scenario_dir, artifacts):
    """The scenario ingested, five 12-hourly windows detected, the report written."""
    from pipeline.detect import run_range
    from pipeline.ingest import ingest_paths
    from pipeline.report import write_report

    ingest_paths(engine, [scenario_dir / "posts-*.jsonl"])
    run_range(
        engine, pd.Timestamp("2012-09-26T12:00Z"), pd.Timestamp("2012-09-28T12:00Z"), every="12h"
    )
    with engine.begin() as conn:
        alerted = conn.scalar(sa.text("SELECT count(*) FROM alerts"))
        # an untrusted post among the first alert's sample posts
        conn.execute(
            sa.text(
                "UPDATE alerts SET evidence = jsonb_set(evidence, '{sample_posts,0,text}', "
                "to_jsonb(CAST(:t AS text))) WHERE alert_id = (SELECT min(alert_id) FROM alerts)"
            ),
            {"t": HOSTILE},
        )
    assert alerted >= 1
    return write_report(engine, artifacts / "report.html", limit=4)


class _Svg(HTMLParser):
    """Counts plotly's drawn marks inside each ``div.plot`` of a rendered page."""

    def __init__(self):
        super().__init__()
        self.plots: list[dict] = []
        self.depth = 0  # nesting depth inside the current div.plot, 0 outside
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        classes = (attrs.get("class") or "").split()
        if tag == "title":
            self._in_title = True
        if self.depth:
            if tag not in {"br", "img", "input", "meta", "link"}:
                self.depth += 1
            plot = self.plots[-1]
            if tag == "svg" and "main-svg" in classes:
                plot["svgs"] += 1
            # bars: <g class="point"><path d="M..."> ; lines: <path class="js-line" d="M..L..">
            if tag == "path" and plot.get("_point") and re.match(r"M[\d.]", attrs.get("d", "")):
                plot["bars"] += 1
            if tag == "path" and "js-line" in classes and "L" in attrs.get("d", ""):
                plot["lines"] += 1
            plot["_point"] = tag == "g" and "point" in classes
        elif tag == "div" and "plot" in classes:
            self.depth = 1
            self.plots.append(
                {"label": attrs.get("aria-label", ""), "svgs": 0, "bars": 0, "lines": 0}
            )

    def handle_startendtag(self, tag, attrs):
        depth = self.depth
        self.handle_starttag(tag, attrs)
        if self.depth > depth:
            self.depth -= 1

    def handle_endtag(self, tag):
        if tag == "title":
            self._in_title = False
        if self.depth:
            self.depth -= 1

    def handle_data(self, data):
        if self._in_title:
            self.title += data


def test_report_renders_charts_in_headless_chromium(chromium, report, artifacts):
    result = chromium.run(
        "--virtual-time-budget=20000", "--window-size=1280,4000", "--dump-dom", report.as_uri()
    )
    dom = result.stdout.decode()
    (artifacts / "report.dom.html").write_text(dom, encoding="utf-8")
    parsed = _Svg()
    parsed.feed(dom)

    sections = dom.count('<section id="movement-')
    assert sections >= 2
    # overview + per movement: volume and stance
    assert len(parsed.plots) == 1 + 2 * sections
    for plot in parsed.plots:
        assert plot["svgs"] >= 1, f"plotly drew nothing for: {plot['label'][:80]}"
        assert plot["label"], "every chart has a text alternative"
        assert plot["bars"] + plot["lines"] > 0, f"no data drawn for: {plot['label'][:80]}"
    overview, volumes = parsed.plots[0], parsed.plots[1::2]
    assert overview["lines"] >= 1 and overview["label"].startswith("Line chart")
    assert all(v["label"].startswith("Bar chart") for v in volumes)
    assert volumes[0]["bars"] >= 10  # the top movement's hours


def test_untrusted_post_text_stays_text_in_the_browser(chromium, report):
    dom = chromium.run("--virtual-time-budget=20000", "--dump-dom", report.as_uri()).stdout.decode()
    parsed = _Svg()
    parsed.feed(dom)

    assert parsed.title == "protestwatch report"  # the injected script never ran
    assert "&lt;script&gt;document.title='pwned'&lt;/script&gt;" in dom
    assert '<img src="x"' not in dom and "<script>document.title" not in dom


def test_screenshot_of_the_report_is_not_blank(chromium, report, artifacts):
    png = artifacts / "report.png"
    png.unlink(missing_ok=True)

    chromium.run(
        "--virtual-time-budget=20000",
        "--window-size=1280,4000",
        f"--screenshot={png}",
        report.as_uri(),
    )

    pixels = read_png(png.read_bytes())
    assert pixels.shape[:2] == (4000, 1280)
    rgb = pixels[..., :3].astype(np.int32)
    colours = np.unique((rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2])
    inked = (rgb < 250).any(axis=-1)
    assert len(colours) > 50  # text, bars, lines: far from a single colour
    assert inked.mean() > 0.02
    # content all the way down the page, not only a header
    bands = inked.reshape(8, 500, 1280).mean(axis=(1, 2))
    assert (bands > 0.005).all(), bands
    # the Okabe-Ito blue of the first movement's bars/lines is on screen
    blue = (np.abs(rgb - np.array([0x00, 0x72, 0xB2])).sum(axis=-1) < 30).sum()
    assert blue > 500
