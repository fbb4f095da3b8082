"""Find accounts that act in concert: same text, same links, same reposts, same minutes.

Two hundred fresh accounts posting the same sentence within half an hour is
coordination, not a movement. :class:`CoordinationDetector` finds such groups in one
window of posts and says how much of each movement they make up.

**Events.** Each is a set of distinct accounts doing the same thing within
``window_minutes``:

* **co-post** — near-identical original text. Texts are normalised
  (:func:`normalize_text`: NFKC, casefolded, URLs, @mentions and a leading ``RT``
  removed, ``#`` dropped but the word kept, whitespace collapsed); texts shorter than
  ``min_text_chars`` are too generic to be evidence and skipped. Distinct texts get
  MinHash signatures (:func:`minhash_signatures`: character ``shingle_size``-grams,
  ``num_perm`` seeded universal hashes), LSH banding (:func:`lsh_bands`: the most
  selective banding that still proposes a pair at ``min_similarity`` with
  probability >= 0.99) gives candidate pairs, kept when the estimated Jaccard
  similarity is >= ``min_similarity``; connected components of kept pairs are *text
  clusters*. Posts of one text cluster, sorted by time, split into events wherever
  two consecutive posts are more than ``window_minutes`` apart — the connected
  components of "similar and within ``window_minutes``". Reposts (``repost_of_uid``
  set, or a manual ``RT @``) are identical by design and never co-posts.
* **co-link** — the same normalised URL (:func:`normalize_url`) in original posts,
  events split the same way.
* **co-repost** — reposts of the same post (or manual ``RT @`` of the same text),
  events split the same way.

**Validated links** (``validate=True``, the default). Doing the same thing as others
once is what an organic crowd does — everyone shares the day's article, clicks the
same share button, repeats a slogan — so one event is not enough on its own. Two
accounts are linked when

1. they co-occur in at least ``min_co_shares`` events of one kind more often than
   chance allows (:func:`_validated_pair_edges`: binomial test against the pair's
   activity and the sizes of its events, Bonferroni over all pairs of active
   accounts at family-wise level ``significance``; events above
   ``max_event_accounts`` accounts are cut into time-ordered chunks): bots repeat
   together, a crowd does not; or
2. they are fresh or low-follower accounts of one co-post event whose share of such
   accounts is significantly above the window's (:func:`_profile_edges`: binomial
   test, Bonferroni over the events) — two hundred fresh accounts posting one
   sentence.

With ``validate=False`` every event links all its accounts (the literal definition).

**Groups.** Connected components of the account graph with at least
``min_accounts`` distinct accounts are the coordinated groups.

**Profile.** An account is *fresh* when its age at its first post of the window is
below ``fresh_account_days`` (unknown creation dates are not fresh) and
*low-follower* below ``low_followers`` followers.

**Scores.**

* account ``score`` in a movement = share of its posts there that belong to an event
  with another account of its group;
* movement ``coordination = 1 - (1 - s) ** (1 + f)``, ``s`` the share of the
  movement's posts made by coordinated accounts and ``f`` the share of those accounts
  that are fresh: ``s`` when none is fresh, ``1 - (1 - s)**2`` when all are.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse, stats
from scipy.sparse.csgraph import connected_components
from sklearn.base import BaseEstimator
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

__all__ = [
    "CoordinationDetector",
    "lsh_bands",
    "minhash_signatures",
    "normalize_text",
    "normalize_url",
]

#: Mersenne prime 2**31 - 1: modulus of the rolling hash of shingles (products fit int64).
PRIME = (1 << 31) - 1
#: Base of the polynomial rolling hash of shingles.
_BASE = 1_000_003
#: Probability with which LSH must propose a pair at exactly ``min_similarity``.
LSH_RECALL = 0.99
#: Buckets above this size propose star + chain pairs instead of all pairs.
_MAX_BUCKET = 64
_POST_COLUMNS = (
    "post_uid",
    "movement_id",
    "author_uid",
    "created_at",
    "text",
    "urls",
    "repost_of_uid",
    "author_created_at",
    "author_followers",
)
_ACCOUNT_COLUMNS = ("movement_id", "author_uid", "group", "reasons", "score")
_MOVEMENT_COLUMNS = (
    "movement_id",
    "coordination",
    "coordinated_accounts",
    "coordinated_posts",
    "co_post_groups",
    "fresh_account_share",
)
_GROUP_COLUMNS = (
    "group",
    "accounts",
    "posts",
    "co_post",
    "co_link",
    "co_repost",
    "fresh_share",
    "low_follower_share",
    "first_post",
    "last_post",
)
_KINDS = ("co-post", "co-link", "co-repost")
_EPOCH = pd.Timestamp(0, tz="UTC")
_URL_RE = r"(?:https?://|www\.)\S+"
_MANUAL_RT_RE = r"^\s*[Rr][Tt]\s*@\w+"
_TRACKING_RE = r"(?:utm_[a-z]+|fbclid|gclid|igshid|mc_[a-z]+)=[^&#]*&?"


def normalize_text(text):
    """Normalise post text for near-duplicate comparison.

    NFKC, casefold, URLs and @mentions removed, a leading ``rt`` removed, ``#`` removed
    (the word is kept), whitespace collapsed and stripped.

    Parameters
    ----------
    text : pandas.Series of str
        Raw texts; missing values become ``""``.

    Returns
    -------
    pandas.Series of str
        Normalised texts, same index.

    Examples
    --------
    >>> normalize_text(pd.Series(["RT @Bob: Les  #Pigeons http://t.co/x"])).tolist()
    ['les pigeons']
    """
    out = pd.Series(text, dtype="str").fillna("").str.normalize("NFKC").str.casefold()
    out = out.str.replace(_URL_RE, " ", regex=True).str.replace(r"@\w+", " ", regex=True)
    out = out.str.replace(r"^\s*rt\b\s*:?", " ", regex=True).str.replace("#", "", regex=False)
    return out.str.replace(r"\s+", " ", regex=True).str.strip(" :")


def normalize_url(urls):
    """Normalise URLs so that trivial variants of one link compare equal.

    Casefolded; scheme, ``www.``, fragment, tracking parameters (``utm_*``, ``fbclid``,
    ``gclid``...) and trailing ``/?&`` removed.

    Parameters
    ----------
    urls : pandas.Series of str

    Returns
    -------
    pandas.Series of str

    Examples
    --------
    >>> normalize_url(pd.Series(["https://www.LeMonde.fr/a/?utm_source=tw#top"])).tolist()
    ['lemonde.fr/a']
    """
    out = pd.Series(urls, dtype="str").fillna("").str.strip().str.casefold()
    out = out.str.replace(r"^[a-z][a-z0-9+.-]*://", "", regex=True).str.replace(
        r"^www\.", "", regex=True
    )
    out = out.str.replace(r"#.*$", "", regex=True).str.replace(_TRACKING_RE, "", regex=True)
    return out.str.replace(r"[/?&]+$", "", regex=True)


def minhash_signatures(texts, num_perm=64, shingle_size=5, random_state=0):
    """MinHash signatures of character shingles, vectorised over all texts.

    Each text's ``shingle_size``-grams (texts shorter than that are padded with NUL to
    one shingle) are hashed to ``x < 2**31`` with a polynomial rolling hash modulo the
    Mersenne prime ``2**31 - 1``. Signature column ``i`` is ``min h_i(x)`` over the
    text's shingles, with the multiply-add-shift universal hash
    ``h_i(x) = ((a_i * x + b_i) mod 2**64) >> 32`` (Dietzfelbinger), ``a_i`` odd and
    ``b_i`` drawn from ``random_state``. The share of equal columns of two signatures
    estimates the Jaccard similarity of their shingle sets.

    Parameters
    ----------
    texts : pandas.Series of str
        Texts (already normalised).
    num_perm : int, default=64
        Number of hash functions.
    shingle_size : int, default=5
        Characters per shingle.
    random_state : int, RandomState or None, default=0
        Seed of the hash functions.

    Returns
    -------
    numpy.ndarray of int64, shape (n_texts, num_perm)
        Values in ``[0, 2**32)``.
    """
    k = int(shingle_size)
    num_perm = int(num_perm)
    texts = pd.Series(texts, dtype="str").fillna("").str.pad(k, side="right", fillchar="\x00")
    rng = check_random_state(random_state)
    words = rng.randint(0, 1 << 32, size=(2, num_perm), dtype=np.uint64)
    a = (words[0] << np.uint64(32)) | rng.randint(0, 1 << 32, size=num_perm, dtype=np.uint64)
    a |= np.uint64(1)
    b = (words[1] << np.uint64(32)) | rng.randint(0, 1 << 32, size=num_perm, dtype=np.uint64)
    signatures = np.empty((len(texts), num_perm), dtype=np.int64)
    if texts.empty:
        return signatures
    lengths = texts.str.len().to_numpy(np.int64)
    codes = np.frombuffer("".join(texts.tolist()).encode("utf-32-le"), dtype="<u4")
    codes = codes.astype(np.int64)
    n_windows = codes.size - k + 1
    rolling = np.zeros(n_windows, dtype=np.int64)
    for j in range(k):
        rolling = (rolling * _BASE + codes[j : j + n_windows]) % PRIME
    per_text = lengths - k + 1
    seg_starts = np.cumsum(per_text) - per_text
    text_starts = np.cumsum(lengths) - lengths
    within = np.arange(per_text.sum()) - np.repeat(seg_starts, per_text)
    shingles = rolling[np.repeat(text_starts, per_text) + within].astype(np.uint64)
    shift = np.uint64(32)
    for i in range(num_perm):
        # min of the full 64-bit value, then shift: equal to min of the shifted values
        values = shingles * a[i] + b[i]
        signatures[:, i] = (np.minimum.reduceat(values, seg_starts) >> shift).astype(np.int64)
    return signatures


def lsh_bands(num_perm, min_similarity, recall=LSH_RECALL):
    """Rows per band and number of bands for MinHash LSH.

    The largest ``rows`` (most selective) such that a pair of Jaccard similarity
    ``min_similarity`` shares at least one band with probability
    ``1 - (1 - s**rows)**bands >= recall``, ``bands = num_perm // rows``.

    Parameters
    ----------
    num_perm : int
    min_similarity : float
    recall : float, default=0.99

    Returns
    -------
    tuple of int
        ``(bands, rows)``.

    Examples
    --------
    >>> lsh_bands(64, 0.8)
    (12, 5)
    """
    best = (int(num_perm), 1)
    for rows in range(1, int(num_perm) + 1):
        bands = int(num_perm) // rows
        if 1.0 - (1.0 - float(min_similarity) ** rows) ** bands >= recall:
            best = (bands, rows)
    return best


def _bucket_pairs(members, sizes):
    """Candidate pairs inside LSH buckets (``members`` sorted by bucket).

    All pairs in buckets of at most ``_MAX_BUCKET`` members; in larger ones each member
    is paired with the bucket's first member and with its predecessor.
    """
    starts = np.cumsum(sizes) - sizes
    small = (sizes >= 2) & (sizes <= _MAX_BUCKET)
    # all pairs in small buckets
    pos_in = np.arange(members.size) - np.repeat(starts, sizes)
    size_of = np.repeat(sizes, sizes)
    in_small = np.repeat(small, sizes)
    partners = np.where(in_small, size_of - 1 - pos_in, 0)
    left_pos = np.repeat(np.arange(members.size), partners)
    offset = np.arange(partners.sum()) - np.repeat(np.cumsum(partners) - partners, partners)
    left = members[left_pos]
    right = members[left_pos + 1 + offset]
    # star + chain in large buckets
    large = np.repeat(sizes > _MAX_BUCKET, sizes) & (pos_in > 0)
    leader = members[np.repeat(starts, sizes)][large]
    previous = members[np.flatnonzero(large) - 1]
    follower = members[large]
    left = np.concatenate([left, leader, previous])
    right = np.concatenate([right, follower, follower])
    return left, right


def _similar_pairs(signatures, min_similarity):
    """Pairs of rows whose estimated Jaccard similarity is >= ``min_similarity``."""
    n, num_perm = signatures.shape
    if n < 2:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    bands, rows = lsh_bands(num_perm, min_similarity)
    multipliers = np.random.default_rng(0x5EED).integers(1, 1 << 62, size=rows, dtype=np.uint64) | 1
    keys = np.empty((bands, n), dtype=np.uint64)
    for band in range(bands):
        block = signatures[:, band * rows : (band + 1) * rows].astype(np.uint64)
        keys[band] = (block * multipliers[None, :]).sum(axis=1, dtype=np.uint64) + np.uint64(band)
    band_of = np.repeat(np.arange(bands, dtype=np.uint64), n)
    flat_keys = keys.ravel()
    items = np.tile(np.arange(n, dtype=np.int64), bands)
    order = np.lexsort((items, flat_keys, band_of))
    flat_keys, band_of, items = flat_keys[order], band_of[order], items[order]
    change = np.ones(order.size, dtype=bool)
    change[1:] = (flat_keys[1:] != flat_keys[:-1]) | (band_of[1:] != band_of[:-1])
    sizes = np.diff(np.append(np.flatnonzero(change), order.size))
    left, right = _bucket_pairs(items, sizes)
    low, high = np.minimum(left, right), np.maximum(left, right)
    code = np.unique(low[low != high] * n + high[low != high])
    low, high = code // n, code % n
    keep = np.zeros(code.size, dtype=bool)
    step = max(1, (1 << 22) // max(1, num_perm))
    for lo in range(0, code.size, step):
        hi = lo + step
        agree = (signatures[low[lo:hi]] == signatures[high[lo:hi]]).mean(axis=1)
        keep[lo:hi] = agree >= min_similarity
    return low[keep], high[keep]


def _runs(keys, times, window):
    """Event id of each row: same key and chained gaps of at most ``window``."""
    if keys.size == 0:
        return np.empty(0, dtype=np.int64)
    order = np.lexsort((times, keys))
    k, t = keys[order], times[order]
    new = np.ones(order.size, dtype=bool)
    new[1:] = (k[1:] != k[:-1]) | (t[1:] - t[:-1] > window)
    events = np.empty(order.size, dtype=np.int64)
    events[order] = np.cumsum(new) - 1
    return events


def _star_edges(events, accounts):
    """Edges linking each event's first account to its other accounts."""
    frame = pd.DataFrame({"event": events, "account": accounts}).drop_duplicates()
    first = frame.groupby("event")["account"].transform("min")
    keep = frame["account"] != first
    return first[keep].to_numpy(np.int64), frame.loc[keep, "account"].to_numpy(np.int64)


