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
* language: the platform's if given, else detected with py3langid (packaged model);
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
    "NormalizedChunk",
    "canonical_url",
    "normalize_chunk",
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
_CONTROL = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b\ufeff]"
_MIN_TIME = pd.Timestamp("2006-01-01", tz="UTC")
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


def pseudonymise(values: pd.Series, key: bytes) -> pd.Series:
    """Replace ids or handles by keyed HMAC-SHA256 hashes, keeping the platform prefix.

    ``x:12345`` becomes ``x:h<24 hex>``; a handle becomes ``h<24 hex>``. The key
    never leaves the process. Hashing runs once per unique value.
    """
    uniques = values.dropna().unique()

    def one(value: str) -> str:
        prefix, sep, rest = value.partition(":")
        body = rest if sep else value
        digest = hmac.new(key, body.encode(), hashlib.sha256).hexdigest()[:24]
        return f"{prefix}:h{digest}" if sep else f"h{digest}"

    mapping = {v: one(v) for v in uniques}
    return values.map(mapping)


def _parse_times(raw: pd.Series) -> pd.Series:
    """Parse ISO strings or epoch seconds to UTC; unparseable values become NaT."""
    out = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[ns, UTC]")
    present = raw.notna()
    if not present.any():
        return out
    numeric = pd.to_numeric(raw[present], errors="coerce")
    is_num = numeric.notna()
    if is_num.any():
        secs = numeric[is_num].astype("float64")
        secs = secs.where((secs > 0) & (secs < 4e10))
        out.loc[secs.index] = pd.to_datetime(secs, unit="s", utc=True)
    strings = raw[present][~is_num]
    if len(strings):
        out.loc[strings.index] = pd.to_datetime(
            strings.astype(str), utc=True, errors="coerce", format="ISO8601"
        )
    return out


def _clean_text(text: pd.Series) -> pd.Series:
    text = text.fillna("").astype(str).str.slice(0, _MAX_TEXT)
    return text.str.normalize("NFC").str.replace(_CONTROL, "", regex=True)


def _clean_optional(values: pd.Series) -> pd.Series:
    cleaned = values.astype("str").str.replace(_CONTROL, "", regex=True)
    return cleaned.where(values.notna() & (cleaned != ""), None)


def _detect_languages(text: pd.Series) -> pd.Series:
    import py3langid as langid

    return text.map(lambda t: langid.classify(t)[0] if t.strip() else None)


def _map_unique(values: pd.Series, func) -> pd.Series:
    uniques = values.dropna().unique()
    return values.map(dict(zip(uniques, map(func, uniques), strict=True)))


