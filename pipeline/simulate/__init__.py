"""Synthetic social-media scenarios with known ground truth.

:func:`simulate` writes posts in X API v2 JSONL (twarc2 response pages, one file per
UTC day) in which grassroots opposition movements emerge among a coordinated
campaign, a neutral spike, an institutional promotion, a persistent topic and
background chatter, plus ``truth.json`` and ``truth_posts.csv.gz`` to score
detection against. Modules: :mod:`~pipeline.simulate.codes` (shared integer codes),
:mod:`~pipeline.simulate.pools` (scenario content),
:mod:`~pipeline.simulate.text` (templates and rendering),
:mod:`~pipeline.simulate.population` (accounts), :mod:`~pipeline.simulate.scenario`
(components and post plan), :mod:`~pipeline.simulate.layout` (files, pages,
faults), :mod:`~pipeline.simulate.x_v2` (serialisation),
:mod:`~pipeline.simulate.truth` (ground truth).
"""

from pipeline.simulate.generate import MIN_POSTS, simulate

__all__ = ["MIN_POSTS", "simulate"]
