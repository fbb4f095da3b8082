"""Follow hashtag clusters from window to window as movements with stable ids.

Each hourly window produces fresh, anonymous clusters (:mod:`models.hashtags`). The
:class:`MovementTracker` links them to the movements already known, so that
``#geonpi`` at 14:00 and ``#geonpi`` + ``#pigeons`` at 15:00 are one movement with
one id, and it records lineage when movements merge or split.

Similarity of a previous movement ``m`` and a current cluster ``c``::

    sim = tag_weight * weighted_jaccard(tags) + author_weight * jaccard(authors)

``weighted_jaccard = sum_t min(w_m[t], w_c[t]) / sum_t max(w_m[t], w_c[t])`` on tag
weights normalised to sum 1 within each movement or cluster (so a movement that
doubles its volume with the same tag mix keeps similarity 1), and ``jaccard`` is
``|A_m & A_c| / |A_m | A_c|`` on author sets. Both are computed with sparse matrices
and only for pairs that share something.

:func:`lifecycle_status` classifies movements from their per-window post counts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.optimize import linear_sum_assignment
from sklearn.base import BaseEstimator

from models._leiden import require_columns, to_utc

__all__ = ["LIFECYCLE_STATUSES", "MovementTracker", "TrackingResult", "lifecycle_status"]

#: Values :func:`lifecycle_status` returns, in the order its rules are tried.
LIFECYCLE_STATUSES = ("dormant", "emerging", "growing", "declining", "peaking")

_ASSIGNMENT_COLUMNS = ("cluster", "movement_id", "is_new", "similarity")
_LINEAGE_COLUMNS = ("movement_id", "related_id", "kind", "similarity")


@dataclass(frozen=True)
class TrackingResult:
    """What :meth:`MovementTracker.match` decided for one window.

    Attributes
    ----------
    assignments : pandas.DataFrame
        One row per current cluster: ``cluster`` (int64), ``movement_id`` (str),
        ``is_new`` (bool), ``similarity`` (float, similarity to the previous movement it
        continues; NaN for new movements). Sorted by cluster.
    lineage : pandas.DataFrame
        ``movement_id`` (the current movement), ``related_id`` (a previous movement),
        ``kind`` (``"merged_from"`` or ``"split_from"``), ``similarity``. Sorted by
        movement, kind, related id.
    """

    assignments: pd.DataFrame
    lineage: pd.DataFrame


def _normalised_weights(frame: pd.DataFrame, owner: str) -> pd.DataFrame:
    """Sum weights per (owner, tag) and scale them to sum 1 per owner."""
    rows = (
        frame.loc[:, [owner, "tag_norm", "weight"]]
        .dropna()
        .astype({"weight": float})
        .groupby([owner, "tag_norm"], sort=True)["weight"]
        .sum()
        .reset_index()
    )
    if (rows["weight"] < 0).any():
        raise ValueError("tag weights must be >= 0")
    total = rows.groupby(owner)["weight"].transform("sum")
    keep = (total > 0) & (rows["weight"] > 0)
    return rows[keep].assign(weight=rows["weight"][keep] / total[keep])


def _pair_frame(rows: np.ndarray, cols: np.ndarray, values: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame({"p": rows.astype(np.int64), "c": cols.astype(np.int64), "v": values})


class MovementTracker(BaseEstimator):
    """Give this window's hashtag clusters stable movement ids.

    Matching is one-to-one (:func:`scipy.optimize.linear_sum_assignment`, maximising
    total similarity) among pairs with similarity >= ``min_similarity``. A cluster left
    unmatched becomes a new movement with id ``f"mv-{window_end:%Y%m%d%H}-{cluster:03d}"``
    (``window_end`` in UTC), so re-running a window gives the same ids.

    Lineage, for pairs with similarity >= ``merge_threshold``:

    * ``merged_from``: a previous movement that no cluster continues is recorded as
      absorbed by the current cluster it overlaps most (ties to the lower cluster);
    * ``split_from``: a new cluster overlaps a previous movement that another cluster
      continues.

    The tracker learns nothing (no ``fit``); it is a scikit-learn estimator for
    ``get_params``/``clone``.

    Parameters
    ----------
    min_similarity : float, default=0.2
        Least similarity for a cluster to continue a previous movement.
    tag_weight : float, default=0.6
        Weight of the weighted Jaccard of tags.
    author_weight : float, default=0.4
        Weight of the Jaccard of authors.
    merge_threshold : float, default=0.3
        Least similarity for a lineage row.

    Examples
    --------
    >>> result = MovementTracker().match(prev_tags, prev_authors, tags, authors,
    ...                                  window_end)  # doctest: +SKIP
    >>> result.assignments  # doctest: +SKIP
    """

    def __init__(self, min_similarity=0.2, tag_weight=0.6, author_weight=0.4, merge_threshold=0.3):
        self.min_similarity = min_similarity
        self.tag_weight = tag_weight
        self.author_weight = author_weight
        self.merge_threshold = merge_threshold

    def _check_params(self) -> None:
        for name in ("min_similarity", "tag_weight", "author_weight", "merge_threshold"):
            if not float(getattr(self, name)) >= 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)!r}")

    def similarity(
        self,
        previous_tags: pd.DataFrame,
        previous_authors: pd.DataFrame,
        current_tags: pd.DataFrame,
        current_authors: pd.DataFrame,
    ) -> pd.DataFrame:
        """Similarity of every (previous movement, current cluster) pair that overlaps.

        Parameters
        ----------
        previous_tags, previous_authors, current_tags, current_authors : pandas.DataFrame
            As for :meth:`match`.

        Returns
        -------
        pandas.DataFrame
            ``movement_id``, ``cluster``, ``tag_similarity``, ``author_similarity``,
            ``similarity``; pairs sharing no tag and no author are left out.
        """
        self._check_params()
        pairs, movements, clusters = self._indexed(
            previous_tags, previous_authors, current_tags, current_authors
        )
        return pd.DataFrame(
            {
                "movement_id": pd.Series(movements[pairs["p"].to_numpy()], dtype="str"),
                "cluster": clusters[pairs["c"].to_numpy()].astype(np.int64),
                "tag_similarity": pairs["tags"].to_numpy(float),
                "author_similarity": pairs["authors"].to_numpy(float),
                "similarity": pairs["similarity"].to_numpy(float),
            }
        )

    def _indexed(self, previous_tags, previous_authors, current_tags, current_authors):
        """Pairwise similarities as integer-indexed pairs, plus both id arrays."""
        require_columns(previous_tags, ("movement_id", "tag_norm", "weight"), "previous_tags")
        require_columns(previous_authors, ("movement_id", "author_uid"), "previous_authors")
        require_columns(current_tags, ("cluster", "tag_norm", "weight"), "current_tags")
        require_columns(current_authors, ("cluster", "author_uid"), "current_authors")

        movements = np.unique(
            pd.concat([previous_tags["movement_id"], previous_authors["movement_id"]])
            .dropna()
            .astype(str)
            .to_numpy(dtype=str)
        ).astype(object)
        clusters = np.unique(
            pd.concat([current_tags["cluster"], current_authors["cluster"]])
            .dropna()
            .to_numpy(dtype=np.int64)
        )
        n_prev, n_cur = len(movements), len(clusters)

        # Tags: sum of min over shared tags, from a join on the tag.
        prev = _normalised_weights(previous_tags.astype({"movement_id": str}), "movement_id")
        cur = _normalised_weights(current_tags, "cluster")
        prev_p = np.searchsorted(movements, prev["movement_id"].to_numpy(dtype=object))
        cur_c = np.searchsorted(clusters, cur["cluster"].to_numpy(dtype=np.int64))
        prev_total = np.bincount(prev_p, weights=prev["weight"].to_numpy(), minlength=n_prev)
        cur_total = np.bincount(cur_c, weights=cur["weight"].to_numpy(), minlength=n_cur)
        shared = pd.DataFrame(
            {"tag_norm": prev["tag_norm"].to_numpy(), "p": prev_p, "w": prev["weight"].to_numpy()}
        ).merge(
            pd.DataFrame(
                {"tag_norm": cur["tag_norm"].to_numpy(), "c": cur_c, "w": cur["weight"].to_numpy()}
            ),
            on="tag_norm",
        )
        overlap = (
            sparse.coo_array(
                (
                    np.minimum(shared["w_x"].to_numpy(), shared["w_y"].to_numpy()),
                    (shared["p"].to_numpy(), shared["c"].to_numpy()),
                ),
                shape=(n_prev, n_cur),
            )
            .tocsr()
            .tocoo()
        )
        union = prev_total[overlap.row] + cur_total[overlap.col] - overlap.data
        tag_pairs = _pair_frame(
            overlap.row,
            overlap.col,
            np.divide(overlap.data, union, where=union > 0, out=np.zeros(len(union))),
        )

        # Authors: binary incidence matrices, intersections by sparse product.
        prev_a = previous_authors.loc[:, ["movement_id", "author_uid"]].dropna().drop_duplicates()
        cur_a = current_authors.loc[:, ["cluster", "author_uid"]].dropna().drop_duplicates()
        author_names = pd.Index(
            np.unique(
                pd.concat([prev_a["author_uid"], cur_a["author_uid"]]).astype(str).to_numpy(str)
            )
        )
        by_prev = sparse.csr_array(
            (
                np.ones(len(prev_a)),
                (
                    np.searchsorted(
                        movements, prev_a["movement_id"].astype(str).to_numpy(dtype=object)
                    ),
                    author_names.get_indexer(prev_a["author_uid"].astype(str)),
                ),
            ),
            shape=(n_prev, len(author_names)),
        )
        by_cur = sparse.csr_array(
            (
                np.ones(len(cur_a)),
                (
                    np.searchsorted(clusters, cur_a["cluster"].to_numpy(dtype=np.int64)),
                    author_names.get_indexer(cur_a["author_uid"].astype(str)),
                ),
            ),
            shape=(n_cur, len(author_names)),
        )
        common = (by_prev @ by_cur.T).tocoo()
        prev_size = np.asarray(by_prev.sum(axis=1)).ravel()
        cur_size = np.asarray(by_cur.sum(axis=1)).ravel()
        author_union = prev_size[common.row] + cur_size[common.col] - common.data
        author_pairs = _pair_frame(common.row, common.col, common.data / author_union)

        pairs = (
            tag_pairs.rename(columns={"v": "tags"})
            .merge(author_pairs.rename(columns={"v": "authors"}), on=["p", "c"], how="outer")
            .fillna({"tags": 0.0, "authors": 0.0})
        )
        pairs["similarity"] = (
            float(self.tag_weight) * pairs["tags"] + float(self.author_weight) * pairs["authors"]
        )
        pairs = pairs.sort_values(["p", "c"], ignore_index=True)
        return pairs, movements, clusters

    def match(
        self,
        previous_tags: pd.DataFrame,
        previous_authors: pd.DataFrame,
        current_tags: pd.DataFrame,
        current_authors: pd.DataFrame,
        window_end,
    ) -> TrackingResult:
        """Assign this window's clusters to known movements or new ids.

        Parameters
        ----------
        previous_tags : pandas.DataFrame
            ``movement_id``, ``tag_norm``, ``weight`` (>= 0, e.g. posts) of the known
            movements.
        previous_authors : pandas.DataFrame
            ``movement_id``, ``author_uid`` of the known movements.
        current_tags : pandas.DataFrame
            ``cluster`` (int), ``tag_norm``, ``weight`` of this window's clusters.
        current_authors : pandas.DataFrame
            ``cluster``, ``author_uid`` of this window's clusters.
        window_end : pandas.Timestamp, datetime or str
            End of the window; names new movements (naive values are taken as UTC).

        Returns
        -------
        TrackingResult
            ``assignments`` and ``lineage``, see :class:`TrackingResult`.
        """
        self._check_params()
        pairs, movements, clusters = self._indexed(
            previous_tags, previous_authors, current_tags, current_authors
        )
        stamp = to_utc(pd.Timestamp(window_end)).strftime("%Y%m%d%H")

        # One-to-one assignment on the sub-matrix of pairs above the threshold.
        eligible = pairs[pairs["similarity"] >= float(self.min_similarity)]
        rows_u, row_pos = np.unique(eligible["p"].to_numpy(), return_inverse=True)
        cols_u, col_pos = np.unique(eligible["c"].to_numpy(), return_inverse=True)
        matrix = np.zeros((len(rows_u), len(cols_u)))
        matrix[row_pos, col_pos] = eligible["similarity"].to_numpy()
        chosen_r, chosen_c = linear_sum_assignment(matrix, maximize=True)
        valid = matrix[chosen_r, chosen_c] >= float(self.min_similarity)
        valid &= np.isin(
            rows_u[chosen_r] * len(clusters) + cols_u[chosen_c],
            eligible["p"].to_numpy() * len(clusters) + eligible["c"].to_numpy(),
        )
        matched_p, matched_c = rows_u[chosen_r][valid], cols_u[chosen_c][valid]

        continues = np.full(len(clusters), -1, dtype=np.int64)
        continues[matched_c] = matched_p
        continued_by = np.full(len(movements), -1, dtype=np.int64)
        continued_by[matched_p] = matched_c
        is_new = continues < 0
        new_ids = (
            "mv-" + stamp + "-" + pd.Series(clusters, dtype=np.int64).astype(str).str.zfill(3)
        ).to_numpy(dtype=object)
        # continues is -1 for new clusters, which picks the appended placeholder.
        movement_id = np.where(is_new, new_ids, np.append(movements, "")[continues])
        similarity = np.full(len(clusters), np.nan)
        if len(matched_p):
            similarity[matched_c] = matrix[chosen_r[valid], chosen_c[valid]]
        assignments = pd.DataFrame(
            {
                "cluster": clusters.astype(np.int64),
                "movement_id": pd.Series(movement_id, dtype="str"),
                "is_new": is_new,
                "similarity": similarity,
            }
        )

        # Lineage among strong overlaps that are not the chosen continuation.
        strong = pairs[
            (pairs["similarity"] >= float(self.merge_threshold))
            & (continued_by[pairs["p"].to_numpy()] != pairs["c"].to_numpy())
        ]
        absorbed = (
            strong[continued_by[strong["p"].to_numpy()] < 0]
            .sort_values(["p", "similarity", "c"], ascending=[True, False, True])
            .drop_duplicates("p")
            .assign(kind="merged_from")
        )
        split = strong[
            (continued_by[strong["p"].to_numpy()] >= 0) & is_new[strong["c"].to_numpy()]
        ].assign(kind="split_from")
        links = pd.concat([absorbed, split], ignore_index=True)
        lineage = (
            pd.DataFrame(
                {
                    "movement_id": pd.Series(
                        movement_id[links["c"].to_numpy(dtype=np.int64)], dtype="str"
                    ),
                    "related_id": pd.Series(
                        movements[links["p"].to_numpy(dtype=np.int64)], dtype="str"
                    ),
                    "kind": pd.Series(links["kind"].to_numpy(), dtype="str"),
                    "similarity": links["similarity"].to_numpy(dtype=float),
                }
            )
            .sort_values(["movement_id", "kind", "related_id"])
            .reset_index(drop=True)
        )
        return TrackingResult(assignments=assignments, lineage=lineage)


def lifecycle_status(
    history: pd.DataFrame,
    window_end,
    *,
    emerging_within="24h",
    growth_ratio=1.2,
    growth_windows=3,
    decline_ratio=0.6,
) -> pd.DataFrame:
    """Classify each movement's life stage from its posts per window.

    Rows after ``window_end`` are ignored; repeated (movement, window) rows are summed.
    Rules, tried in this order (the first that holds wins):

    1. ``dormant``: no posts in the current window (``window_end``), or no row for it;
    2. ``emerging``: first window with posts is later than ``window_end -
       emerging_within``;
    3. ``growing``: current posts >= ``growth_ratio`` × the mean posts of the previous
       ``growth_windows`` windows. Those are the latest distinct ``window_end`` values
       of the whole history before the current one, and a movement without a row in
       one of them counts 0 there (so a revival after silence is growing). Not applied
       when the history has no earlier window;
    4. ``declining``: current posts < ``decline_ratio`` × the movement's maximum posts
       in any window;
    5. ``peaking``: otherwise (near its maximum and not rising fast).

    Parameters
    ----------
    history : pandas.DataFrame
        ``movement_id``, ``window_end`` (UTC), ``posts``: one row per movement per
        past window, including the current one.
    window_end : pandas.Timestamp, datetime or str
        The current window (naive values are taken as UTC).
    emerging_within : str or pandas.Timedelta, default="24h"
        Age under which a movement is emerging.
    growth_ratio : float, default=1.2
        Growth factor over the recent mean that counts as growing.
    growth_windows : int, default=3
        Number of previous windows in the recent mean.
    decline_ratio : float, default=0.6
        Fraction of the maximum under which a movement is declining.

    Returns
    -------
    pandas.DataFrame
        ``movement_id``, ``status`` (one of :data:`LIFECYCLE_STATUSES`), one row per
        movement with a row at or before ``window_end``, sorted by movement.
    """
    require_columns(history, ("movement_id", "window_end", "posts"), "history")
    if int(growth_windows) < 1:
        raise ValueError(f"growth_windows must be >= 1, got {growth_windows!r}")
    current = to_utc(pd.Timestamp(window_end))
    rows = history.loc[:, ["movement_id", "window_end", "posts"]].dropna(
        subset=["movement_id", "window_end"]
    )
    rows = rows.assign(
        window_end=to_utc(rows["window_end"]), posts=rows["posts"].fillna(0).astype(float)
    )
    rows = (
        rows[rows["window_end"] <= current]
        .groupby(["movement_id", "window_end"], sort=True)["posts"]
        .sum()
        .reset_index()
    )
    movements = pd.Index(np.unique(rows["movement_id"].astype(str).to_numpy(str)), dtype="str")
    by_movement = rows.assign(movement_id=rows["movement_id"].astype(str)).groupby("movement_id")

    now = (
        rows[rows["window_end"] == current]
        .assign(movement_id=lambda f: f["movement_id"].astype(str))
        .groupby("movement_id")["posts"]
        .sum()
        .reindex(movements, fill_value=0.0)
    )
    peak = by_movement["posts"].max().reindex(movements)
    first_seen = (
        rows[rows["posts"] > 0]
        .assign(movement_id=lambda f: f["movement_id"].astype(str))
        .groupby("movement_id")["window_end"]
        .min()
        .reindex(movements)
    )
    earlier = np.sort(rows.loc[rows["window_end"] < current, "window_end"].unique())
    recent = earlier[-int(growth_windows) :]
    baseline = rows[rows["window_end"].isin(recent)].assign(
        movement_id=lambda f: f["movement_id"].astype(str)
    ).groupby("movement_id")["posts"].sum().reindex(movements, fill_value=0.0) / max(len(recent), 1)

    dormant = (now <= 0).to_numpy()
    emerging = (first_seen > current - pd.Timedelta(emerging_within)).fillna(False).to_numpy()
    growing = (now >= float(growth_ratio) * baseline).to_numpy() & (len(recent) > 0)
    declining = (now < float(decline_ratio) * peak).to_numpy()
    status = np.select(
        [dormant, emerging, growing, declining],
        list(LIFECYCLE_STATUSES[:4]),
        default=LIFECYCLE_STATUSES[4],
    )
    return pd.DataFrame(
        {"movement_id": movements.to_numpy(), "status": pd.Series(status, dtype="str")}
    )
