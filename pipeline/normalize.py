"""Turn chunks of canonical records into clean, typed tables ready for COPY.

Everything here works on whole chunks with pandas/pyarrow string kernels; the only
per-value Python work is on *unique* values (hashtags, URLs, author ids), which are
far fewer than posts. Rules, each documented in ``docs/schema.md``:

* text: Unicode NFC, control characters and NUL removed (newline and tab kept);
* timestamps: ISO 8601 strings with an offset or ``Z``, or epoch seconds; naive
  strings are taken as UTC; unparseable or implausible ones (before 2006 or more
  than a day in the future) reject the record with a reason;
* hashtags: raw form kept, ``tag_norm`` = NFKD, combining marks removed, casefolded,
  leading ``#`` stripped, so ``#Réforme`` and ``#reforme`` are one tag;
* URLs: scheme and host lower-cased, default ports, fragments and tracking
  parameters (``utm_*``, ``fbclid``, ``gclid``) removed;
* language: the platform's if given (and shaped like a BCP 47 tag), else detected
  with py3langid (packaged model);
* pseudonymisation: with a key, author ids and handles become keyed HMAC-SHA256
  hashes before anything reaches the database.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from dataclasses import dataclass
from itertools import chain
from operator import attrgetter
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.sources.base import Record, Rejected

__all__ = [
    "POST_COLUMNS",
    "ArrowChunk",
    "NormalizedChunk",
    "canonical_url",
    "normalize_chunk",
    "normalize_tables",
    "normalize_tag",
    "pseudonymise",
]

POST_COLUMNS = [
    "post_uid",
    "platform",
    "post_id",
    "author_uid",
    "author_handle",
    "author_followers",
    "author_created_at",
    "created_at",
    "text",
    "lang",
    "reply_to_uid",
    "repost_of_uid",
    "quote_of_uid",
    "conversation_uid",
    "urls",
    "source",
]
_RECORD_FIELDS = [c for c in POST_COLUMNS if c != "post_uid"] + [
    "hashtags",
    "interactions",
    "line",
]
_TRACKING_PARAMS = re.compile(r"^(utm_\w+|fbclid|gclid|mc_cid|mc_eid|igshid)$", re.I)
_MAX_TAG = 200
_MAX_TEXT = 100_000


@dataclass
class NormalizedChunk:
    """Clean tables of one chunk: posts, hashtags, interactions and rejects."""

    posts: pd.DataFrame
    hashtags: pd.DataFrame
    interactions: pd.DataFrame
    rejected: list[Rejected]


def normalize_tag(tag: str) -> str:
    """Fold a hashtag to its comparison form (``#Réforme`` -> ``reforme``).

    Parameters
    ----------
    tag : str
        Raw hashtag, with or without ``#``.

    Returns
    -------
    str
        Accent-free, casefolded tag without ``#``; empty if nothing is left.
    """
    decomposed = unicodedata.normalize("NFKD", tag.lstrip("#＃"))
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", stripped).casefold().strip()[:_MAX_TAG]


def canonical_url(url: str) -> str:
    """Canonical form of a URL, so the same link shared twice compares equal.

    Parameters
    ----------
    url : str
        Any URL as posted.

    Returns
    -------
    str
        The URL with lower-case scheme and host, no default port, no fragment and
        no tracking parameters; the input unchanged if it cannot be parsed.
    """
    try:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").lower()
        port = parts.port
    except ValueError:
        return url.strip()
    if not parts.scheme or not host:
        return url.strip()
    scheme = parts.scheme.lower()
    if port and (scheme, port) not in {("http", 80), ("https", 443)}:
        host = f"{host}:{port}"
    query = urlencode(
        [
            (k, v)
            for k, v in parse_qsl(parts.query, keep_blank_values=True)
            if not _TRACKING_PARAMS.match(k)
        ]
    )
    path = parts.path or "/"
    return urlunsplit((scheme, host, path, query, ""))


_TIMESTAMP = pa.timestamp("us", tz="UTC")
_NAT = np.datetime64("NaT", "us")
_MIN_TIME_US = np.datetime64("2006-01-01T00:00:00", "us")
_CONTROL_RE2 = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\x{200b}\x{feff}]"
_EPOCH_RE2 = r"^\s*[0-9]+(\.[0-9]*)?\s*$"
_LANG_RE2 = r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{1,8})*$"  # BCP 47-ish; else detected
# URLs that canonical_url returns unchanged: lower-case http(s) host, a path, no
# port, user, query or fragment.
_CANONICAL_URL_RE2 = r"^https?://[a-z0-9.-]+/[^?#\s]*$"
_KINDS = pa.array(["repost", "quote", "reply", "mention"])
_NO_LANG = pa.array(["und", "zxx", "qme", "qht"])
_NULL_STRING = pa.scalar(None, pa.string())
_CONVERSION_ERRORS = (pa.ArrowException, TypeError, ValueError, OverflowError, UnicodeError)


@dataclass
class ArrowChunk:
    """Clean Arrow tables of one chunk, as :func:`normalize_tables` returns them.

    Same columns and rules as :class:`NormalizedChunk`; timestamps are
    ``timestamp[us, UTC]`` and ``author_followers`` is ``int64``.
    """

    posts: pa.Table
    hashtags: pa.Table
    interactions: pa.Table
    rejected: list[Rejected]


def _text_value(value) -> str | None:
    """A string for one odd value (number, surrogates, ...); None for NaN."""
    if value is None or (type(value) is float and value != value):
        return None
    if type(value) is str:
        return value.encode("utf-8", "replace").decode("utf-8")
    return str(value)


def _strings(values: list) -> pa.Array:
    """Arrow strings of a list of (mostly) str or None; other values become text."""
    try:
        return pa.array(values, type=pa.string())
    except _CONVERSION_ERRORS:
        return pa.array([_text_value(v) for v in values], type=pa.string())


def _has_control(array: pa.Array) -> bool:
    """Does ``array`` hold a character that ``_strip_control`` removes?"""
    return bool(len(array)) and bool(pc.any(pc.match_substring_regex(array, _CONTROL_RE2)).as_py())


def _strip_control(array: pa.Array) -> pa.Array:
    if _has_control(array):
        return pc.replace_substring_regex(array, _CONTROL_RE2, "")
    return array


def _clean_optional(array: pa.Array) -> pa.Array:
    cleaned = _strip_control(array)
    return pc.if_else(pc.equal(cleaned, ""), _NULL_STRING, cleaned)


def _clean_text(array: pa.Array, values: list, rows: _Rows) -> pa.Array:
    """Truncate, NFC-normalise and strip control characters from the posts' text.

    ``values`` are the raw texts of the whole chunk (``rows`` maps them to the kept
    rows of ``array``): only the few that are not already NFC are normalised, in
    Python, instead of running the normaliser over every string.
    """
    text = pc.fill_null(array, "")
    if len(text) and pc.max(pc.utf8_length(text)).as_py() > _MAX_TEXT:
        text = pc.utf8_slice_codeunits(text, 0, _MAX_TEXT)
    is_nfc = unicodedata.is_normalized
    odd = [
        i
        for i, v in enumerate(values)
        if type(v) is str and not v.isascii() and not is_nfc("NFC", v[:_MAX_TEXT])
    ]
    if odd:
        index = np.asarray(odd, dtype=np.int64)
        index = index[rows.keep[index]]
        mask = np.zeros(len(text), dtype=bool)
        mask[rows.position[index]] = True
        fixed = _strings([unicodedata.normalize("NFC", values[i][:_MAX_TEXT]) for i in index])
        text = pc.replace_with_mask(text, pa.array(mask), fixed)
    return _strip_control(text)


def _epoch_us(seconds: np.ndarray) -> np.ndarray:
    out = np.full(len(seconds), _NAT)
    ok = (seconds > 0) & (seconds < 4e10)
    out[ok] = (seconds[ok] * 1e6).astype(np.int64).astype("datetime64[us]")
    return out


def _parse_strings(values: np.ndarray) -> np.ndarray:
    """ISO 8601 strings (or epoch seconds as text) to naive UTC datetime64[us]."""
    out = np.full(len(values), _NAT)
    if not len(values):
        return out
    strings = _strings(list(values))
    epoch = pc.fill_null(pc.match_substring_regex(strings, _EPOCH_RE2), False)
    epoch = np.asarray(epoch.to_numpy(zero_copy_only=False), dtype=bool)
    if epoch.any():
        seconds = pd.to_numeric(pd.Series(values[epoch], dtype=object), errors="coerce")
        out[epoch] = _epoch_us(seconds.to_numpy(dtype="float64", na_value=np.nan))
    iso = ~epoch
    if iso.any():
        parsed = pd.to_datetime(values[iso], utc=True, errors="coerce", format="ISO8601")
        out[iso] = parsed.as_unit("us").tz_localize(None).to_numpy()
    return out


def _parse_times(values: list, repeated: bool = False) -> np.ndarray:
    """Parse ISO strings or epoch seconds to naive UTC ``datetime64[us]``; else NaT.

    With ``repeated`` (e.g. account creation times, one per author), each distinct
    string is parsed once.
    """
    column = np.empty(len(values), dtype=object)
    column[:] = values
    kind = pd.api.types.infer_dtype(column, skipna=True)
    if kind == "empty":
        return np.full(len(values), _NAT)
    if kind == "string" and repeated:
        codes, uniques = pd.factorize(column)
        parsed = np.append(_parse_strings(np.asarray(uniques, dtype=object)), _NAT)
        return parsed[codes]  # code -1 (missing) takes the trailing NaT
    if kind == "string":
        present = pd.notna(column)
        if present.all():
            return _parse_strings(column)
        out = np.full(len(values), _NAT)
        out[present] = _parse_strings(column[present])
        return out
    out = np.full(len(values), _NAT)
    is_str = np.fromiter((type(v) is str for v in values), dtype=bool, count=len(values))
    is_num = np.fromiter(
        (type(v) is int or type(v) is float for v in values), dtype=bool, count=len(values)
    )
    if is_str.any():
        out[is_str] = _parse_strings(column[is_str])
    if is_num.any():
        seconds = np.array([float(v) for v in column[is_num]], dtype="float64")
        out[is_num] = _epoch_us(np.nan_to_num(seconds, nan=-1.0, posinf=-1.0, neginf=-1.0))
    return out


def _followers(values: list) -> pa.Array:
    try:
        counts = pa.array(values, type=pa.int64())
    except _CONVERSION_ERRORS:
        numbers = pd.to_numeric(pd.Series(values, dtype=object), errors="coerce")
        numbers = numbers.to_numpy(dtype="float64", na_value=np.nan)
        integral = np.isfinite(numbers) & (np.floor(numbers) == numbers)
        integral &= np.abs(numbers) < 2**62
        counts = pa.array(
            np.where(integral, numbers, 0).astype(np.int64), mask=~integral, type=pa.int64()
        )
    valid = pc.and_(pc.greater_equal(counts, 0), pc.less(counts, 2**31))
    return pc.if_else(valid, counts, pa.scalar(None, pa.int64()))


def _map_unique(values: pa.Array, func, already: str | None = None) -> pa.Array:
    """Apply ``func`` to each distinct non-null value once; nulls stay null.

    Values matching the RE2 pattern ``already`` are known fixed points of ``func``
    and are kept without calling it.
    """
    uniques = pc.unique(values)
    if already is not None and len(uniques):
        fixed = pc.fill_null(pc.match_substring_regex(uniques, already), True)
        todo = pc.invert(fixed)
        changed = pc.filter(uniques, todo).to_pylist()
        if not changed:
            return values
        mapped = pa.array(list(map(func, changed)), type=pa.string())
        # replace the changed uniques, keep the others
        index = pc.index_in(values, pc.filter(uniques, todo))
        return pc.if_else(pc.is_null(index), values, pc.take(mapped, index))
    mapped = pa.array(
        [None if u is None else func(u) for u in uniques.to_pylist()], type=pa.string()
    )
    return pc.take(mapped, pc.index_in(values, uniques))


def _codes(values: pa.Array) -> np.ndarray:
    """Integer codes of the distinct values (null gets its own code)."""
    encoded = (
        pc.dictionary_encode(values).combine_chunks()
        if isinstance(values, pa.ChunkedArray)
        else pc.dictionary_encode(values)
    )
    return np.asarray(pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False))


def _first_of_each(*codes: np.ndarray) -> np.ndarray:
    """Positions of the first occurrence of each distinct tuple of codes, in order."""
    if not len(codes[0]):
        return np.zeros(0, dtype=np.int64)
    key = np.zeros(len(codes[0]), dtype=np.int64)
    for code in codes:
        code = code.astype(np.int64) + 1
        key = key * (int(code.max()) + 1) + code
    _, first = np.unique(key, return_index=True)
    return np.sort(first)


class _Rows:
    """The rows of a chunk kept after the timestamp check, to filter every column."""

    def __init__(self, keep: np.ndarray) -> None:
        self.all = bool(keep.all())
        self.keep = keep
        self.mask = pa.array(keep)
        self.position = np.cumsum(keep) - 1

    def filter(self, array: pa.Array) -> pa.Array:
        return array if self.all else array.filter(self.mask)

    def flatten(self, lists: list[list]) -> tuple[np.ndarray, list, pa.Array | None]:
        """Owner row of each item of kept rows, the items, and the item mask to apply."""
        lengths = np.fromiter(map(len, lists), dtype=np.int64, count=len(lists))
        owner = np.repeat(np.arange(len(lists), dtype=np.int64), lengths)
        items = list(chain.from_iterable(lists))
        if self.all:
            return owner, items, None
        kept = self.keep[owner]
        return self.position[owner[kept]], items, pa.array(kept)


def _pg_array_literals(items: pa.Array, owner: np.ndarray, n: int) -> pa.Array:
    """Postgres array literals (``{"a","b"}``) of ``items`` grouped by ``owner`` (sorted)."""
    if not len(items):
        return pa.array(np.full(n, "{}", dtype=object), type=pa.string())
    escaped = pc.replace_substring(pc.replace_substring(items, "\\", "\\\\"), '"', '\\"')
    lengths = np.bincount(owner, minlength=n)
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    lists = pa.LargeListArray.from_arrays(pa.array(offsets), escaped)
    literal = pc.binary_join_element_wise('{"', pc.binary_join(lists, '","'), '"}', "")
    return pc.if_else(pc.equal(pa.array(lengths), 0), "{}", literal)


def _pseudonym(key: bytes, value: str) -> str:
    prefix, sep, rest = value.partition(":")
    body = rest if sep else value
    digest = hmac.new(key, body.encode(), hashlib.sha256).hexdigest()[:24]
    return f"{prefix}:h{digest}" if sep else f"h{digest}"


def pseudonymise(values: pd.Series, key: bytes) -> pd.Series:
    """Replace ids or handles by keyed HMAC-SHA256 hashes, keeping the platform prefix.

    ``x:12345`` becomes ``x:h<24 hex>``; a handle becomes ``h<24 hex>``. The key
    never leaves the process. Hashing runs once per unique value.
    """
    uniques = values.dropna().unique()
    mapping = {v: _pseudonym(key, v) for v in uniques}
    return values.map(mapping)


def _detect_languages(texts: list[str]) -> list[str | None]:
    import py3langid as langid

    return [langid.classify(t)[0] if t.strip() else None for t in texts]


def normalize_tables(
    records: list[Record],
    *,
    pseudonymise_key: bytes | None = None,
    now: pd.Timestamp | None = None,
) -> ArrowChunk:
    """Clean one chunk of records into Arrow tables (the loader's fast path).

    Same parameters and rules as :func:`normalize_chunk`, which wraps this and
    returns pandas DataFrames.
    """
    now = now or pd.Timestamp.now(tz="UTC")
    latest = np.datetime64(now.tz_convert("UTC").tz_localize(None) + pd.Timedelta(days=1), "us")
    raw = {name: list(map(attrgetter(name), records)) for name in _RECORD_FIELDS}
    created = _parse_times(raw["created_at"])
    bad = np.isnat(created) | (created < _MIN_TIME_US) | (created > latest)
    rejected = [
        Rejected(
            raw["source"][i],
            int(raw["line"][i]),
            f"bad created_at: {raw['created_at'][i]!r}",
            str(raw["created_at"][i]),
        )
        for i in np.flatnonzero(bad)
    ]
    rows = _Rows(~bad)
    created = created[~bad]
    n = len(created)

    def strings(name: str) -> pa.Array:
        return rows.filter(_strings(raw[name]))

    platform = strings("platform")
    post_id = strings("post_id")
    author_uid = strings("author_uid")
    post_uid = pc.binary_join_element_wise(platform, post_id, ":")
    created_at = pa.array(created, type=_TIMESTAMP, from_pandas=True)
    text = _clean_text(strings("text"), raw["text"], rows)
    lang = _clean_optional(strings("lang"))
    lang = pc.if_else(pc.match_substring_regex(lang, _LANG_RE2), lang, _NULL_STRING)
    missing = pc.or_(pc.is_null(lang), pc.is_in(lang, _NO_LANG))
    if n and pc.any(missing).as_py():
        unknown = np.flatnonzero(np.asarray(missing.to_numpy(zero_copy_only=False), dtype=bool))
        detected = _detect_languages(pc.take(text, pa.array(unknown)).to_pylist())
        values = lang.to_pylist()
        for row, code in zip(unknown.tolist(), detected, strict=True):
            values[row] = code
        lang = pa.array(values, type=pa.string())
    author_created = _parse_times(raw["author_created_at"], repeated=True)[~bad]
    author_created[author_created < _MIN_TIME_US] = _NAT
    handle = _clean_optional(strings("author_handle"))

    url_owner, flat_urls, item_mask = rows.flatten(raw["urls"])
    urls = _strings(flat_urls)
    if item_mask is not None:
        urls = urls.filter(item_mask)
    urls_ok = pc.fill_null(pc.not_equal(urls, ""), False)
    if not pc.all(urls_ok).as_py():
        url_owner = url_owner[np.asarray(urls_ok.to_numpy(zero_copy_only=False), dtype=bool)]
        urls = urls.filter(urls_ok)
    canonical = _map_unique(urls, canonical_url, already=_CANONICAL_URL_RE2)
    url_literals = _pg_array_literals(canonical, url_owner, n)

    if pseudonymise_key is not None:
        key = pseudonymise_key
        author_uid = _map_unique(author_uid, lambda v: _pseudonym(key, v))
        # handles are case-insensitive
        handle = _map_unique(handle, lambda v: _pseudonym(key, v.casefold()))

    posts = pa.table(
        {
            "post_uid": post_uid,
            "platform": platform,
            "post_id": post_id,
            "author_uid": author_uid,
            "author_handle": handle,
            "author_followers": rows.filter(_followers(raw["author_followers"])),
            "author_created_at": pa.array(author_created, type=_TIMESTAMP, from_pandas=True),
            "created_at": created_at,
            "text": text,
            "lang": lang,
            "reply_to_uid": _clean_optional(strings("reply_to_uid")),
            "repost_of_uid": _clean_optional(strings("repost_of_uid")),
            "quote_of_uid": _clean_optional(strings("quote_of_uid")),
            "conversation_uid": _clean_optional(strings("conversation_uid")),
            "urls": url_literals,
            "source": strings("source"),
        }
    )

    tag_owner, flat_tags, item_mask = rows.flatten(raw["hashtags"])
    tags = _strings(flat_tags)
    if item_mask is not None:
        tags = tags.filter(item_mask)
    tags = pc.utf8_slice_codeunits(pc.utf8_ltrim(_strip_control(tags), "#"), 0, _MAX_TAG)
    tag_norm = _map_unique(tags, normalize_tag)
    tag_ok = pc.fill_null(pc.not_equal(tag_norm, ""), False)
    keep = np.asarray(tag_ok.to_numpy(zero_copy_only=False), dtype=bool)
    tag_owner, tags, tag_norm = tag_owner[keep], tags.filter(tag_ok), tag_norm.filter(tag_ok)
    post_code = _codes(post_uid)  # one code per post, even when a post repeats
    first = _first_of_each(post_code[tag_owner], _codes(tag_norm))
    tag_owner, take = tag_owner[first], pa.array(first)
    owners = pa.array(tag_owner)
    hashtags = pa.table(
        {
            "post_uid": pc.take(post_uid, owners),
            "created_at": pc.take(created_at, owners),
            "author_uid": pc.take(author_uid, owners),
            "tag": pc.take(tags, take),
            "tag_norm": pc.take(tag_norm, take),
        }
    )

    edge_owner, edges, item_mask = rows.flatten(raw["interactions"])
    dst = _strings([edge[0] for edge in edges])
    kind = _strings([edge[1] for edge in edges])
    if item_mask is not None:
        dst, kind = dst.filter(item_mask), kind.filter(item_mask)
    if pseudonymise_key is not None:
        dst = _map_unique(dst, lambda v: _pseudonym(key, v))
    src = pc.take(author_uid, pa.array(edge_owner))
    edge_ok = pc.and_(pc.is_in(kind, _KINDS), pc.not_equal(src, dst))
    edge_ok = pc.fill_null(edge_ok, False)
    keep = np.asarray(edge_ok.to_numpy(zero_copy_only=False), dtype=bool)
    edge_owner, dst, kind, src = (
        edge_owner[keep],
        dst.filter(edge_ok),
        kind.filter(edge_ok),
        src.filter(edge_ok),
    )
    first = _first_of_each(post_code[edge_owner], _codes(kind), _codes(dst))
    take, owners = pa.array(first), pa.array(edge_owner[first])
    interactions = pa.table(
        {
            "src_author_uid": pc.take(src, take),
            "dst_author_uid": pc.take(dst, take),
            "kind": pc.take(kind, take),
            "post_uid": pc.take(post_uid, owners),
            "created_at": pc.take(created_at, owners),
        }
    )
    return ArrowChunk(posts, hashtags, interactions, rejected)


_TO_PANDAS = {pa.int64(): pd.Int64Dtype()}.get


def normalize_chunk(
    records: list[Record],
    *,
    pseudonymise_key: bytes | None = None,
    now: pd.Timestamp | None = None,
) -> NormalizedChunk:
    """Clean one chunk of records into post, hashtag and interaction tables.

    Parameters
    ----------
    records : list of Record
        Records from one source, in input order.
    pseudonymise_key : bytes, optional
        If given, author ids and handles are replaced by keyed hashes.
    now : pandas.Timestamp, optional
        Upper bound of plausible timestamps is ``now + 1 day`` (default: real now).

    Returns
    -------
    NormalizedChunk
        ``posts`` (columns :data:`POST_COLUMNS`, ``urls`` as Postgres array literals),
        ``hashtags`` (post_uid, created_at, author_uid, tag, tag_norm), ``interactions``
        (src_author_uid, dst_author_uid, kind, post_uid, created_at) and the records
        rejected here (bad timestamps), with their reasons.
    """
    chunk = normalize_tables(records, pseudonymise_key=pseudonymise_key, now=now)
    return NormalizedChunk(
        chunk.posts.to_pandas(types_mapper=_TO_PANDAS),
        chunk.hashtags.to_pandas(),
        chunk.interactions.to_pandas(),
        chunk.rejected,
    )
