"""Lay posts out into daily files and response pages, with planted faults.

The layout is decided with arrays before anything is serialised:

* every post goes to the file of its UTC day, in time order, in pages of at most
  ``page_size`` tweets (the last page of a day may be shorter);
* **duplicates**: a share of posts is written a second time, identical, at least
  one full page later (possibly in the next day's file), as a collector that
  re-fetches an overlapping interval does;
* **malformed records**: some posts are written defective (no ``id``, no
  ``author_id``, or an unparsable ``created_at``), and some pages are preceded by a
  truncated copy of themselves (a collector that crashed mid-write and retried).
  A reader sees each defective tweet and each truncated line as one bad record.

Defective posts are chosen among posts that no other post references and that are
not duplicated, so that every defective post is unreadable everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipeline.simulate.scenario import DAY, Plan

__all__ = ["DEFECTS", "Layout", "plan_layout"]

#: Kinds of malformed records (code = index; 0 is a sound post).
DEFECTS = ("ok", "missing_id", "missing_author_id", "bad_created_at", "truncated_line")


@dataclass
class Layout:
    """Where every post (and every duplicate copy) is written.

    Attributes
    ----------
    days : list of str
        ``YYYY-MM-DD`` of each file, in order.
    entries : ndarray of int64
        Post positions in writing order (duplicates included).
    is_dup : ndarray of bool
        Whether each entry is a repeated copy.
    page_bounds : ndarray of int64
        Entry offsets where each page starts, plus the total at the end.
    page_file : ndarray of int64
        File index of each page.
    defect : ndarray of int8
        Defect code (index into :data:`DEFECTS`) of each post; 0 for sound posts.
    truncated : ndarray of float
        For each page, where to cut the truncated copy written before it (fraction
        of its length), or 0 for none.
    """

    days: list[str]
    entries: np.ndarray
    is_dup: np.ndarray
    page_bounds: np.ndarray
    page_file: np.ndarray
    defect: np.ndarray
    truncated: np.ndarray

    @property
    def duplicates(self) -> int:
        """Number of repeated tweet copies."""
        return int(self.is_dup.sum())

    def malformed_by_kind(self) -> dict[str, int]:
        """Count of malformed records of each kind."""
        counts = np.bincount(self.defect, minlength=len(DEFECTS) - 1)
        out = {name: int(counts[i]) for i, name in enumerate(DEFECTS[1:-1], 1)}
        out["truncated_line"] = int(np.count_nonzero(self.truncated))
        return out

    @property
    def malformed(self) -> int:
        """Total malformed records (defective tweets and truncated lines)."""
        return sum(self.malformed_by_kind().values())


def plan_layout(
    plan: Plan,
    malformed_share: float,
    duplicate_share: float,
    page_size: int = 100,
) -> Layout:
    """Decide files, pages, duplicates and malformed records for a plan.

    Parameters
    ----------
    plan : Plan
        The planned posts (time-ordered).
    malformed_share : float
        Malformed records as a share of posts (about a fifth are truncated lines).
    duplicate_share : float
        Repeated tweet copies as a share of posts.
    page_size : int, default 100
        Maximum tweets per response page.

    Returns
    -------
    Layout
        The writing order, pages and faults; a function of the plan's seed.
    """
    rng = np.random.default_rng([plan.seed, 1])
    n = len(plan)
    n_days = (plan.end - plan.start) // DAY
    days = [
        str(np.datetime64(plan.start + d * DAY, "s").astype("datetime64[D]")) for d in range(n_days)
    ]
    day_of = np.minimum((plan.t - plan.start) // DAY, n_days - 1)

    # Duplicates: a later copy, at least one page after the original.
    gap = page_size
    eligible = np.arange(max(0, n - gap - 1))
    n_dup = min(round(duplicate_share * n), len(eligible))
    src = np.sort(rng.choice(eligible, n_dup, replace=False)) if n_dup else np.zeros(0, int)
    dest = np.minimum(src + gap + rng.geometric(1 / 800, n_dup), n - 1)
    keys = np.r_[np.arange(n, dtype=float), dest + 0.5]
    order = np.argsort(keys, kind="stable")
    entries = np.r_[np.arange(n), src][order]
    is_dup = np.r_[np.zeros(n, bool), np.ones(n_dup, bool)][order]
    entry_day = day_of[np.floor(keys[order]).astype(np.int64)]

    # Pages: consecutive chunks of each day's entries.
    day_start = np.searchsorted(entry_day, np.arange(n_days))
    day_count = np.diff(np.r_[day_start, len(entries)])
    pages_per_day = -(-day_count // page_size)
    page_file = np.repeat(np.arange(n_days), pages_per_day)
    first_page = np.r_[0, np.cumsum(pages_per_day)[:-1]]
    k = np.arange(len(page_file)) - np.repeat(first_page, pages_per_day)
    page_bounds = np.r_[day_start[page_file] + k * page_size, len(entries)]

    # Malformed: truncated lines (about a fifth) and defective posts.
    n_bad = round(malformed_share * n)
    n_trunc = min(n_bad // 5, len(page_file))
    truncated = np.zeros(len(page_file))
    pages = rng.choice(len(page_file), n_trunc, replace=False)
    truncated[pages] = rng.uniform(0.05, 0.95, n_trunc)
    referenced = np.zeros(n, bool)
    referenced[plan.ref[plan.ref >= 0]] = True
    referenced[src] = True
    candidates = np.flatnonzero(~referenced)
    n_def = min(n_bad - n_trunc, len(candidates))
    defect = np.zeros(n, np.int8)
    bad = rng.choice(candidates, n_def, replace=False)
    defect[bad] = rng.integers(1, 4, n_def)
    return Layout(days, entries, is_dup, page_bounds, page_file, defect, truncated)