def _chunk_events(events, accounts, times, max_accounts):
    """Distinct ``(event, account)`` pairs, events cut into chunks of ``max_accounts``.

    Accounts of an event are ranked by their first share in it; ranks
    ``0 .. max_accounts - 1`` form the first chunk, and so on.

    Returns
    -------
    tuple of numpy.ndarray
        Chunk id and account of each distinct pair.
    """
    frame = pd.DataFrame({"event": events, "account": accounts, "time": times})
    first = frame.groupby(["event", "account"], sort=False)["time"].min().reset_index()
    first = first.sort_values(["event", "time", "account"], kind="stable")
    chunk = first.groupby("event").cumcount().to_numpy() // int(max_accounts)
    codes = pd.MultiIndex.from_arrays([first["event"].to_numpy(), chunk]).factorize()[0]
    return codes.astype(np.int64), first["account"].to_numpy(np.int64)


def _validated_pair_edges(events, accounts, n_accounts, min_co_shares, significance):
    """Account pairs that co-share more events than chance allows.

    ``events, accounts`` are the distinct ``(event, account)`` pairs of one kind of
    evidence, single-account events included (they are sharing activity too). For a
    pair with ``C`` shared events, ``u`` the less active account (``d_u`` events) and
    ``v`` the other, the null is that ``v``'s ``d_v`` shares fall on events in
    proportion to their other members: event ``e`` of ``u`` holds ``v`` with
    probability ``p_e = d_v * (n_e - 1) / (L - d_u)`` (``L`` all shares), so ``C`` is
    Poisson-binomial; its upper tail is bounded by that of
    ``Binomial(d_u, p = mean_e p_e)`` (Hoeffding 1956, for ``C >= d_u * p + 1``), which
    is the p-value used. The pair is kept when ``C >= min_co_shares`` and
    ``p-value <= significance / (A * (A - 1) / 2)``, a Bonferroni bound over all pairs
    of the ``A`` sharing accounts (a statistically validated projection of the
    account-event graph, after Tumminello et al. 2011, PLoS ONE 6:e17994). Popular
    items, shared by crowds, give large ``p`` and are not evidence; a few accounts
    repeatedly sharing the same items together are. Events are cut to at most
    ``max_event_accounts`` (see :func:`_chunk_events`) so that one viral item cannot
    make every ``p_e`` of its sharers near 1.
    """
    frame = pd.DataFrame({"event": events, "account": accounts})
    if frame.empty:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    event_codes = pd.factorize(frame["event"])[0]
    size = np.bincount(event_codes)
    account = frame["account"].to_numpy(np.int64)
    degree = np.bincount(account, minlength=n_accounts).astype(float)
    others = np.bincount(account, weights=size[event_codes] - 1.0, minlength=n_accounts)
    total = float(len(frame))
    shared = size[event_codes] >= 2
    if not shared.any():
        return np.empty(0, np.int64), np.empty(0, np.int64)
    incidence = sparse.csr_matrix(
        (np.ones(int(shared.sum())), (event_codes[shared], account[shared])),
        shape=(int(event_codes.max()) + 1, n_accounts),
    )
    co = sparse.triu(incidence.T @ incidence, k=1).tocoo()
    candidate = co.data >= min_co_shares
    row, col, count = co.row[candidate], co.col[candidate], co.data[candidate]
    u_is_row = degree[row] <= degree[col]
    u = np.where(u_is_row, row, col)
    v = np.where(u_is_row, col, row)
    trials = degree[u]
    mean_others = others[u] / trials
    prob = np.clip(degree[v] * mean_others / np.maximum(total - trials, 1.0), 0.0, 1.0)
    p_value = stats.binom.sf(count - 1, trials, prob)
    n_active = float(np.count_nonzero(degree))
    pairs = max(1.0, n_active * (n_active - 1) / 2)
    keep = p_value <= float(significance) / pairs
    return row[keep].astype(np.int64), col[keep].astype(np.int64)


