"""Serialise a planned scenario as X API v2 JSONL, one twarc2 response page per line.

Each line is a page ``{"data": [...], "includes": {"users": [...], "tweets":
[...]}, "meta": {...}, "__twarc": {...}}`` holding up to 100 tweets, newest first,
with the real v2 field names. ``includes.users`` holds the authors, mentioned users
and replied-to users of the page's tweets and of the tweets in
``includes.tweets``, which are the originals of retweets, quoted tweets and
replied-to tweets (full text, their own entities). Retweets carry the X form
``RT @user: <original text>``, cut at 140 characters.

Texts are rendered from the plan page by page; serialisation uses orjson and
buffered writes, so memory holds the plan arrays and a bounded cache of rendered
tweets, never the whole output.
"""

from __future__ import annotations

import gc
import multiprocessing as mp
import os
import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import orjson

from pipeline.simulate.codes import LANGS, QUOTE, REFERENCE_TYPES, REPLY, RETWEET
from pipeline.simulate.layout import Layout
from pipeline.simulate.scenario import DAY, Plan
from pipeline.simulate.text import MAX_CHARS, display_url, render, short_url

__all__ = ["BAD_CREATED_AT", "default_workers", "file_name", "write_x_v2"]

#: Unparsable ``created_at`` values planted in defective tweets.
BAD_CREATED_AT = ("", "not a date", "2012-10-32T25:61:00.000Z", "0000-00-00T00:00:00.000Z")

_TOKEN = re.compile(r"(?<![\w@#/&])([#@])(\w+)")
_FLUSH_BYTES = 4 << 20
_CACHE = 30_000
_HMS = [f"{h:02d}:{m:02d}:{s:02d}.000Z" for h in range(24) for m in range(60) for s in range(60)]
_FAMILY = {0: "original", RETWEET: "original", REPLY: "reply", QUOTE: "quote"}


def file_name(day: str) -> str:
    """Name of the file of one UTC day (``posts-YYYY-MM-DD.jsonl``)."""
    return f"posts-{day}.jsonl"


class _Iso:
    """Fast ``YYYY-MM-DDTHH:MM:SS.000Z`` from epoch seconds (day strings cached)."""

    def __init__(self) -> None:
        self._days: dict[int, str] = {}

    def __call__(self, sec: int) -> str:
        day, rest = divmod(sec, DAY)
        prefix = self._days.get(day)
        if prefix is None:
            prefix = datetime.fromtimestamp(day * DAY, UTC).strftime("%Y-%m-%dT")
            self._days[day] = prefix
        return prefix + _HMS[rest]


def _view(values: np.ndarray) -> memoryview:
    """Zero-copy view whose items index as Python scalars (fast, no per-item objects)."""
    return memoryview(np.ascontiguousarray(values))


