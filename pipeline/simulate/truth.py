"""Ground truth of a simulated scenario: ``truth.json`` and ``truth_posts.csv.gz``.

``truth.json`` describes the scenario and each component (kind, label, language,
target, hashtag variants as written, first post, busiest hour, last post, posts,
distinct authors, the campaign's accounts, the grassroots seed authors, and what a
correct detector should conclude). ``truth_posts.csv.gz`` maps every generated post
id to its component (``post_id, component_id, stance``), including the posts that
were written defective, so clustering, stance and coordination can be scored.
Both files are byte-identical for identical arguments (the gzip header carries no
timestamp or name).
"""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import numpy as np
import orjson
import pandas as pd

from pipeline.simulate.codes import STANCES
from pipeline.simulate.layout import Layout
from pipeline.simulate.population import (
    ROLE_INSTITUTION,
    ROLE_MEDIA,
    ROLE_PARTY,
    ROLE_POLITICIAN,
)
from pipeline.simulate.scenario import HOUR, Plan

__all__ = ["component_truth", "write_truth"]


def _iso(sec: int) -> str:
    return pd.Timestamp(int(sec), unit="s", tz="UTC").strftime("%Y-%m-%dT%H:%M:%SZ")


def component_truth(plan: Plan) -> list[dict]:
    """Describe every component of a plan as listed in ``truth.json``.

    Parameters
    ----------
    plan : Plan
        The planned scenario.

    Returns
    -------
    list of dict
        One entry per component, in :data:`~pipeline.simulate.codes.COMPONENT_KINDS`
        order; times are ISO 8601 UTC strings: ``start`` and ``end`` are the first
        and last posts, ``peak`` the middle of the hour with the most posts.
    """
    uid = plan.users.uid
    out = []
    for ci, c in enumerate(plan.components):
        mask = plan.comp == ci
        t = plan.t[mask]
        hours = (t - plan.start) // HOUR
        first, last = (int(t.min()), int(t.max())) if len(t) else (plan.start, plan.start)
        busiest = plan.start + int(np.argmax(np.bincount(hours))) * HOUR if len(t) else first
        peak = min(max(busiest + HOUR // 2, first), last)
        out.append(
            {
                "id": c.id,
                "kind": c.kind,
                "label": c.label,
                "lang": c.lang if c.kind != "background" else "fr+en",
                "target": c.target,
                "hashtags": list(c.hashtags),
                "start": _iso(first),
                "peak": _iso(peak),
                "end": _iso(last),
                "posts": int(mask.sum()),
                "authors": len(np.unique(plan.author[mask])),
                # Campaign accounts that posted (the others never show in the data).
                "accounts": [str(v) for v in uid[np.intersect1d(c.accounts, plan.author[mask])]],
                "seed_authors": [str(v) for v in uid[c.seeds]],
                "expected": c.expected,
            }
        )
    return out


def _write_posts(path: Path, plan: Plan, chunk: int = 200_000) -> None:
    """``post_id,component_id,stance`` for every post, gzip without name or time."""
    comp_ids = [c.id for c in plan.components]
    tmp = path.with_name(path.name + ".tmp")
    with (
        open(tmp, "wb") as fh,
        gzip.GzipFile(filename="", mode="wb", fileobj=fh, compresslevel=1, mtime=0) as gz,
    ):
        gz.write(b"post_id,component_id,stance\n")
        for lo in range(0, len(plan), chunk):
            rows = zip(
                plan.pid[lo : lo + chunk].tolist(),
                plan.comp[lo : lo + chunk].tolist(),
                plan.stance[lo : lo + chunk].tolist(),
                strict=True,
            )
            lines = [f"{p},{comp_ids[c]},{STANCES[s]}\n" for p, c, s in rows]
            gz.write("".join(lines).encode())
    os.replace(tmp, path)


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def write_truth(out_dir: Path, plan: Plan, layout: Layout, files: list[Path]) -> dict:
    """Write ``truth.json`` and ``truth_posts.csv.gz`` and return the truth document.

    Parameters
    ----------
    out_dir : Path
        Output directory.
    plan : Plan
        The planned scenario.
    layout : Layout
        Files, pages and faults (for the malformed and duplicate counts).
    files : list of Path
        The data files written.

    Returns
    -------
    dict
        The content of ``truth.json``.
    """
    users = plan.users
    official = users.with_role(ROLE_INSTITUTION, ROLE_PARTY, ROLE_POLITICIAN)
    media = users.with_role(ROLE_MEDIA)
    truth = {
        "seed": plan.seed,
        "start": _iso(plan.start),
        "end": _iso(plan.end),
        "posts": len(plan),
        "malformed": layout.malformed,
        "malformed_by_kind": layout.malformed_by_kind(),
        "duplicates": layout.duplicates,
        "files": [p.name for p in files],
        "institutional_accounts": [users.username[u] for u in official],
        "media_accounts": [users.username[u] for u in media],
        "components": component_truth(plan),
    }
    _write_atomic(out_dir / "truth.json", orjson.dumps(truth, option=orjson.OPT_INDENT_2))

    _write_posts(out_dir / "truth_posts.csv.gz", plan)
    return truth