def _profile_edges(events, accounts, suspicious, significance):
    """Edges among the fresh or low-follower accounts of significantly suspicious events.

    For each co-post event with ``n >= 2`` accounts of which ``m >= 2`` are suspicious
    (fresh or low-follower), the p-value is ``P(Binomial(n, q0) >= m)``, ``q0`` the
    share of suspicious accounts among all accounts of the window. Events with a
    p-value at most ``significance / K`` (Bonferroni over the ``K`` tested events) link
    their suspicious accounts (and only those: ordinary accounts that happened to post
    the same text are left out).
    """
    frame = pd.DataFrame({"event": events, "account": accounts}).drop_duplicates()
    if frame.empty or suspicious.size == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    frame["suspicious"] = suspicious[frame["account"].to_numpy()]
    per_event = frame.groupby("event")["suspicious"].agg(["size", "sum"])
    tested = per_event[per_event["size"] >= 2]
    if tested.empty:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    base = float(np.mean(suspicious))
    p_value = stats.binom.sf(tested["sum"] - 1, tested["size"], base)
    keep = tested.index[(tested["sum"] >= 2) & (p_value <= significance / len(tested))]
    flagged = frame[frame["event"].isin(keep) & frame["suspicious"]]
    return _star_edges(flagged["event"].to_numpy(), flagged["account"].to_numpy())


