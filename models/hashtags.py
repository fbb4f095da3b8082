"""Cluster hashtags that travel together into candidate movements.

A grassroots movement rarely has one hashtag. The pigeons of 2012 wrote ``#geonpi``,
``#pigeons``, ``#LesPigeons`` and ``#PLF2013`` side by side, and the same entrepreneurs
kept using several of them within hours. :class:`HashtagClusterer` turns one analysis
window of ``(post, hashtag)`` rows into clusters of such hashtags:

1. keep tags used in at least ``min_support`` posts;
2. count co-occurrence in *contexts* with a sparse incidence matrix ``X`` (contexts ×
   tags) and ``X.T @ X``. A context is a post (``use_authors=False``) or an *author
   session*: all posts of one author in one ``author_window`` bucket of a fixed UTC
   grid (``use_authors=True``). A post lies in exactly one session, so tags of the same
   post co-occur in both modes, and the author mode adds "same author used both
   within ``author_window``". A session with more than ``max_session_tags`` distinct
   tags (a busy or automated account) is split back into its posts;
3. weight each pair by an association score (``association``): the cosine (Ochiai)
   coefficient ``c_ab / sqrt(c_a c_b)`` by default, or NPMI (:func:`npmi`); keep pairs
   with at least ``min_cooccurrence`` shared contexts and a score >= ``min_association``.
   Cosine is the default because NPMI estimates each tag's base rate inside the window:
   when a movement fills a large part of the window (keyword-targeted collections, or
   any big burst) its own hashtags look independent or even repelled under NPMI,
   although they co-occur thousands of times; cosine does not depend on the window's
   size and still down-weights hub tags that co-occur with everything;
4. tie spelling variants together (:func:`spelling_variants`) only when they also
   share ``min_cooccurrence`` contexts or authors *and* are associated (score >=
   ``min_association`` over contexts or over authors) — never by string similarity
   alone;
5. run Leiden (RB configuration model, ``resolution``, seeded) on the graph where each
   variant group is one vertex. Tags without a strong edge stay singleton clusters.

Clusters are numbered ``0 .. k-1`` by distinct posts, descending, ties broken by the
alphabetically first tag, so the numbering does not depend on Leiden's labels.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.sparse.csgraph import connected_components
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from models._leiden import leiden_membership, rank_labels, require_columns, to_utc

__all__ = ["HashtagClusterer", "association_score", "npmi", "spelling_variants"]

#: Leading words stripped before comparing tags (``lespigeons`` -> ``pigeons``). Only
#: stripped when at least four characters remain.
LEADING_ARTICLES = ("nous", "les", "des", "the", "le", "la", "we")
#: Shortest tag that may be a prefix or suffix variant of a longer tag.
AFFIX_MIN_LENGTH = 5
#: Shortest tag that may be an edit-distance-1 variant of another tag.
EDIT_MIN_LENGTH = 6

_ARTICLE_RE = r"^(?>" + "|".join(LEADING_ARTICLES) + r")(?=.{4,}$)"
_PLURAL_RE = r"(?<=...)[sx]$"
_EPOCH = pd.Timestamp("1970-01-01", tz="UTC")
_MAX_CHAR = "\U0010ffff"
_POST_TAG_COLUMNS = ("post_uid", "author_uid", "created_at", "tag_norm", "tag")
_CLUSTER_COLUMNS = ("tag_norm", "cluster", "posts", "authors", "tag")
_EDGE_COLUMNS = ("tag_a", "tag_b", "cooccurrence", "association", "shared_authors", "variant")


def npmi(cooccurrence, count_a, count_b, n):
    """Normalised pointwise mutual information of two tags.

    ``npmi = log(p_ab / (p_a * p_b)) / -log(p_ab)`` with ``p = count / n``. It is 1 when
    the tags always appear together, 0 when independent, and -1 when they never
    co-occur (``cooccurrence == 0``). When ``p_ab == 1`` the ratio is undefined and the
    value is 1.

    Parameters
    ----------
    cooccurrence : array-like of int
        Contexts holding both tags.
    count_a, count_b : array-like of int
        Contexts holding each tag.
    n : int
        Number of contexts.

    Returns
    -------
    numpy.ndarray of float
        NPMI in ``[-1, 1]``, same shape as the inputs (a 0-d array for scalars).

    Examples
    --------
    >>> round(float(npmi(3, 4, 5, 10)), 4)
    0.3368
    """
    both = np.asarray(cooccurrence, dtype=float)
    p_ab = both / n
    with np.errstate(divide="ignore", invalid="ignore"):
        pmi = np.log(p_ab) - np.log(np.asarray(count_a, dtype=float) / n)
        pmi -= np.log(np.asarray(count_b, dtype=float) / n)
        denominator = -np.log(p_ab)
        value = np.where(denominator > 0, pmi / denominator, 1.0)
    value = np.where(both > 0, value, -1.0)
    return np.clip(value, -1.0, 1.0)


def association_score(kind, cooccurrence, count_a, count_b, n):
    """Association of tag pairs: ``"cosine"`` (Ochiai) or ``"npmi"``.

    Parameters
    ----------
    kind : {"cosine", "npmi"}
        Score to compute.
    cooccurrence, count_a, count_b : array-like
        Contexts holding both tags, and each tag.
    n : int
        Contexts in all (used by NPMI only).

    Returns
    -------
    numpy.ndarray
        Cosine in [0, 1] (``c_ab / sqrt(c_a * c_b)``) or NPMI in [-1, 1].

    Examples
    --------
    >>> float(association_score("cosine", 2, 4, 4, 100))
    0.5
    """
    if kind == "npmi":
        return npmi(cooccurrence, count_a, count_b, n)
    co = np.asarray(cooccurrence, dtype=float)
    denominator = np.sqrt(np.asarray(count_a, dtype=float) * np.asarray(count_b, dtype=float))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(denominator > 0, co / np.where(denominator > 0, denominator, 1), 0.0)


def _index_pairs(first: np.ndarray, second: np.ndarray) -> pd.DataFrame:
    """Unordered pairs ``i < j`` from two index arrays, duplicates and self-pairs removed."""
    low = np.minimum(first, second)
    high = np.maximum(first, second)
    pairs = pd.DataFrame({"i": low, "j": high}, dtype=np.int64)
    return pairs[pairs["i"] != pairs["j"]].drop_duplicates(ignore_index=True)


def _affix_pairs(vocab: np.ndarray) -> pd.DataFrame:
    """Pairs where a tag of length >= AFFIX_MIN_LENGTH starts another tag (vocab sorted)."""
    lengths = np.fromiter(map(len, vocab), dtype=np.int64, count=len(vocab))
    short = np.flatnonzero(lengths >= AFFIX_MIN_LENGTH)
    # Tags starting with t are the sorted run [position of t, position of t + max char).
    starts = short + 1
    ends = np.searchsorted(vocab, vocab[short] + _MAX_CHAR, side="left")
    counts = np.maximum(ends - starts, 0)
    owners = np.repeat(short, counts)
    offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    return _index_pairs(owners, np.repeat(starts, counts) + offsets)


def _variant_index_pairs(vocab: np.ndarray) -> pd.DataFrame:
    """Candidate variant pairs ``(i, j, rule)`` among a sorted array of distinct tags."""
    n = len(vocab)
    empty = pd.DataFrame({"i": [], "j": [], "rule": []}).astype({"i": np.int64, "j": np.int64})
    if n < 2:
        return empty
    tags = pd.Series(vocab, dtype=object)
    index = np.arange(n, dtype=np.int64)
    found = []

    # 1. Same key once a leading article and a plural s/x are removed.
    key = tags.str.replace(_ARTICLE_RE, "", regex=True).str.replace(_PLURAL_RE, "", regex=True)
    keyed = pd.DataFrame({"key": key.to_numpy(), "i": index})
    keyed = keyed[keyed.duplicated("key", keep=False)]
    same = keyed.merge(keyed, on="key")
    found.append(_index_pairs(same["i_x"].to_numpy(), same["i_y"].to_numpy()).assign(rule="key"))

    # 2. Prefix or suffix containment (suffix = prefix of the reversed strings).
    found.append(_affix_pairs(vocab).assign(rule="affix"))
    reversed_tags = tags.str[::-1].to_numpy(dtype=object)
    order = np.argsort(reversed_tags, kind="stable")
    suffix = _affix_pairs(reversed_tags[order])
    found.append(
        _index_pairs(order[suffix["i"].to_numpy()], order[suffix["j"].to_numpy()]).assign(
            rule="affix"
        )
    )

    # 3. Levenshtein distance 1 via the deletion neighbourhood: a substitution shares
    #    (deleted string, position); an insertion turns the shorter tag into a deletion
    #    of the longer one. One vectorised pass per character position.
    lengths = tags.str.len().to_numpy()
    long_enough = lengths >= EDIT_MIN_LENGTH
    deletions = []
    for position in range(int(lengths.max())):
        chosen = np.flatnonzero(long_enough & (lengths > position))
        part = tags.iloc[chosen]
        deleted = part.str[:position] + part.str[position + 1 :]
        deletions.append(pd.DataFrame({"key": deleted.to_numpy(), "pos": position, "i": chosen}))
    if deletions:
        deletion = pd.concat(deletions, ignore_index=True)
        substituted = deletion.merge(deletion, on=["key", "pos"])
        found.append(
            _index_pairs(substituted["i_x"].to_numpy(), substituted["i_y"].to_numpy()).assign(
                rule="edit"
            )
        )
        whole = pd.DataFrame({"key": vocab[long_enough], "shorter": index[long_enough]})
        inserted = deletion.merge(whole, on="key")
        found.append(
            _index_pairs(inserted["shorter"].to_numpy(), inserted["i"].to_numpy()).assign(
                rule="edit"
            )
        )

    pairs = pd.concat([empty, *found], ignore_index=True)
    return pairs.drop_duplicates(["i", "j"], ignore_index=True)


def spelling_variants(tags) -> pd.DataFrame:
    """Candidate spelling variants among normalised tags, by string rules alone.

    Two distinct tags are candidates when (``key``) they are equal once one leading
    article (:data:`LEADING_ARTICLES`, only if >= 4 characters remain) and one final
    plural ``s``/``x`` (only if >= 3 characters remain) are removed — ``lespigeons`` /
    ``pigeon``; (``affix``) the shorter, of length >= :data:`AFFIX_MIN_LENGTH`, is a
    prefix or suffix of the longer — ``pigeons`` / ``pigeonsenlutte``; or (``edit``) both
    have length >= :data:`EDIT_MIN_LENGTH` and their Levenshtein distance is 1 —
    ``retraite`` / ``retraites``. Case, accents and CamelCase must already be folded
    (``tag_norm``). :class:`HashtagClusterer` only ties candidates that also co-occur
    or share authors.

    Parameters
    ----------
    tags : array-like of str
        Normalised tags; duplicates and missing values are ignored.

    Returns
    -------
    pandas.DataFrame
        Columns ``tag_a``, ``tag_b`` (``tag_a < tag_b``) and ``rule`` (the first rule
        that matched, in the order key, affix, edit), sorted by ``tag_a, tag_b``.

    Examples
    --------
    >>> spelling_variants(["pigeons", "lespigeons", "geonpi"])[["tag_a", "tag_b"]].values.tolist()
    [['lespigeons', 'pigeons']]
    """
    vocab = np.unique(pd.Series(tags, dtype=object).dropna().to_numpy(dtype=str)).astype(object)
    pairs = _variant_index_pairs(vocab)
    result = pd.DataFrame(
        {
            "tag_a": pd.Series(vocab[pairs["i"].to_numpy()], dtype="str"),
            "tag_b": pd.Series(vocab[pairs["j"].to_numpy()], dtype="str"),
            "rule": pd.Series(pairs["rule"].to_numpy(), dtype="str"),
        }
    )
    return result.sort_values(["tag_a", "tag_b"], ignore_index=True)


def _lookup(matrix: sparse.csr_array, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Entries ``matrix[rows[k], cols[k]]`` as a dense 1-D int64 array."""
    if len(rows) == 0:
        return np.zeros(0, dtype=np.int64)
    return np.asarray(matrix[rows, cols]).ravel().astype(np.int64)