class _Serializer:
    """Builds tweet, user and page objects for one plan (bounded caches)."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        users = plan.users
        rng = np.random.default_rng([plan.seed, 2])
        n = len(plan)
        # Public metrics: what the collection saw, inflated a little (it is a sample).
        counts = {
            k: np.bincount(plan.ref[plan.kind == k], minlength=n) for k in (RETWEET, REPLY, QUOTE)
        }
        rts = counts[RETWEET] + rng.poisson(counts[RETWEET] * 0.5)
        self.rts = _view(rts)
        self.replies = _view(counts[REPLY])
        self.likes = _view(rng.poisson(rts * 1.2 + 0.4))
        self.quotes = _view(counts[QUOTE])
        # Memoryviews index about as fast as lists without a Python object per item.
        self.t = _view(plan.t)
        self.pid = _view(plan.pid)
        self.comp = _view(plan.comp)
        self.author = _view(plan.author)
        self.kind = _view(plan.kind)
        self.ref = _view(plan.ref)
        self.conv = _view(plan.conv)
        self.stance = _view(plan.stance)
        self.lang = _view(plan.lang)
        self.ntags = _view(plan.ntags)
        self.url = _view(plan.url)
        self.mention = _view(plan.mention)
        self.seed = _view(plan.seed_text.view(np.uint64))
        self.uid = [str(v) for v in users.uid.tolist()]
        self.username = users.username
        self.by_name = {u.lower(): i for i, u in enumerate(users.username)}
        n_comp = len(plan.components)
        self.models = [plan.models.get((c, lg)) for c in range(n_comp) for lg in (0, 1)]
        self.iso = _Iso()
        # Two-generation caches (an approximate LRU): popular originals stay hot.
        self._tweets: dict[int, tuple[dict, tuple[int, ...]]] = {}
        self._old_tweets: dict[int, tuple[dict, tuple[int, ...]]] = {}
        self._users: dict[int, dict] = {}
        self._old_users: dict[int, dict] = {}

    # ----------------------------------------------------------------- texts
    def own_text(self, i: int) -> tuple[str, list[str]]:
        """Text and expanded URLs of a post that is not a retweet."""
        kind = self.kind[i]
        model = self.models[self.comp[i] * 2 + self.lang[i]]
        m = self.mention[i]
        mention = self.username[m] if m >= 0 else None
        # A quote already links to the quoted tweet; it shares no other link.
        url = self.url[i] and kind != QUOTE
        args = (self.stance[i], self.ntags[i], mention, url, self.seed[i])
        if kind == REPLY:
            prefix = f"@{self.username[self.author[self.ref[i]]]} "
            body, urls = render(model, "reply", *args, limit=MAX_CHARS - len(prefix))
            return prefix + body, urls
        if kind == QUOTE:
            r = self.ref[i]
            link = f"https://twitter.com/{self.username[self.author[r]]}/status/{self.pid[r]}"
            body, urls = render(model, "quote", *args, limit=MAX_CHARS - 21)
            return f"{body} {short_url(link)}", [*urls, link]
        return render(model, "original", *args)

    def retweet_text(self, original: dict, username: str) -> tuple[str, dict]:
        """``RT @user: text`` cut at 140 characters, with the original's entities moved."""
        prefix = f"RT @{username}: "
        text = prefix + original["text"]
        limit = len(text)
        if limit > MAX_CHARS:
            text = text[: MAX_CHARS - 1].rsplit(" ", 1)[0] + "…"
            limit = len(text) - 1
        shift = len(prefix)
        ent: dict = {}
        for key, items in original.get("entities", {}).items():
            moved = [
                {**e, "start": e["start"] + shift, "end": e["end"] + shift}
                for e in items
                if e["end"] + shift <= limit
            ]
            if moved:
                ent[key] = moved
        return text, ent

    def entities(self, text: str, urls: list[str]) -> tuple[dict | None, list[int]]:
        """v2 ``entities`` of a text, and the user numbers it mentions."""
        hashtags, mentions, mentioned = [], [], []
        for m in _TOKEN.finditer(text):
            word = m.group(2)
            if m.group(1) == "#":
                if not word.isdigit():
                    hashtags.append({"start": m.start(), "end": m.end(), "tag": word})
                continue
            u = self.by_name.get(word.lower())
            if u is None:
                continue
            mentions.append(
                {"start": m.start(), "end": m.end(), "username": word, "id": self.uid[u]}
            )
            mentioned.append(u)
        links = []
        pos = 0
        for expanded in urls:
            short = short_url(expanded)
            at = text.find(short, pos)
            if at < 0:
                continue
            pos = at + len(short)
            links.append(
                {
                    "start": at,
                    "end": pos,
                    "url": short,
                    "expanded_url": expanded,
                    "display_url": display_url(expanded),
                }
            )
        ent = {}
        if hashtags:
            ent["hashtags"] = hashtags
        if mentions:
            ent["mentions"] = mentions
        if links:
            ent["urls"] = links
        return (ent or None), mentioned

    # ----------------------------------------------------------------- objects
    def tweet(self, i: int) -> tuple[dict, tuple[int, ...]]:
        """The v2 tweet object of post ``i`` and the user numbers it involves."""
        hit = self._tweets.get(i)
        if hit is not None:
            return hit
        hit = self._old_tweets.get(i)
        if hit is not None:
            self._tweets[i] = hit
            return hit
        pid = str(self.pid[i])
        author = self.author[i]
        kind = self.kind[i]
        if kind == RETWEET:
            r = self.ref[i]
            original, orig_involved = self.tweet(r)
            op = self.author[r]
            text, ent = self.retweet_text(original, self.username[op])
            head = {"start": 3, "end": 4 + len(self.username[op])}
            head.update(username=self.username[op], id=self.uid[op])
            moved = ent
            ent = {
                "hashtags": moved.get("hashtags"),
                "mentions": [head, *moved.get("mentions", ())],
            }
            ent["urls"] = moved.get("urls")
            ent = {k: v for k, v in ent.items() if v}
            kept = {e["id"] for e in ent["mentions"]}
            mentioned = [op, *(u for u in orig_involved[1:] if self.uid[u] in kept)]
        else:
            text, urls = self.own_text(i)
            ent, mentioned = self.entities(text, urls)
        m = self.ref[i] if kind == RETWEET else i
        tw: dict = {
            "author_id": self.uid[author],
            "conversation_id": str(self.pid[self.conv[i]]),
            "created_at": self.iso(self.t[i]),
            "edit_history_tweet_ids": [pid],
        }
        if ent:
            tw["entities"] = ent
        tw["id"] = pid
        involved = [author, *mentioned]
        if kind == REPLY:
            parent_author = self.author[self.ref[i]]
            tw["in_reply_to_user_id"] = self.uid[parent_author]
            involved.append(parent_author)
        tw["lang"] = LANGS[self.lang[i]]
        tw["possibly_sensitive"] = False
        if kind == RETWEET:
            tw["public_metrics"] = {
                "retweet_count": self.rts[m],
                "reply_count": 0,
                "like_count": 0,
                "quote_count": 0,
            }
        else:
            tw["public_metrics"] = {
                "retweet_count": self.rts[m],
                "reply_count": self.replies[m],
                "like_count": self.likes[m],
                "quote_count": self.quotes[m],
            }
        if kind:
            tw["referenced_tweets"] = [
                {"type": REFERENCE_TYPES[kind], "id": str(self.pid[self.ref[i]])}
            ]
        tw["text"] = text
        out = (tw, tuple(dict.fromkeys(involved)))
        if len(self._tweets) >= _CACHE:
            self._old_tweets, self._tweets = self._tweets, {}
        self._tweets[i] = out
        return out

    def user(self, u: int) -> dict:
        """The v2 user object of user number ``u``."""
        hit = self._users.get(u)
        if hit is not None:
            return hit
        hit = self._old_users.get(u)
        if hit is not None:
            self._users[u] = hit
            return hit
        users = self.plan.users
        obj = {
            "created_at": self.iso(int(users.created[u])),
            "description": users.description[u],
            "id": self.uid[u],
        }
        if users.location[u]:
            obj["location"] = users.location[u]
        obj["name"] = users.name[u]
        obj["protected"] = False
        obj["public_metrics"] = {
            "followers_count": int(users.followers[u]),
            "following_count": int(users.following[u]),
            "tweet_count": int(users.tweets[u]),
            "listed_count": int(users.listed[u]),
        }
        obj["username"] = users.username[u]
        obj["verified"] = bool(users.verified[u])
        if len(self._users) >= _CACHE:
            self._old_users, self._users = self._users, {}
        self._users[u] = obj
        return obj

    def page(
        self, entries: list[int], dups: list[bool], defect: np.ndarray, day: str, token: str
    ) -> bytes:
        """One response page (JSON bytes, no newline) for posts in writing order."""
        data = []
        people: dict[int, None] = {}
        refs: dict[int, None] = {}
        ids = []
        newest_t = 0
        for i, dup in zip(reversed(entries), reversed(dups), strict=True):
            tw, involved = self.tweet(i)
            bad = 0 if dup else int(defect[i])
            if bad:
                tw = dict(tw)
                if bad == 1:
                    del tw["id"]
                elif bad == 2:
                    del tw["author_id"]
                else:
                    tw["created_at"] = BAD_CREATED_AT[self.seed[i] % len(BAD_CREATED_AT)]
            if bad != 1:
                ids.append(self.pid[i])
            newest_t = max(newest_t, self.t[i])
            data.append(tw)
            people.update(dict.fromkeys(involved))
            r = self.ref[i]
            if r >= 0:
                refs[r] = None
        included = []
        for r in refs:
            tw, involved = self.tweet(r)
            included.append(tw)
            people.update(dict.fromkeys(involved))
        includes: dict = {"users": [self.user(u) for u in people]}
        if included:
            includes["tweets"] = included
        meta: dict = {"result_count": len(data)}
        if ids:
            meta["newest_id"] = str(max(ids))
            meta["oldest_id"] = str(min(ids))
        if token:
            meta["next_token"] = token
        page = {
            "data": data,
            "includes": includes,
            "meta": meta,
            "__twarc": {
                "url": "https://api.twitter.com/2/tweets/search/all?max_results=100"
                f"&start_time={day}T00:00:00.000Z",
                "version": "2.14.0",
                "retrieved_at": self.iso(newest_t + 90).replace(".000Z", "+00:00"),
            },
        }
        return orjson.dumps(page)


