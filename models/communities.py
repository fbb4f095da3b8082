"""Communities of authors who amplify each other, and how a movement spreads over them.

The pigeons were carried by a community of entrepreneurs retweeting each other. A
movement driven by one tight community looks different from one that spans many,
and both differ from a handful of accounts. :class:`CommunityDetector` builds an
undirected weighted author graph from the window's interactions (reposts, quotes,
replies, mentions), decays old edges exponentially, partitions it with Leiden and then
describes each movement by the communities that carry its posts.

Edge weight of one interaction: ``kind_weight * 0.5 ** (age_hours / half_life_hours)``
with ``age = reference_time - created_at`` (interactions after ``reference_time`` count
as age 0). Weights of both directions and all interactions between two authors are
summed; self-interactions are ignored.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from models._leiden import leiden_membership, rank_labels, require_columns, to_utc

__all__ = ["DEFAULT_KIND_WEIGHTS", "CommunityDetector"]

#: Weight of each interaction kind when ``kind_weights`` is None or omits a kind.
DEFAULT_KIND_WEIGHTS = {"repost": 1.0, "quote": 1.0, "reply": 0.7, "mention": 0.5}

_INTERACTION_COLUMNS = ("src_author_uid", "dst_author_uid", "kind", "created_at")
_MOVEMENT_AUTHOR_COLUMNS = ("movement_id", "author_uid", "posts")


class CommunityDetector(BaseEstimator):
    """Partition the author interaction graph of a window into communities.

    Parameters
    ----------
    half_life_hours : float, default=24.0
        An interaction's weight halves every ``half_life_hours`` of age; ``numpy.inf``
        disables the decay.
    kind_weights : dict or None, default=None
        Weight per interaction kind; None means :data:`DEFAULT_KIND_WEIGHTS` (repost 1.0,
        quote 1.0, reply 0.7, mention 0.5). A dict overrides those defaults kind by kind
        and may add kinds; a weight of 0 ignores a kind.
    resolution : float, default=1.0
        Leiden resolution (RB configuration model); higher gives smaller communities.
    min_community_size : int, default=3
        Communities with fewer authors get community ``-1``.
    random_state : int, RandomState instance or None, default=0
        Seed of Leiden.

    Attributes
    ----------
    communities_ : pandas.DataFrame
        One row per author in the graph: ``author_uid``, ``community`` (int64, ``0 ..
        n_communities_ - 1`` by size descending, ties by total weighted degree then
        first author; ``-1`` for communities smaller than ``min_community_size``) and
        ``degree`` (weighted degree, float). Sorted by community (``-1`` last), degree
        descending, author.
    edges_ : pandas.DataFrame
        The undirected graph: ``author_a < author_b``, ``weight`` (decayed, summed),
        ``interactions`` (count).
    n_communities_ : int
        Number of communities of at least ``min_community_size`` authors.
    reference_time_ : pandas.Timestamp
        The UTC instant ages were measured from (NaT when there were no interactions).

    Examples
    --------
    >>> detector = CommunityDetector(random_state=0).fit(interactions)  # doctest: +SKIP
    >>> detector.concentration(movement_authors)  # doctest: +SKIP
    """

    def __init__(
        self,
        half_life_hours=24.0,
        kind_weights=None,
        resolution=1.0,
        min_community_size=3,
        random_state=0,
    ):
        self.half_life_hours = half_life_hours
        self.kind_weights = kind_weights
        self.resolution = resolution
        self.min_community_size = min_community_size
        self.random_state = random_state

    def _checked_kind_weights(self) -> dict[str, float]:
        """Validate the parameters and return the effective weight of each kind."""
        if not float(self.half_life_hours) > 0:
            raise ValueError(f"half_life_hours must be > 0, got {self.half_life_hours!r}")
        if not float(self.resolution) > 0:
            raise ValueError(f"resolution must be > 0, got {self.resolution!r}")
        if int(self.min_community_size) < 1:
            raise ValueError(f"min_community_size must be >= 1, got {self.min_community_size!r}")
        weights = {**DEFAULT_KIND_WEIGHTS, **dict(self.kind_weights or {})}
        negative = {kind: w for kind, w in weights.items() if not float(w) >= 0}
        if negative:
            raise ValueError(f"kind_weights must be >= 0, got {negative}")
        return {kind: float(w) for kind, w in weights.items()}

    def fit(self, interactions: pd.DataFrame, reference_time=None):
        """Build the decayed author graph and partition it.

        Parameters
        ----------
        interactions : pandas.DataFrame
            ``src_author_uid``, ``dst_author_uid``, ``kind``, ``created_at`` (UTC).
            Rows with a missing author or time and self-interactions are ignored.
        reference_time : pandas.Timestamp, datetime, str or None, default=None
            Instant the ages are measured from (usually the window end); None uses
            the latest ``created_at``. Naive values are taken as UTC.

        Returns
        -------
        self : CommunityDetector
            The fitted estimator.

        Raises
        ------
        ValueError
            If a column is missing or a ``kind`` has no weight (see ``kind_weights``).
        """
        weights_by_kind = self._checked_kind_weights()
        require_columns(interactions, _INTERACTION_COLUMNS, "interactions")
        rows = interactions.loc[:, list(_INTERACTION_COLUMNS)].dropna()
        rows = rows[rows["src_author_uid"] != rows["dst_author_uid"]]
        kinds = rows["kind"].astype(str)
        unknown = sorted(set(kinds.unique()) - set(weights_by_kind))
        if unknown:
            raise ValueError(
                f"interactions has kind(s) {unknown} without a weight; "
                f"known kinds are {sorted(weights_by_kind)} (pass kind_weights to add them)"
            )
        created = to_utc(rows["created_at"])
        if reference_time is None:
            reference = created.max() if len(created) else pd.NaT
        else:
            reference = to_utc(pd.Timestamp(reference_time))
        age_hours = ((reference - created) / pd.Timedelta(hours=1)).to_numpy(dtype=float)
        decay = np.exp2(-np.clip(age_hours, 0.0, None) / float(self.half_life_hours))
        weight = kinds.map(weights_by_kind).to_numpy(dtype=float) * decay

        src = rows["src_author_uid"].astype("str")
        dst = rows["dst_author_uid"].astype("str")
        forward = (src < dst).to_numpy()
        pairs = pd.DataFrame(
            {
                "author_a": np.where(forward, src.to_numpy(), dst.to_numpy()),
                "author_b": np.where(forward, dst.to_numpy(), src.to_numpy()),
                "weight": weight,
            }
        )
        edges = (
            pairs[pairs["weight"] > 0]
            .groupby(["author_a", "author_b"], sort=True)
            .agg(weight=("weight", "sum"), interactions=("weight", "size"))
            .reset_index()
            .astype({"author_a": "str", "author_b": "str", "interactions": np.int64})
        )

        authors = pd.Index(
            np.unique(np.concatenate([edges["author_a"], edges["author_b"]]).astype(str)),
            dtype="str",
        )
        a = authors.get_indexer(edges["author_a"])
        b = authors.get_indexer(edges["author_b"])
        w = edges["weight"].to_numpy(dtype=float)
        degree = np.bincount(a, weights=w, minlength=len(authors)) + np.bincount(
            b, weights=w, minlength=len(authors)
        )
        raw = leiden_membership(
            len(authors), a, b, w, resolution=self.resolution, random_state=self.random_state
        )
        by_raw = pd.DataFrame({"raw": raw, "degree": degree, "order": np.arange(len(authors))})
        stats = by_raw.groupby("raw").agg(
            size=("order", "size"), degree=("degree", "sum"), first=("order", "min")
        )
        # Rank by size, then total degree descending, then first author. Small
        # communities rank after every kept one, so kept ones are exactly 0 .. k-1.
        tiebreak = np.empty(len(stats), dtype=np.int64)
        tiebreak[np.lexsort((stats["first"].to_numpy(), -stats["degree"].to_numpy()))] = np.arange(
            len(stats)
        )
        community = rank_labels(raw, stats["size"].to_numpy(), tiebreak)
        n_kept = int((stats["size"].to_numpy() >= int(self.min_community_size)).sum())
        community = np.where(community < n_kept, community, -1)

        self.communities_ = (
            pd.DataFrame(
                {
                    "author_uid": pd.Series(authors.to_numpy(), dtype="str"),
                    "community": community.astype(np.int64),
                    "degree": degree,
                }
            )
            .assign(_last=lambda f: f["community"] < 0)
            .sort_values(
                ["_last", "community", "degree", "author_uid"],
                ascending=[True, True, False, True],
            )
            .drop(columns="_last")
            .reset_index(drop=True)
        )
        self.edges_ = edges
        self.n_communities_ = n_kept
        self.reference_time_ = reference
        return self

    def _movement_posts(self, movement_authors: pd.DataFrame) -> pd.DataFrame:
        """Posts per (movement, author) with each author's community (-1 if unknown)."""
        check_is_fitted(self, "communities_")
        require_columns(movement_authors, _MOVEMENT_AUTHOR_COLUMNS, "movement_authors")
        rows = (
            movement_authors.loc[:, list(_MOVEMENT_AUTHOR_COLUMNS)]
            .dropna(subset=["movement_id", "author_uid"])
            .groupby(["movement_id", "author_uid"], sort=True)["posts"]
            .sum()
            .reset_index()
        )
        known = pd.Index(self.communities_["author_uid"]).get_indexer(rows["author_uid"])
        # get_indexer gives -1 for unknown authors, which picks the appended -1.
        community = np.append(self.communities_["community"].to_numpy(), -1)[known]
        total = rows.groupby("movement_id")["posts"].transform("sum").to_numpy(dtype=float)
        share = np.divide(
            rows["posts"].to_numpy(dtype=float),
            total,
            out=np.zeros(len(rows)),
            where=total > 0,
        )
        return rows.assign(community=community.astype(np.int64), share=share)

    def describe(self, movement_authors: pd.DataFrame) -> pd.DataFrame:
        """Spread of each movement's posts over the author communities.

        Parameters
        ----------
        movement_authors : pandas.DataFrame
            ``movement_id``, ``author_uid``, ``posts`` (the author's posts in the
            movement); repeated (movement, author) rows are summed.

        Returns
        -------
        pandas.DataFrame
            ``movement_id``, ``community`` (``-1`` gathers authors outside the graph
            or in small communities), ``authors``, ``posts``, ``share`` (fraction of the
            movement's posts carried by that community; 0 when the movement has no
            posts). Sorted by movement, posts descending, community.
        """
        rows = self._movement_posts(movement_authors)
        described = (
            rows.groupby(["movement_id", "community"], sort=True)
            .agg(authors=("author_uid", "size"), posts=("posts", "sum"), share=("share", "sum"))
            .reset_index()
        )
        return described.sort_values(
            ["movement_id", "posts", "community"], ascending=[True, False, True]
        ).reset_index(drop=True)

    def concentration(self, movement_authors: pd.DataFrame) -> pd.DataFrame:
        """How concentrated each movement is in a few communities.

        Parameters
        ----------
        movement_authors : pandas.DataFrame
            As for :meth:`describe`.

        Returns
        -------
        pandas.DataFrame
            One row per movement: ``communities`` (number of communities, ``-1``
            excluded, carrying at least one post), ``top_community`` (the community
            with the largest share, ties to the lower number; ``-1`` when none),
            ``top_share`` (its share; 0 when none) and ``hhi`` (Herfindahl–Hirschman
            index: sum of squared shares, where each community is one block and each
            author without a community is a block of its own, so a movement of
            unaffiliated authors is not mistaken for a concentrated one).
        """
        rows = self._movement_posts(movement_authors)
        # Blocks: one per community, one per author without a community.
        block = (
            rows["community"]
            .astype(str)
            .where(rows["community"] >= 0, "author:" + rows["author_uid"].astype(str))
        )
        blocks = rows.assign(block=block).groupby(["movement_id", "block"], sort=True)
        hhi = (blocks["share"].sum() ** 2).groupby(level="movement_id").sum()

        grouped = rows[(rows["community"] >= 0) & (rows["posts"] > 0)]
        top = (
            grouped.groupby(["movement_id", "community"], sort=True)["share"]
            .sum()
            .reset_index()
            .sort_values(["movement_id", "share", "community"], ascending=[True, False, True])
        )
        counts = top.groupby("movement_id").size()
        top = top.drop_duplicates("movement_id").set_index("movement_id")
        movements = pd.Index(hhi.index, name="movement_id")
        return pd.DataFrame(
            {
                "movement_id": movements.to_numpy(),
                "communities": counts.reindex(movements, fill_value=0).to_numpy(np.int64),
                "top_community": top["community"]
                .reindex(movements, fill_value=-1)
                .to_numpy(np.int64),
                "top_share": top["share"].reindex(movements, fill_value=0.0).to_numpy(float),
                "hhi": hhi.to_numpy(float),
            }
        )