def _incidence(rows: np.ndarray, cols: np.ndarray, shape: tuple[int, int]) -> sparse.csr_array:
    """Binary sparse incidence matrix (duplicates collapse to 1)."""
    matrix = sparse.coo_array(
        (np.ones(len(rows), dtype=np.int64), (rows, cols)), shape=shape
    ).tocsr()
    matrix.data[:] = 1
    return matrix


class HashtagClusterer(BaseEstimator):
    """Group the hashtags of one analysis window into clusters that move together.

    Parameters
    ----------
    min_support : int, default=3
        Keep tags used in at least this many distinct posts.
    min_cooccurrence : int, default=2
        A pair needs at least this many shared contexts (posts or author sessions) to
        form an edge; spelling variants need this many shared contexts or authors.
    min_association : float, default=0.1
        Minimum association score (over contexts) of an edge.
    association : {"cosine", "npmi"}, default="cosine"
        Association score of a pair (see the module docstring for why cosine).
    author_window : str or pandas.Timedelta, default="6h"
        Width of an author session when ``use_authors`` is true. Sessions are buckets of
        a fixed UTC grid (``floor((created_at - epoch) / author_window)``), so two posts
        in one session are always less than ``author_window`` apart; a pair straddling
        a bucket edge is not counted.
    use_authors : bool, default=True
        Count co-occurrence per author session instead of per post.
    resolution : float, default=1.0
        Leiden resolution (RB configuration model); higher gives smaller clusters.
    random_state : int, RandomState instance or None, default=0
        Seed of Leiden.
    max_session_tags : int, default=10
        An author session with more distinct kept tags than this (a prolific or
        automated account) is split back into its posts: otherwise one busy account
        would tie every tag it touched.

    Attributes
    ----------
    clusters_ : pandas.DataFrame
        One row per kept tag: ``tag_norm``, ``cluster`` (int, ``0 .. k-1`` by the
        cluster's distinct posts descending), ``posts`` and ``authors`` (distinct posts
        and authors of the tag), ``tag`` (its most frequent raw form; ties
        alphabetical). Sorted by ``cluster``, ``posts`` descending, ``tag_norm``.
    edges_ : pandas.DataFrame
        The pairs that tie tags together: ``tag_a < tag_b``, ``cooccurrence`` (shared
        contexts), ``association`` (score over contexts), ``shared_authors`` (distinct
        authors who used both anywhere in the window) and ``variant`` (true when the
        pair is an evidenced spelling variant, tied regardless of ``association``).
        Non-variant rows are the Leiden edges, weighted by ``association``.
    n_clusters_ : int
        Number of clusters.
    n_contexts_ : int
        Number of contexts (posts or author sessions) in the window, rare tags included;
        the ``n`` of NPMI.

    Examples
    --------
    >>> clusterer = HashtagClusterer(random_state=0).fit(post_tags)  # doctest: +SKIP
    >>> clusterer.predict(post_tags)  # doctest: +SKIP
    """

    def __init__(
        self,
        min_support=3,
        min_cooccurrence=2,
        min_association=0.1,
        author_window="6h",
        use_authors=True,
        resolution=1.0,
        random_state=0,
        max_session_tags=10,
        association="cosine",
    ):
        self.min_support = min_support
        self.min_cooccurrence = min_cooccurrence
        self.min_association = min_association
        self.author_window = author_window
        self.use_authors = use_authors
        self.resolution = resolution
        self.random_state = random_state
        self.max_session_tags = max_session_tags
        self.association = association

    def _checked_window(self) -> pd.Timedelta:
        """Validate the parameters and return ``author_window`` as a Timedelta."""
        if int(self.min_support) < 1:
            raise ValueError(f"min_support must be >= 1, got {self.min_support!r}")
        if int(self.min_cooccurrence) < 1:
            raise ValueError(f"min_cooccurrence must be >= 1, got {self.min_cooccurrence!r}")
        if self.association not in ("cosine", "npmi"):
            raise ValueError(f"association must be 'cosine' or 'npmi', got {self.association!r}")
        if not -1.0 <= float(self.min_association) <= 1.0:
            raise ValueError(f"min_association must be in [-1, 1], got {self.min_association!r}")
        if int(self.max_session_tags) < 1:
            raise ValueError(f"max_session_tags must be >= 1, got {self.max_session_tags!r}")
        if not float(self.resolution) > 0:
            raise ValueError(f"resolution must be > 0, got {self.resolution!r}")
        try:
            window = pd.Timedelta(self.author_window)
        except (TypeError, ValueError) as exc:
            raise ValueError(
                f"author_window must be a duration such as '6h', got {self.author_window!r}"
            ) from exc
        if self.use_authors and not window > pd.Timedelta(0):
            raise ValueError(f"author_window must be positive, got {self.author_window!r}")
        return window

    def _contexts(self, rows: pd.DataFrame, window: pd.Timedelta) -> np.ndarray:
        """Context code of each row: its post, or its author session."""
        post_codes = pd.factorize(rows["post_uid"])[0]
        if not self.use_authors:
            return post_codes
        author_codes, _ = pd.factorize(rows["author_uid"])
        created = to_utc(rows["created_at"])
        valid = (author_codes >= 0) & created.notna().to_numpy()
        bucket = np.zeros(len(rows), dtype=np.int64)
        bucket[valid] = ((created[valid] - _EPOCH) // window).to_numpy(dtype=np.int64)
        bucket -= bucket[valid].min() if valid.any() else 0
        width = int(bucket.max()) + 1 if len(bucket) else 1
        session = np.where(valid, author_codes.astype(np.int64) * width + bucket, -1)
        # Sessions with too many distinct tags, and rows without author or time, fall
        # back to a context of their own post.
        distinct = pd.DataFrame({"session": session, "tag": rows["tag_norm"].to_numpy()})
        session_tags = distinct.groupby("session")["tag"].transform("nunique").to_numpy()
        valid &= session_tags <= int(self.max_session_tags)
        key = np.where(valid, session, -1 - post_codes)
        return pd.factorize(key)[0]

    def fit(self, post_tags: pd.DataFrame, y=None):
        """Learn the hashtag clusters of one analysis window.

        Parameters
        ----------
        post_tags : pandas.DataFrame
            One row per (post, normalised hashtag): ``post_uid``, ``author_uid``,
            ``created_at`` (UTC), ``tag_norm``, ``tag``. Rows without ``post_uid`` or
            ``tag_norm`` are ignored; repeated (post, tag_norm) rows count once.
        y : None
            Ignored.

        Returns
        -------
        self : HashtagClusterer
            The fitted estimator.
        """
        window = self._checked_window()
        require_columns(post_tags, _POST_TAG_COLUMNS, "post_tags")
        rows = post_tags.loc[:, list(_POST_TAG_COLUMNS)]
        rows = rows[rows["post_uid"].notna() & rows["tag_norm"].notna()]
        rows = rows[rows["tag_norm"].astype(str).str.len() > 0]
        rows = rows.drop_duplicates(["post_uid", "tag_norm"])
        rows["tag"] = rows["tag"].fillna(rows["tag_norm"])

        # Contexts and authors are counted over the whole window (rare tags included),
        # so that NPMI compares with everything that was posted.
        rows["context"] = self._contexts(rows, window)
        rows["author_code"] = pd.factorize(rows["author_uid"])[0]
        n_contexts = int(rows["context"].max()) + 1 if len(rows) else 0
        n_authors = int(rows["author_code"].max()) + 1 if len(rows) else 0

        tag_posts = rows.groupby("tag_norm", sort=True).size()
        tag_posts = tag_posts[tag_posts >= int(self.min_support)]
        vocab = pd.Index(tag_posts.index.astype(str), dtype="str")
        rows = rows[rows["tag_norm"].isin(vocab)]
        n_tags = len(vocab)
        tag_index = vocab.get_indexer(rows["tag_norm"])

        by_context = _incidence(rows["context"].to_numpy(), tag_index, (n_contexts, n_tags))
        context_counts = np.asarray(by_context.sum(axis=0)).ravel()
        cooccurrence = (by_context.T @ by_context).tocsr()

        author_codes = rows["author_code"].to_numpy()
        has_author = author_codes >= 0
        by_author = _incidence(author_codes[has_author], tag_index[has_author], (n_authors, n_tags))
        author_counts = np.asarray(by_author.sum(axis=0)).ravel()
        shared = (by_author.T @ by_author).tocsr()

        # Strong edges: enough shared contexts and NPMI above the threshold.
        upper = sparse.triu(cooccurrence, k=1).tocoo()
        association = association_score(
            self.association,
            upper.data,
            context_counts[upper.row],
            context_counts[upper.col],
            n_contexts,
        )
        strong = (upper.data >= int(self.min_cooccurrence)) & (
            association >= float(self.min_association)
        )
        strong_i = upper.row[strong].astype(np.int64)
        strong_j = upper.col[strong].astype(np.int64)

        # Spelling variants with evidence: shared contexts or authors, above chance.
        candidates = _variant_index_pairs(vocab.to_numpy(dtype=object))
        cand_i = candidates["i"].to_numpy()
        cand_j = candidates["j"].to_numpy()
        cand_contexts = _lookup(cooccurrence, cand_i, cand_j)
        cand_authors = _lookup(shared, cand_i, cand_j)
        floor = 0.0 if self.association == "npmi" else float(self.min_association)
        above_chance = (
            association_score(
                self.association,
                cand_contexts,
                context_counts[cand_i],
                context_counts[cand_j],
                n_contexts,
            )
            > floor
        ) | (
            association_score(
                self.association,
                cand_authors,
                author_counts[cand_i],
                author_counts[cand_j],
                n_authors,
            )
            > floor
        )
        evidenced = (
            (cand_contexts >= int(self.min_cooccurrence))
            | (cand_authors >= int(self.min_cooccurrence))
        ) & above_chance
        variant_i, variant_j = cand_i[evidenced], cand_j[evidenced]

        # Each evidenced variant group becomes one Leiden vertex.
        n_groups, group = connected_components(
            sparse.coo_array(
                (np.ones(len(variant_i)), (variant_i, variant_j)), shape=(n_tags, n_tags)
            ),
            directed=False,
        )
        group_i, group_j = group[strong_i], group[strong_j]
        between = group_i != group_j
        group_edges = (
            sparse.coo_array(
                (
                    association[strong][between],
                    (np.minimum(group_i, group_j)[between], np.maximum(group_i, group_j)[between]),
                ),
                shape=(n_groups, n_groups),
            )
            .tocsr()
            .tocoo()
        )
        membership = leiden_membership(
            n_groups,
            group_edges.row,
            group_edges.col,
            group_edges.data,
            resolution=self.resolution,
            random_state=self.random_state,
        )[group]

        # Number clusters by distinct posts, descending; ties by first tag.
        raw = pd.DataFrame({"post_uid": rows["post_uid"].to_numpy(), "raw": membership[tag_index]})
        cluster_posts = raw.drop_duplicates().groupby("raw").size().to_numpy()
        first_tag = pd.Series(np.arange(n_tags)).groupby(membership).min().to_numpy()
        cluster = rank_labels(membership, cluster_posts, first_tag)

        raw_forms = (
            rows.groupby(["tag_norm", "tag"])
            .size()
            .reset_index(name="n")
            .sort_values(["tag_norm", "n", "tag"], ascending=[True, False, True])
            .drop_duplicates("tag_norm")
            .set_index("tag_norm")["tag"]
        )
        authors = rows.groupby("tag_norm")["author_uid"].nunique()
        self.clusters_ = (
            pd.DataFrame(
                {
                    "tag_norm": vocab.to_numpy(),
                    "cluster": cluster,
                    "posts": tag_posts.to_numpy(dtype=np.int64),
                    "authors": authors.reindex(vocab, fill_value=0).to_numpy(dtype=np.int64),
                    "tag": raw_forms.reindex(vocab).astype("str").to_numpy(),
                }
            )
            .astype({"tag_norm": "str", "tag": "str", "cluster": np.int64})
            .sort_values(["cluster", "posts", "tag_norm"], ascending=[True, False, True])
            .reset_index(drop=True)
        )

        pairs = pd.concat(
            [
                pd.DataFrame({"i": strong_i, "j": strong_j, "variant": False}),
                pd.DataFrame({"i": variant_i, "j": variant_j, "variant": True}),
            ],
            ignore_index=True,
        )
        pairs = pairs.sort_values("variant", ascending=False).drop_duplicates(["i", "j"])
        pair_i, pair_j = pairs["i"].to_numpy(np.int64), pairs["j"].to_numpy(np.int64)
        pair_contexts = _lookup(cooccurrence, pair_i, pair_j)
        self.edges_ = (
            pd.DataFrame(
                {
                    "tag_a": pd.Series(vocab.to_numpy()[pair_i], dtype="str"),
                    "tag_b": pd.Series(vocab.to_numpy()[pair_j], dtype="str"),
                    "cooccurrence": pair_contexts,
                    "association": association_score(
                        self.association,
                        pair_contexts,
                        context_counts[pair_i],
                        context_counts[pair_j],
                        n_contexts,
                    ),
                    "shared_authors": _lookup(shared, pair_i, pair_j),
                    "variant": pairs["variant"].to_numpy(dtype=bool),
                }
            )
            .sort_values(["tag_a", "tag_b"])
            .reset_index(drop=True)
        )
        self.n_clusters_ = int(cluster.max()) + 1 if len(cluster) else 0
        self.n_contexts_ = n_contexts
        return self

    def predict(self, post_tags: pd.DataFrame) -> pd.DataFrame:
        """Assign each post to one cluster.

        A post goes to the cluster holding most of its known tags; on a tie, to the
        larger cluster (the smaller ``cluster`` number). Tags unknown to the fit are
        ignored and posts with no known tag are dropped.

        Parameters
        ----------
        post_tags : pandas.DataFrame
            Rows with at least ``post_uid`` and ``tag_norm``.

        Returns
        -------
        pandas.DataFrame
            ``post_uid``, ``cluster`` (int64), one row per assigned post, sorted by
            ``post_uid``.
        """
        check_is_fitted(self, "clusters_")
        require_columns(post_tags, ("post_uid", "tag_norm"), "post_tags")
        rows = post_tags.loc[:, ["post_uid", "tag_norm"]].dropna().drop_duplicates()
        known = pd.Index(self.clusters_["tag_norm"]).get_indexer(rows["tag_norm"])
        votes = pd.DataFrame(
            {
                "post_uid": rows["post_uid"].to_numpy()[known >= 0],
                "cluster": self.clusters_["cluster"].to_numpy()[known[known >= 0]],
            }
        )
        votes = votes.groupby(["post_uid", "cluster"]).size().reset_index(name="tags")
        best = votes.sort_values(
            ["post_uid", "tags", "cluster"], ascending=[True, False, True]
        ).drop_duplicates("post_uid")
        return best[["post_uid", "cluster"]].astype({"cluster": np.int64}).reset_index(drop=True)

    def fit_predict(self, post_tags: pd.DataFrame, y=None) -> pd.DataFrame:
        """Fit on ``post_tags`` and return :meth:`predict` of the same rows.

        Parameters
        ----------
        post_tags : pandas.DataFrame
            As for :meth:`fit`.
        y : None
            Ignored.

        Returns
        -------
        pandas.DataFrame
            ``post_uid``, ``cluster``.
        """
        return self.fit(post_tags).predict(post_tags)
