"""Small helpers shared by the graph estimators: input checks, seeding and Leiden.

Private to :mod:`models`; the public estimators are
:class:`models.hashtags.HashtagClusterer` and :class:`models.communities.CommunityDetector`.
"""

from __future__ import annotations

import random
from collections.abc import Iterable

import igraph as ig
import numpy as np
import pandas as pd
from sklearn.utils import check_random_state

__all__ = ["leiden_membership", "leiden_seed", "rank_labels", "require_columns", "to_utc"]


def require_columns(frame: pd.DataFrame, columns: Iterable[str], name: str) -> None:
    """Raise ``ValueError`` naming the missing columns of ``frame``.

    Parameters
    ----------
    frame : pandas.DataFrame
        The input to check.
    columns : iterable of str
        Columns the caller needs.
    name : str
        How the input is called in the message (e.g. ``"post_tags"``).

    Raises
    ------
    ValueError
        If ``frame`` is not a DataFrame or lacks one of ``columns``.
    """
    if not isinstance(frame, pd.DataFrame):
        raise ValueError(f"{name} must be a pandas DataFrame, got {type(frame).__name__}")
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise ValueError(
            f"{name} lacks column(s) {missing}; it has {list(map(str, frame.columns))}"
        )


def to_utc(values: pd.Series | pd.Timestamp | str) -> pd.Series | pd.Timestamp:
    """Return timestamps as tz-aware UTC; naive values are taken to be UTC already.

    Parameters
    ----------
    values : pandas.Series, pandas.Timestamp, datetime or str
        Timestamps of any resolution.

    Returns
    -------
    pandas.Series or pandas.Timestamp
        The same instants, tz-aware in UTC.
    """
    return pd.to_datetime(values, utc=True)


def leiden_seed(random_state: int | np.random.RandomState | None) -> int:
    """Turn a scikit-learn ``random_state`` into the integer seed of the Leiden run.

    An ``int`` is used as is (so ``random_state=0`` gives Leiden seed 0); ``None`` or a
    ``RandomState`` draws one integer from it, as scikit-learn estimators do.

    Parameters
    ----------
    random_state : None, int or numpy.random.RandomState
        The estimator's ``random_state`` parameter.

    Returns
    -------
    int
        A non-negative 31-bit seed.
    """
    if isinstance(random_state, (int, np.integer)) and not isinstance(random_state, bool):
        return int(random_state) % (2**31 - 1)
    return int(check_random_state(random_state).randint(np.iinfo(np.int32).max))


def leiden_membership(
    n_vertices: int,
    sources: np.ndarray,
    targets: np.ndarray,
    weights: np.ndarray,
    *,
    resolution: float,
    random_state: int | np.random.RandomState | None,
) -> np.ndarray:
    """Partition an undirected weighted graph with Leiden (RB configuration model).

    Runs igraph's C implementation until the partition is stable.

    Parameters
    ----------
    n_vertices : int
        Number of vertices, numbered ``0 .. n_vertices - 1``; isolated vertices end as
        singletons.
    sources, targets : numpy.ndarray of int
        End points of each edge (each undirected edge listed once).
    weights : numpy.ndarray of float
        Positive edge weights.
    resolution : float
        Resolution of the modularity (RB configuration) objective;
        1.0 is modularity, higher values give more, smaller communities.
    random_state : None, int or numpy.random.RandomState
        Seed; see :func:`leiden_seed`.

    Returns
    -------
    numpy.ndarray of int64
        Raw community label of each vertex (not yet renumbered).
    """
    if n_vertices == 0:
        return np.empty(0, dtype=np.int64)
    edges = np.column_stack([np.asarray(sources), np.asarray(targets)]).astype(np.int64)
    graph = ig.Graph(n=int(n_vertices), edges=edges.tolist(), directed=False)
    # igraph's C implementation of Leiden (modularity objective with a resolution is
    # the RB configuration model); seeded through igraph's own random generator.
    ig.set_random_number_generator(random.Random(leiden_seed(random_state)))
    try:
        partition = graph.community_leiden(
            objective_function="modularity",
            weights=np.asarray(weights, dtype=float).tolist(),
            resolution=float(resolution),
            n_iterations=-1,
        )
    finally:
        ig.set_random_number_generator(random)
    return np.asarray(partition.membership, dtype=np.int64)


def rank_labels(labels: np.ndarray, size: np.ndarray, tiebreak: np.ndarray) -> np.ndarray:
    """Renumber raw labels ``0 .. k-1`` by size descending, ties by ``tiebreak`` ascending.

    Parameters
    ----------
    labels : numpy.ndarray
        Raw label of each group member.
    size : numpy.ndarray
        One size per distinct raw label, aligned with ``numpy.unique(labels)``.
    tiebreak : numpy.ndarray
        One sortable key per distinct raw label, aligned the same way (e.g. the
        smallest member name), making the numbering independent of Leiden's labels.

    Returns
    -------
    numpy.ndarray of int64
        New label of each member.
    """
    uniques, inverse = np.unique(labels, return_inverse=True)
    order = pd.DataFrame({"size": size, "tiebreak": tiebreak}).sort_values(
        ["size", "tiebreak"], ascending=[False, True], kind="stable"
    )
    rank = np.empty(len(uniques), dtype=np.int64)
    rank[order.index.to_numpy()] = np.arange(len(uniques), dtype=np.int64)
    return rank[inverse]