def default_workers(posts: int) -> int:
    """Processes worth using to write ``posts`` posts (1 below 100,000 posts)."""
    if posts < 100_000:
        return 1
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, 4))


def _can_fork() -> bool:
    # Daemonic processes (e.g. some task runners) may not have children.
    return "fork" in mp.get_all_start_methods() and not mp.current_process().daemon


def _write_file(
    ser: _Serializer,
    layout: Layout,
    first_page: list[int],
    f: int,
    path: Path,
    report: Callable[[int], None],
) -> None:
    """Write the pages of file ``f`` to ``path`` (via a temporary name)."""
    entries = layout.entries
    dups = layout.is_dup
    bounds = layout.page_bounds
    day = layout.days[f]
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as fh:
        buf: list[bytes] = []
        size = pending = 0
        for page in range(first_page[f], first_page[f + 1]):
            lo, hi = int(bounds[page]), int(bounds[page + 1])
            last = page + 1 == first_page[f + 1]
            token = "" if last else f"b26v89c19zqg8o3f{page:07x}"
            page_dups = dups[lo:hi].tolist()
            body = ser.page(entries[lo:hi].tolist(), page_dups, layout.defect, day, token)
            cut = float(layout.truncated[page])
            if cut:
                buf.append(body[: max(1, int(len(body) * cut))] + b"\n")
            buf.append(body + b"\n")
            size += len(body)
            pending += hi - lo - sum(page_dups)
            if size >= _FLUSH_BYTES:
                fh.write(b"".join(buf))
                buf, size = [], 0
                report(pending)
                pending = 0
        fh.write(b"".join(buf))
    os.replace(tmp, path)
    report(pending)