def _number_groups(component, coordinated, first_post):
    """Group id ``0 .. G-1`` of coordinated accounts (-1 otherwise).

    Groups are numbered by their first post, then by their smallest account code, so
    the numbering does not depend on the graph library's labels.
    """
    group = np.full(component.size, -1, dtype=np.int64)
    if not coordinated.any():
        return group
    members = np.flatnonzero(coordinated)
    frame = pd.DataFrame(
        {"component": component[members], "first": first_post[members], "account": members}
    )
    order = frame.groupby("component").agg(first=("first", "min"), account=("account", "min"))
    order = order.sort_values(["first", "account"], na_position="last")
    number = pd.Series(np.arange(len(order)), index=order.index)
    group[members] = number.reindex(component[members]).to_numpy()
    return group


def _require(frame, columns, name):
    if not isinstance(frame, pd.DataFrame):
        raise ValueError(f"{name} must be a pandas DataFrame, got {type(frame).__name__}")
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise ValueError(f"{name} lacks column(s) {missing}; it has {list(frame.columns)}")


def _epoch_ns(values):
    """Nanoseconds since the epoch as float (NaN for missing), any input resolution."""
    stamps = pd.to_datetime(pd.Series(values), utc=True)
    return ((stamps - _EPOCH) / pd.Timedelta(1, "ns")).to_numpy(dtype=float)