def _pg_array_literals(items: pd.Series, lengths: np.ndarray) -> np.ndarray:
    """Postgres array literals (``{"a","b"}``) of consecutive runs of ``items``."""
    escaped = items.str.replace("\\", "\\\\", regex=False).str.replace('"', '\\"', regex=False)
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    lists = pa.LargeListArray.from_arrays(offsets, pa.array(escaped.to_numpy(), type=pa.string()))
    joined = pc.binary_join(lists, '","')
    literal = pc.binary_join_element_wise('{"', joined, '"}', "")
    return pc.if_else(pc.equal(pa.array(lengths), 0), "{}", literal).to_numpy(zero_copy_only=False)


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
    now = now or pd.Timestamp.now(tz="UTC")
    if not records:
        empty = pd.DataFrame(columns=POST_COLUMNS)
        return NormalizedChunk(empty, _empty_hashtags(), _empty_interactions(), [])
    columns = list(zip(*map(attrgetter(*_RECORD_FIELDS), records), strict=True))
    raw = dict(zip(_RECORD_FIELDS, columns, strict=True))
    frame = pd.DataFrame(
        {k: raw[k] for k in _RECORD_FIELDS if k not in ("hashtags", "interactions", "urls")}
    )
    frame["created_at"] = _parse_times(pd.Series(raw["created_at"], dtype=object))
    bad_time = frame["created_at"].isna() | (frame["created_at"] < _MIN_TIME)
    bad_time |= frame["created_at"] > now + pd.Timedelta(days=1)
    rejected = [
        Rejected(src, int(line), f"bad created_at: {value!r}", str(value))
        for src, line, value in zip(
            frame.loc[bad_time, "source"],
            frame.loc[bad_time, "line"],
            np.asarray(raw["created_at"], dtype=object)[bad_time.to_numpy()],
            strict=True,
        )
    ]
    keep = ~bad_time.to_numpy()
    frame = frame.loc[keep].reset_index(drop=True)
    kept_index = np.flatnonzero(keep)

    frame["post_uid"] = frame["platform"].astype(str) + ":" + frame["post_id"].astype(str)
    frame["text"] = _clean_text(frame["text"])
    for column in (
        "author_handle",
        "lang",
        "reply_to_uid",
        "repost_of_uid",
        "quote_of_uid",
        "conversation_uid",
    ):
        frame[column] = _clean_optional(frame[column])
    followers = pd.to_numeric(frame["author_followers"], errors="coerce")
    frame["author_followers"] = followers.where((followers >= 0) & (followers < 2**31)).astype(
        "Int64"
    )
    author_created = _parse_times(frame["author_created_at"].astype(object))
    frame["author_created_at"] = author_created.where(author_created >= _MIN_TIME)
    missing_lang = frame["lang"].isna() | frame["lang"].isin(["und", "zxx", "qme", "qht"])
    if missing_lang.any():
        frame.loc[missing_lang, "lang"] = _detect_languages(frame.loc[missing_lang, "text"])

    url_lists = [raw["urls"][i] for i in kept_index]
    flat_urls = pd.Series(list(chain.from_iterable(url_lists)), dtype="str")
    canon = _map_unique(flat_urls, canonical_url)
    url_lengths = np.fromiter(map(len, url_lists), dtype=np.int64, count=len(url_lists))
    frame["urls"] = _pg_array_literals(canon, url_lengths)

    tag_lists = [raw["hashtags"][i] for i in kept_index]
    hashtags = _explode(frame, tag_lists, ["tag"])
    if len(hashtags):
        hashtags["tag"] = (
            hashtags["tag"]
            .astype(str)
            .str.replace(_CONTROL, "", regex=True)
            .str.lstrip("#")
            .str.slice(0, _MAX_TAG)
        )
        hashtags["tag_norm"] = _map_unique(hashtags["tag"], normalize_tag)
        hashtags = hashtags[hashtags["tag_norm"] != ""].drop_duplicates(["post_uid", "tag_norm"])
    else:
        hashtags = _empty_hashtags()

    edge_lists = [raw["interactions"][i] for i in kept_index]
    interactions = _explode(frame, edge_lists, ["dst_author_uid", "kind"])
    if len(interactions):
        interactions = interactions.rename(columns={"author_uid": "src_author_uid"})
        interactions = interactions[
            interactions["src_author_uid"] != interactions["dst_author_uid"]
        ]
        interactions = interactions.drop_duplicates(["post_uid", "kind", "dst_author_uid"])
    else:
        interactions = _empty_interactions()

    if pseudonymise_key is not None:
        frame["author_uid"] = pseudonymise(frame["author_uid"], pseudonymise_key)
        handles = frame["author_handle"].str.casefold()  # handles are case-insensitive
        frame["author_handle"] = pseudonymise(handles, pseudonymise_key)
        hashtags["author_uid"] = pseudonymise(hashtags["author_uid"], pseudonymise_key)
        for column in ("src_author_uid", "dst_author_uid"):
            interactions[column] = pseudonymise(interactions[column], pseudonymise_key)

    posts = frame[POST_COLUMNS]
    return NormalizedChunk(
        posts,
        hashtags[["post_uid", "created_at", "author_uid", "tag", "tag_norm"]].reset_index(
            drop=True
        ),
        interactions[
            ["src_author_uid", "dst_author_uid", "kind", "post_uid", "created_at"]
        ].reset_index(drop=True),
        rejected,
    )


def _explode(frame: pd.DataFrame, lists: list[list], names: list[str]) -> pd.DataFrame:
    """One row per list item, carrying the post's uid, author and time."""
    lengths = np.fromiter(map(len, lists), dtype=np.int64, count=len(lists))
    if lengths.sum() == 0:
        return pd.DataFrame(columns=["post_uid", "created_at", "author_uid", *names])
    owner = np.repeat(np.arange(len(lists)), lengths)
    items = list(chain.from_iterable(lists))
    if len(names) == 1:
        values = {names[0]: items}
    else:
        values = dict(zip(names, map(list, zip(*items, strict=True)), strict=True))
    out = pd.DataFrame(
        {
            "post_uid": frame["post_uid"].to_numpy()[owner],
            "created_at": frame["created_at"].to_numpy()[owner],
            "author_uid": frame["author_uid"].to_numpy()[owner],
            **values,
        }
    )
    out["created_at"] = pd.to_datetime(out["created_at"], utc=True)
    return out


def _empty_hashtags() -> pd.DataFrame:
    return pd.DataFrame(columns=["post_uid", "created_at", "author_uid", "tag", "tag_norm"])


def _empty_interactions() -> pd.DataFrame:
    return pd.DataFrame(
        columns=["src_author_uid", "dst_author_uid", "kind", "post_uid", "created_at"]
    )