_JOB: tuple | None = None  # what forked workers inherit


def _work(f: int) -> int:
    ser, layout, first_page, paths, counter = _JOB

    def report(n: int) -> None:
        with counter.get_lock():
            counter.value += n

    _write_file(ser, layout, first_page, f, paths[f], report)
    return f


def write_x_v2(
    out_dir: Path,
    plan: Plan,
    layout: Layout,
    progress: Callable[[int], None] | None = None,
    workers: int = 1,
) -> list[Path]:
    """Write the daily JSONL files of a plan.

    Parameters
    ----------
    out_dir : Path
        Existing directory; files are written as ``*.tmp`` and renamed when done.
    plan : Plan
        The planned scenario.
    layout : Layout
        Files, pages and faults.
    progress : callable, optional
        Called with the number of distinct posts written so far, after every
        buffered write (a few megabytes) of any file.
    workers : int, default 1
        Processes writing files in parallel (forked, sharing the plan); the bytes
        written do not depend on it. Falls back to 1 where forking is unavailable.

    Returns
    -------
    list of Path
        The files written, one per UTC day.
    """
    # Millions of short-lived acyclic dicts: the cyclic collector would only cost time.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _write_all(out_dir, plan, layout, progress, workers)
    finally:
        if was_enabled:
            gc.enable()


def _write_all(
    out_dir: Path,
    plan: Plan,
    layout: Layout,
    progress: Callable[[int], None] | None,
    workers: int,
) -> list[Path]:
    global _JOB
    ser = _Serializer(plan)
    paths = [out_dir / file_name(day) for day in layout.days]
    first_page = np.searchsorted(layout.page_file, np.arange(len(paths) + 1)).tolist()
    if workers <= 1 or not _can_fork():
        done = 0

        def report(n: int) -> None:
            nonlocal done
            done += n
            if progress is not None:
                progress(done)

        for f, path in enumerate(paths):
            _write_file(ser, layout, first_page, f, path, report)
        return paths

    ctx = mp.get_context("fork")
    counter = ctx.Value("q", 0)
    _JOB = (ser, layout, first_page, paths, counter)
    biggest_first = np.argsort(-np.diff(first_page), kind="stable").tolist()
    try:
        with ctx.Pool(min(workers, len(paths))) as pool:
            result = pool.map_async(_work, biggest_first, chunksize=1)
            seen = -1
            while not result.ready():
                result.wait(0.2)
                value = counter.value
                if progress is not None and value != seen:
                    progress(value)
                    seen = value
            result.get()
    except BaseException:
        for path in paths:
            path.with_name(path.name + ".tmp").unlink(missing_ok=True)
        raise
    finally:
        _JOB = None
    if progress is not None and counter.value != seen:
        progress(counter.value)
    return paths