class CoordinationDetector(BaseEstimator):
    """Groups of accounts that co-post, co-link or co-repost within minutes.

    See the module docstring for the evidence, the grouping and the scores.

    Parameters
    ----------
    window_minutes : float, default=30
        Largest gap between two shares of one text, URL or post for them to count as
        acting together.
    min_similarity : float, default=0.8
        Estimated Jaccard similarity of shingle sets for two texts to be near-identical.
    min_accounts : int, default=3
        Smallest group of distinct accounts reported as coordinated.
    num_perm : int, default=64
        MinHash hash functions.
    shingle_size : int, default=5
        Characters per shingle.
    fresh_account_days : float, default=30
        An account younger than this at its first post of the window is fresh.
    min_text_chars : int, default=20
        Normalised texts shorter than this are not compared (slogans, lone hashtags).
    min_co_shares : int, default=2
        Fewest events a pair must co-share for a repeated co-sharing link.
    significance : float, default=0.01
        Family-wise error rate of each test (repeated co-sharing: Bonferroni over all
        pairs of sharing accounts; suspicious co-post events: over the events).
    max_event_accounts : int, default=50
        Co-link and co-repost events with more accounts are cut into time-ordered
        chunks of this many (bounds the pair count and the weight of viral items).
    low_followers : int, default=10
        Accounts with fewer followers count as low-follower accounts.
    validate : bool, default=True
        Link accounts only on statistically validated evidence (see the module
        docstring). ``False`` links every pair of accounts of every co-post, co-link
        and co-repost event: the literal definition, which groups organic crowds
        sharing a popular link or a share-button text.
    random_state : int, RandomState or None, default=0
        Seed of the MinHash hash functions.

    Attributes
    ----------
    coordinated_accounts_ : pandas.DataFrame
        ``movement_id, author_uid, group, reasons, score`` for every coordinated
        account in every movement where it posted; ``reasons`` lists its evidence
        among ``co-post, co-link, co-repost`` then the profile flags ``fresh``,
        ``low-followers``, comma-separated.
    movement_scores_ : pandas.DataFrame
        ``movement_id, coordination, coordinated_accounts, coordinated_posts,
        co_post_groups, fresh_account_share``, one row per movement of the input.
    groups_ : pandas.DataFrame
        ``group, accounts, posts, co_post, co_link, co_repost, fresh_share,
        low_follower_share, first_post, last_post`` per coordinated group.
    """

    def __init__(
        self,
        window_minutes=30,
        min_similarity=0.8,
        min_accounts=3,
        num_perm=64,
        shingle_size=5,
        fresh_account_days=30,
        min_text_chars=20,
        min_co_shares=2,
        significance=0.01,
        max_event_accounts=50,
        low_followers=10,
        validate=True,
        random_state=0,
    ):
        self.window_minutes = window_minutes
        self.min_similarity = min_similarity
        self.min_accounts = min_accounts
        self.num_perm = num_perm
        self.shingle_size = shingle_size
        self.fresh_account_days = fresh_account_days
        self.min_text_chars = min_text_chars
        self.min_co_shares = min_co_shares
        self.significance = significance
        self.max_event_accounts = max_event_accounts
        self.low_followers = low_followers
        self.validate = validate
        self.random_state = random_state

    def _check_params(self):
        if not 0 < float(self.min_similarity) <= 1:
            raise ValueError(f"min_similarity must be in (0, 1], got {self.min_similarity}")
        if int(self.min_accounts) < 2:
            raise ValueError(f"min_accounts must be >= 2, got {self.min_accounts}")
        if int(self.num_perm) < 1 or int(self.shingle_size) < 1:
            raise ValueError("num_perm and shingle_size must be >= 1")
        if float(self.window_minutes) < 0:
            raise ValueError(f"window_minutes must be >= 0, got {self.window_minutes}")
        if int(self.max_event_accounts) < 2:
            raise ValueError(f"max_event_accounts must be >= 2, got {self.max_event_accounts}")

    def fit(self, posts, y=None):
        """Find coordinated groups in one window of posts.

        Parameters
        ----------
        posts : pandas.DataFrame
            ``post_uid, movement_id, author_uid, created_at, text, urls,
            repost_of_uid, author_created_at, author_followers`` (``author_handle`` is
            not needed); ``urls`` holds list-likes of str (a plain string is one URL).
            A post assigned to several movements appears once per movement; posts
            without a timestamp count in their movement but are never evidence.
        y : None
            Ignored.

        Returns
        -------
        self : CoordinationDetector
            The fitted detector.
        """
        self._check_params()
        _require(posts, _POST_COLUMNS, "posts")
        posts = posts.reset_index(drop=True)
        post_uid = pd.Series(posts["post_uid"], dtype="str").fillna("")
        author = pd.Series(posts["author_uid"], dtype="str")
        author = author.fillna("?" + post_uid)  # an unknown author is its own account
        account_of_row, author_ids = pd.factorize(author, sort=True)
        n_accounts = len(author_ids)

        unique = np.flatnonzero(~post_uid.duplicated().to_numpy())
        frame = posts.iloc[unique].reset_index(drop=True)
        accounts = account_of_row[unique]
        times = _epoch_ns(frame["created_at"])
        evidence = self._evidence(frame, accounts, times)
        profile = self._profiles(frame, accounts, times, n_accounts)
        suspicious = profile["fresh"].to_numpy(bool) | profile["low"].to_numpy(bool)
        edges = self._edges(evidence, n_accounts, suspicious)

        src = np.concatenate([edge[0] for edge in edges])
        dst = np.concatenate([edge[1] for edge in edges])
        graph = sparse.coo_matrix((np.ones(src.size), (src, dst)), shape=(n_accounts,) * 2)
        _, component = connected_components(graph, directed=False)
        size = np.bincount(component)[component]
        coordinated = size >= int(self.min_accounts)

        group = _number_groups(component, coordinated, profile["first"].to_numpy())
        flags = np.zeros((n_accounts, 3), dtype=bool)
        for kind, (kind_src, kind_dst) in enumerate(edges):
            flags[np.concatenate([kind_src, kind_dst]), kind] = True
        flags &= coordinated[:, None]

        # a post is evidence when its event holds another account of the same group
        evidence["group"] = group[evidence["account"].to_numpy()]
        evidence = evidence[evidence["group"] >= 0]
        together = evidence.groupby(["event", "group"])["account"].transform("nunique") >= 2
        evidence_uids = post_uid.iloc[unique].to_numpy()[evidence.loc[together, "row"].unique()]

        rows = pd.DataFrame(
            {
                "movement_id": posts["movement_id"].to_numpy(),
                "post_uid": post_uid.to_numpy(),
                "account": account_of_row,
            }
        ).drop_duplicates(["movement_id", "post_uid"])
        rows["group"] = group[rows["account"].to_numpy()]
        rows["evidence"] = rows["post_uid"].isin(evidence_uids)

        self.coordinated_accounts_ = self._account_table(rows, author_ids, flags, profile)
        self.movement_scores_ = self._movement_table(rows, flags, profile)
        self.groups_ = self._group_table(group, flags, profile)
        return self

    def _evidence(self, frame, accounts, times):
        """Rows ``event, kind, row, account, time`` of co-post, co-link, co-repost events."""
        window = float(self.window_minutes) * 60e9
        timed = ~np.isnan(times)
        repost_of = pd.Series(frame["repost_of_uid"], dtype="str").fillna("").str.strip()
        raw_text = pd.Series(frame["text"], dtype="str").fillna("")
        manual_rt = raw_text.str.contains(_MANUAL_RT_RE, regex=True)
        is_repost = ((repost_of != "") | manual_rt).to_numpy()
        norm = normalize_text(raw_text)

        # co-post: near-identical original texts, clustered, then split in time
        min_chars = max(int(self.min_text_chars), int(self.shingle_size))
        long_enough = (norm.str.len() >= min_chars).to_numpy()
        text_rows = np.flatnonzero(~is_repost & long_enough & timed)
        text_codes, distinct = pd.factorize(norm.iloc[text_rows])
        signatures = minhash_signatures(
            pd.Series(distinct, dtype="str"), self.num_perm, self.shingle_size, self.random_state
        )
        low, high = _similar_pairs(signatures, float(self.min_similarity))
        n_texts = len(distinct)
        text_graph = sparse.coo_matrix((np.ones(low.size), (low, high)), shape=(n_texts,) * 2)
        cluster = connected_components(text_graph, directed=False)[1]
        keys = [cluster[text_codes]]
        rows = [text_rows]

        # co-link: the same normalised URL in original posts
        urls = frame.loc[~is_repost & timed, "urls"].explode().dropna()
        url_norm = normalize_url(urls)
        present = (url_norm != "").to_numpy()
        rows.append(urls.index.to_numpy(np.int64)[present])
        keys.append(pd.factorize(url_norm[present])[0])

        # co-repost: reposts of one post; manual RTs are keyed by their text
        repost_rows = np.flatnonzero(is_repost & timed)
        items = repost_of.where(repost_of != "", "rt:" + norm).iloc[repost_rows]
        rows.append(repost_rows)
        keys.append(pd.factorize(items)[0])

        parts, offset = [], 0
        for kind, (kind_rows, kind_keys) in enumerate(zip(rows, keys, strict=True)):
            kind_rows = np.asarray(kind_rows, dtype=np.int64)
            events = _runs(np.asarray(kind_keys, dtype=np.int64), times[kind_rows], window)
            parts.append(
                pd.DataFrame(
                    {
                        "event": events + offset,
                        "kind": np.int8(kind),
                        "row": kind_rows,
                        "account": accounts[kind_rows],
                        "time": times[kind_rows],
                    }
                )
            )
            offset += int(events.max(initial=-1)) + 1
        return pd.concat(parts, ignore_index=True)

    def _edges(self, evidence, n_accounts, suspicious):
        """Account pairs linked by each kind of evidence, as ``[(src, dst)] * 3``."""
        edges = []
        for kind in range(3):
            part = evidence[evidence["kind"] == kind]
            events = part["event"].to_numpy()
            accounts = part["account"].to_numpy()
            if not self.validate:
                edges.append(_star_edges(events, accounts))
                continue
            chunks, chunk_accounts = _chunk_events(
                events, accounts, part["time"].to_numpy(), int(self.max_event_accounts)
            )
            src, dst = _validated_pair_edges(
                chunks,
                chunk_accounts,
                n_accounts,
                int(self.min_co_shares),
                float(self.significance),
            )
            if kind == 0:
                profile_src, profile_dst = _profile_edges(
                    events, accounts, suspicious, float(self.significance)
                )
                src = np.concatenate([src, profile_src])
                dst = np.concatenate([dst, profile_dst])
            edges.append((src, dst))
        return edges

    def _profiles(self, frame, accounts, times, n_accounts):
        """Per account: first, last post time, posts, fresh and low-followers flags."""
        per_post = pd.DataFrame(
            {
                "account": accounts,
                "time": times,
                "created": _epoch_ns(frame["author_created_at"]),
                "followers": pd.to_numeric(frame["author_followers"], errors="coerce"),
            }
        )
        profile = per_post.groupby("account").agg(
            first=("time", "min"),
            last=("time", "max"),
            created=("created", "min"),
            followers=("followers", "max"),
            posts=("time", "size"),
        )
        profile = profile.reindex(np.arange(n_accounts))
        age = (profile["first"] - profile["created"]).to_numpy(float)
        with np.errstate(invalid="ignore"):
            profile["fresh"] = age < float(self.fresh_account_days) * 86400e9
            profile["low"] = profile["followers"].to_numpy(float) < float(self.low_followers)
        profile["posts"] = profile["posts"].fillna(0).astype(np.int64)
        return profile

    def _account_table(self, rows, author_ids, flags, profile):
        reasons = pd.Series("", index=np.arange(len(author_ids)), dtype="str")
        labels = [*_KINDS, "fresh", "low-followers"]
        columns = [*flags.T, profile["fresh"].to_numpy(bool), profile["low"].to_numpy(bool)]
        for label, column in zip(labels, columns, strict=True):
            reasons = reasons + np.where(column, "," + label, "")
        reasons = reasons.str.lstrip(",")
        per_account = (
            rows[rows["group"] >= 0]
            .groupby(["movement_id", "account"], sort=True)
            .agg(group=("group", "first"), posts=("post_uid", "size"), hits=("evidence", "sum"))
            .reset_index()
        )
        index = per_account["account"].to_numpy()
        return pd.DataFrame(
            {
                "movement_id": per_account["movement_id"].to_numpy(),
                "author_uid": np.asarray(author_ids, dtype=object)[index],
                "group": per_account["group"].to_numpy(np.int64),
                "reasons": reasons.to_numpy(dtype=object)[index],
                "score": (per_account["hits"] / per_account["posts"]).to_numpy(float),
            },
            columns=list(_ACCOUNT_COLUMNS),
        )

    def _movement_table(self, rows, flags, profile):
        in_group = rows["group"].to_numpy() >= 0
        n_groups = int(rows["group"].max()) + 1 if in_group.any() else 0
        group_co_post = np.zeros(max(n_groups, 1), dtype=bool)
        members = rows.loc[in_group, ["group", "account"]].drop_duplicates()
        np.logical_or.at(
            group_co_post, members["group"].to_numpy(), flags[members["account"].to_numpy(), 0]
        )
        fresh = profile["fresh"].to_numpy(bool)
        member_rows = rows[in_group].drop_duplicates(["movement_id", "account"])
        member_rows = member_rows.assign(
            fresh=fresh[member_rows["account"].to_numpy()],
            co_post=group_co_post[member_rows["group"].to_numpy()],
        )
        total = rows.groupby("movement_id", sort=True)["post_uid"].size()
        ids = total.index
        coordinated_posts = (
            rows[in_group].groupby("movement_id")["post_uid"].size().reindex(ids, fill_value=0)
        )
        by_movement = member_rows.groupby("movement_id")
        n_coord = by_movement["account"].size().reindex(ids, fill_value=0).to_numpy(np.int64)
        n_fresh = by_movement["fresh"].sum().reindex(ids, fill_value=0).to_numpy(float)
        co_post_groups = (
            member_rows[member_rows["co_post"]].groupby("movement_id")["group"].nunique()
        )
        fresh_share = np.divide(n_fresh, n_coord, out=np.zeros(len(ids)), where=n_coord > 0)
        share = coordinated_posts.to_numpy(float) / total.to_numpy(float)
        return pd.DataFrame(
            {
                "movement_id": ids.to_numpy(),
                "coordination": 1.0 - (1.0 - share) ** (1.0 + fresh_share),
                "coordinated_accounts": n_coord,
                "coordinated_posts": coordinated_posts.to_numpy(np.int64),
                "co_post_groups": co_post_groups.reindex(ids, fill_value=0).to_numpy(np.int64),
                "fresh_account_share": fresh_share,
            },
            columns=list(_MOVEMENT_COLUMNS),
        )

    def _group_table(self, group, flags, profile):
        members = np.flatnonzero(group >= 0)
        table = pd.DataFrame(
            {
                "group": group[members],
                "posts": profile["posts"].to_numpy()[members],
                "fresh": profile["fresh"].to_numpy(bool)[members],
                "low": profile["low"].to_numpy(bool)[members],
                "first": profile["first"].to_numpy(float)[members],
                "last": profile["last"].to_numpy(float)[members],
                "co_post": flags[members, 0],
                "co_link": flags[members, 1],
                "co_repost": flags[members, 2],
            }
        )
        summary = (
            table.groupby("group", sort=True)
            .agg(
                accounts=("posts", "size"),
                posts=("posts", "sum"),
                co_post=("co_post", "any"),
                co_link=("co_link", "any"),
                co_repost=("co_repost", "any"),
                fresh_share=("fresh", "mean"),
                low_follower_share=("low", "mean"),
                first_post=("first", "min"),
                last_post=("last", "max"),
            )
            .reset_index()
        )
        for column in ("first_post", "last_post"):
            summary[column] = _EPOCH + pd.to_timedelta(summary[column].to_numpy(float), unit="ns")
        return summary.reindex(columns=list(_GROUP_COLUMNS))

    def transform(self, posts=None):
        """Return the per-movement scores of the fitted window.

        Parameters
        ----------
        posts : None
            Ignored; the scores are those of the posts given to :meth:`fit`.

        Returns
        -------
        pandas.DataFrame
            :attr:`movement_scores_`.
        """
        check_is_fitted(self, "movement_scores_")
        return self.movement_scores_

    def fit_transform(self, posts, y=None):
        """Fit on ``posts`` and return :attr:`movement_scores_`.

        Returns
        -------
        pandas.DataFrame
            :attr:`movement_scores_`.
        """
        return self.fit(posts).movement_scores_
