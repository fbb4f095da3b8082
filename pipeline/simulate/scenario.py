"""Plan a scenario: its components, and every post's time, author, kind and links.

Planning is vectorised: each component draws all its timestamps from an intensity
curve on a one-minute grid (daily rhythm times the component's shape), all its
authors with a join process or a Zipf law, and all its post kinds at once. The
blocks are merged into one time-ordered set of arrays, then retweet, reply, quote
and mention targets are drawn among *earlier* posts of the same group (component,
or author community for background chatter) in a few array passes; chains of
retweets resolve to their original, which gives heavy-tailed retweet counts.

Component kinds and what makes them recognisable:

``grassroots_opposition``
    A handful (3-10) of ordinary seed authors post alone for a few hours, then
    volume grows logistically over 1-4 days to a peak and decays; new authors keep
    joining; hashtag variants are mixed; replies and retweets stay inside the
    movement; a few neutral, favourable and media posts are mixed in.
``coordinated_campaign``
    Fresh accounts post near-identical texts with the same hashtags and link in
    short waves, and co-retweet one seed post within minutes.
``neutral_spike``
    A match or live event: huge volume for a few hours, many authors, no target.
``institutional_promotion``
    Official accounts promote a policy; their retweeters amplify it.
``persistent_topic``
    An always-on political topic at a stable daily rate, mixed stance.
``background``
    Everyday chatter in communities, mostly without hashtags.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from pipeline.simulate.codes import (
    COMPONENT_KINDS,
    ORIGINAL,
    QUOTE,
    REPLY,
    RETWEET,
    S_AGAINST,
    S_FAVOUR,
    S_NEUTRAL,
    S_NEWS,
    S_NONE,
)
from pipeline.simulate.pools import (
    CAMPAIGNS,
    EVENTS,
    MOVEMENTS,
    POLICIES,
    TOPICS,
)
from pipeline.simulate.population import (
    ROLE_MEDIA,
    CampaignAccounts,
    Population,
    build_population,
    snowflake,
)
from pipeline.simulate.text import (
    TextModel,
    background_model,
    background_tags,
    component_model,
)

__all__ = ["Component", "Plan", "plan_scenario"]

DAY = 86_400
HOUR = 3_600

# Activity by local hour (few posts at night, peaks at lunch and in the evening).
_HOURLY = np.array(
    [
        *(0.55, 0.35, 0.2, 0.12, 0.1, 0.12, 0.3, 0.6, 0.85, 0.95, 1.0, 1.05),
        *(1.2, 1.15, 1.0, 0.95, 0.95, 1.0, 1.1, 1.15, 1.3, 1.4, 1.25, 0.9),
    ]
)
_TZ = {"fr": "Europe/Paris", "en": "Europe/London"}

_EXPECTED = {
    "grassroots_opposition": {"opposition": True, "grassroots": True, "coordinated": False},
    "coordinated_campaign": {"opposition": True, "grassroots": False, "coordinated": True},
    "neutral_spike": {"opposition": False, "grassroots": False, "coordinated": False},
    "institutional_promotion": {"opposition": False, "grassroots": False, "coordinated": False},
    "persistent_topic": {"opposition": False, "grassroots": False, "coordinated": False},
    "background": {"opposition": False, "grassroots": False, "coordinated": False},
}


@dataclass
class Component:
    """One ground-truth component of a scenario and the parameters of its plan."""

    id: str
    kind: str
    label: str
    lang: str
    target: str | None
    hashtags: tuple[str, ...]
    n: int
    params: dict = field(default_factory=dict)
    entry: dict = field(default_factory=dict)
    tag_weights: tuple[float, ...] = ()
    slots: dict = field(default_factory=dict)
    accounts: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    seeds: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))

    @property
    def expected(self) -> dict[str, bool]:
        """What a correct detector concludes about this component."""
        return dict(_EXPECTED[self.kind])


@dataclass
class Plan:
    """A planned scenario: components, accounts and one row per post in time order.

    Post arrays (all the same length, sorted by time): ``t`` epoch seconds, ``pid``
    snowflake id, ``comp`` component index, ``author`` user number, ``kind`` post
    kind, ``ref`` referenced post position (-1), ``conv`` conversation root
    position, ``stance``, ``lang``, ``ntags`` hashtags to write, ``url`` shares a
    link, ``mention`` mentioned user number (-1), ``seed`` text seed.
    """

    seed: int
    start: int
    end: int
    components: list[Component]
    users: Population
    models: dict[tuple[int, int], TextModel]
    t: np.ndarray
    pid: np.ndarray
    comp: np.ndarray
    author: np.ndarray
    kind: np.ndarray
    ref: np.ndarray
    conv: np.ndarray
    stance: np.ndarray
    lang: np.ndarray
    ntags: np.ndarray
    url: np.ndarray
    mention: np.ndarray
    seed_text: np.ndarray

    def __len__(self) -> int:
        return len(self.t)


@dataclass
class _Block:
    """Posts of one component before merging (times relative to the scenario start)."""

    t: np.ndarray
    author: np.ndarray
    kind: np.ndarray
    stance: np.ndarray
    lang: np.ndarray
    ntags: np.ndarray
    url: np.ndarray
    rt_cand: np.ndarray
    reply_cand: np.ndarray
    fixed_ref: np.ndarray
    group: np.ndarray


# --------------------------------------------------------------------------- helpers


def _rhythm(start: pd.Timestamp, minutes: int, lang: str) -> np.ndarray:
    """Relative activity per minute from ``start`` in the language's time zone."""
    idx = pd.date_range(start, periods=minutes, freq="min").tz_convert(_TZ[lang])
    hours = idx.hour.to_numpy() + idx.minute.to_numpy() / 60.0
    level = np.interp(hours, np.arange(24) + 0.5, _HOURLY, period=24)
    weekend = idx.day_of_week.to_numpy() >= 5
    return level * np.where(weekend, 0.85, 1.0)


def _sample_times(lam: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` sorted times (seconds from start) from an intensity per minute."""
    if n == 0:
        return np.zeros(0, np.int64)
    cdf = np.cumsum(lam, dtype=float)
    cdf /= cdf[-1]
    minute = np.minimum(np.searchsorted(cdf, rng.random(n), side="right"), len(lam) - 1)
    return np.sort(minute.astype(np.int64) * 60 + rng.integers(0, 60, n))


def _choice(rng: np.random.Generator, p: list[float], n: int) -> np.ndarray:
    return rng.choice(len(p), n, p=np.asarray(p) / np.sum(p)).astype(np.int8)


def _top_k(rng: np.random.Generator, weights: np.ndarray, k: int) -> np.ndarray:
    """Weighted sample without replacement (Gumbel top-k), in random-key order."""
    k = min(k, int(np.count_nonzero(weights > 0)))
    keys = np.log(np.maximum(weights, 1e-300)) - np.log(-np.log(rng.random(len(weights))))
    keys[weights <= 0] = -np.inf
    top = np.argpartition(-keys, k - 1)[:k] if k else np.zeros(0, np.int64)
    return top[np.argsort(-keys[top], kind="stable")]


def _author_pool(
    rng: np.random.Generator,
    users: Population,
    n_ordinary: int,
    size: int,
    lang: int,
    home: np.ndarray,
    boost: float,
) -> np.ndarray:
    """Ordinary users likely to take part: same language, boosted home communities."""
    w = np.ones(n_ordinary)
    w[users.lang[:n_ordinary] != lang] *= 0.03
    w[np.isin(users.community[:n_ordinary], home)] *= boost
    return _top_k(rng, w, size)


def _join_authors(
    rng: np.random.Generator,
    t: np.ndarray,
    n_authors: int,
    n_seed: int,
    seed_end: int,
    prefer_before: int | None,
    skew: float,
) -> np.ndarray:
    """Local author numbers of time-ordered posts under a join process.

    The first ``seed_end`` posts belong to the ``n_seed`` seeds; afterwards a random
    subset of posts are the first posts of new authors (numbered in join order) and
    the other posts go to already-joined authors, early joiners being more active.
    """
    n = len(t)
    local = np.empty(n, np.int64)
    if n_seed:
        m = seed_end
        local[:m] = np.r_[np.arange(min(n_seed, m)), rng.integers(0, n_seed, max(0, m - n_seed))]
    else:
        m = 0
    rest = n - m
    if rest == 0:
        return local
    n_join = int(np.clip(n_authors - n_seed, 1 if n_seed == 0 else 0, rest))
    w = np.ones(rest)
    if prefer_before is not None:
        w[t[m:] < prefer_before] = 2.0
    if n_seed == 0:
        w[0] = 0.0
    join = np.zeros(rest, bool)
    chosen = _top_k(rng, w, n_join - (n_seed == 0))
    join[chosen] = True
    if n_seed == 0:
        join[0] = True
    joined = n_seed + np.cumsum(join)
    pick = np.floor(joined * rng.random(rest) ** skew).astype(np.int64)
    local[m:] = np.where(join, joined - 1, np.minimum(pick, joined - 1))
    return local


def _features(
    rng: np.random.Generator, kind: np.ndarray, tag_p: dict[int, list[float]], url_p: float
) -> tuple[np.ndarray, np.ndarray]:
    n = len(kind)
    ntags = np.zeros(n, np.int8)
    for k, p in tag_p.items():
        mask = kind == k
        ntags[mask] = _choice(rng, p, int(mask.sum()))
    url = (rng.random(n) < url_p) & (kind != RETWEET)
    return ntags, url


def _block(t, author, kind, stance, lang, ntags, url, group, rt_cand=None, reply_cand=None):
    """A block with default candidate masks (retweet anything but replies, etc.)."""
    n = len(t)
    if rt_cand is None:
        rt_cand = kind != REPLY
    if reply_cand is None:
        reply_cand = kind != RETWEET
    return _Block(
        t=np.asarray(t, np.int64),
        author=np.asarray(author, np.int64),
        kind=np.asarray(kind, np.int8),
        stance=np.asarray(stance, np.int8),
        lang=np.broadcast_to(np.asarray(lang, np.int8), (n,)).copy(),
        ntags=np.asarray(ntags, np.int8),
        url=np.asarray(url, bool),
        rt_cand=np.asarray(rt_cand, bool),
        reply_cand=np.asarray(reply_cand, bool),
        fixed_ref=np.full(n, -1, np.int64),
        group=np.broadcast_to(np.asarray(group, np.int64), (n,)).copy(),
    )


# --------------------------------------------------------------------------- drawing


def _draw_components(rng: np.random.Generator, n_posts: int, span: int) -> list[Component]:
    """Choose pool entries, sizes, variants, targets and times of every component."""
    # Mostly French: at most one English movement, and it gets the smallest share.
    k_g = int(rng.integers(2, 4))
    n_en = int(rng.random() < 0.35)
    movements = []
    for lang, k in (("fr", k_g - n_en), ("en", n_en)):
        pool = [m for m in MOVEMENTS if m["lang"] == lang]
        weights = np.array([m["weight"] for m in pool])
        movements += [pool[i] for i in _top_k(rng, weights, k)]
    shares = {
        "background": rng.uniform(0.42, 0.50),
        "persistent_topic": rng.uniform(0.05, 0.08),
        "neutral_spike": rng.uniform(0.06, 0.10),
        "institutional_promotion": rng.uniform(0.025, 0.04),
        "coordinated_campaign": rng.uniform(0.02, 0.03),
    }
    g_total = 1.0 - sum(shares.values())
    g_shares = np.sort(rng.dirichlet(np.full(k_g, 4.0)))[::-1] * g_total
    if n_en:  # the English movement is smaller; French ones take the rest
        g_shares[:-1] += 0.4 * g_shares[-1] / (k_g - 1)
        g_shares[-1] *= 0.6
    comps: list[Component] = []

    for entry, share in zip(movements, g_shares, strict=True):
        tags = entry["tags"]
        k = int(rng.integers(3, min(7, len(tags)) + 1))
        chosen = [tags[0], *(tags[i] for i in 1 + rng.permutation(len(tags) - 1)[: k - 1])]
        tag_weights = 1.0 / (rng.permutation(k) + 1.0) ** 0.8
        ti = int(rng.integers(0, len(entry["targets"])))
        target, aliases = entry["targets"][ti]
        others = [a for j, (_, al) in enumerate(entry["targets"]) if j != ti for a in al]
        label_form = entry["labels"][int(rng.integers(0, len(entry["labels"])))]
        growth = min(rng.uniform(1.0, 4.0) * DAY, 0.3 * span)
        s0 = rng.uniform(0.12, 0.55) * span
        comps.append(
            Component(
                id=f"grassroots_opposition:{entry['slug']}",
                kind="grassroots_opposition",
                label=label_form.format(target=target, tag=chosen[0]),
                lang=entry["lang"],
                target=target,
                hashtags=tuple(chosen),
                n=int(share * n_posts),
                params={
                    "s0": int(s0),
                    "growth": int(growth),
                    "tau": int(min(rng.uniform(0.35, 1.2) * DAY, 0.15 * span)),
                    "n_seed": int(rng.integers(3, 11)),
                    "seed_hours": float(rng.uniform(4.0, 10.0)),
                },
                entry=entry,
                tag_weights=tuple(tag_weights),
                slots={
                    "target": tuple(aliases) * 3 + tuple(others),
                    "group": entry["group"],
                    "group_sg": entry["group_sg"],
                    "issue": entry["issue"],
                    "measure": entry["measure"],
                    "slogan": entry["slogan"],
                    "offtopic": entry["offtopic"],
                    "name": (entry["name"],),
                },
            )
        )

    camp = CAMPAIGNS[int(rng.integers(0, len(CAMPAIGNS)))]
    n_camp = int(shares["coordinated_campaign"] * n_posts)
    c0 = rng.uniform(0.25, 0.8) * span
    dur = min(rng.uniform(0.5, 2.5) * DAY, span - c0 - 2 * HOUR)
    n_waves = int(rng.integers(4, 9))
    waves = np.sort(np.r_[0.0, rng.uniform(0.05, 1.0, n_waves - 1) * dur]) + c0
    comps.append(
        Component(
            id=f"coordinated_campaign:{camp['slug']}",
            kind="coordinated_campaign",
            label=camp["label"],
            lang=camp["lang"],
            target=camp["target"],
            hashtags=tuple(camp["tags"]),
            n=n_camp,
            params={
                "waves": waves.astype(np.int64),
                "wave_len": rng.integers(5, 21, n_waves) * 60,
                "n_accounts": int(np.clip(n_camp / rng.uniform(3.0, 5.0), 8, 3000)),
                "style": int(rng.integers(0, 3)),
            },
            entry=camp,
            tag_weights=(1.0, 1.0),
            slots=dict(camp["vocab"]),
        )
    )

    event = EVENTS[int(rng.integers(0, len(EVENTS)))]
    k = int(rng.integers(3, len(event["tags"]) + 1))
    day = int(rng.integers(int(0.1 * span / DAY), max(int(0.9 * span / DAY), 1)))
    kickoff = day * DAY + int(rng.choice([17, 18, 19])) * HOUR + int(rng.choice([0, 45])) * 60
    comps.append(
        Component(
            id=f"neutral_spike:{event['slug']}",
            kind="neutral_spike",
            label=event["label"],
            lang=event["lang"],
            target=None,
            hashtags=tuple(event["tags"][:k]),
            n=int(shares["neutral_spike"] * n_posts),
            params={"kickoff": kickoff, "goals": rng.uniform(5, 100, int(rng.integers(1, 5)))},
            entry=event,
            tag_weights=tuple(1.0 / (np.arange(k) + 1.0) ** 1.2),
            slots=dict(event["vocab"]),
        )
    )

    policy = POLICIES[int(rng.integers(0, len(POLICIES)))]
    launch_day = int(rng.uniform(0.15, 0.75) * span / DAY)
    comps.append(
        Component(
            id=f"institutional_promotion:{policy['slug']}",
            kind="institutional_promotion",
            label=policy["label"],
            lang="fr",
            target=None,
            hashtags=tuple(policy["tags"]),
            n=int(shares["institutional_promotion"] * n_posts),
            params={
                "launch": launch_day * DAY + int(rng.integers(7, 10)) * HOUR,
                "tau": int(rng.uniform(0.5, 1.5) * DAY),
                "accounts": policy["accounts"],
            },
            entry=policy,
            tag_weights=(1.0, 0.4),
            slots={"policy": policy["policy"], "benefit": policy["benefit"]},
        )
    )

    topic = TOPICS[int(rng.integers(0, len(TOPICS)))]
    comps.append(
        Component(
            id=f"persistent_topic:{topic['slug']}",
            kind="persistent_topic",
            label=topic["label"],
            lang="fr",
            target=None,
            hashtags=tuple(topic["tags"]),
            n=int(shares["persistent_topic"] * n_posts),
            entry=topic,
            tag_weights=tuple(1.0 / (np.arange(len(topic["tags"])) + 1.0)),
            slots={"subject": topic["subject"]},
        )
    )
    comps.append(
        Component(
            id="background",
            kind="background",
            label="Everyday chatter",
            lang="fr",
            target=None,
            hashtags=background_tags(),
            n=n_posts - sum(c.n for c in comps),
        )
    )
    assert [c.kind for c in comps][-5:] == list(COMPONENT_KINDS[1:])
    return comps


# --------------------------------------------------------------------------- blocks


def _plan_grassroots(rng, c, ci, users, n_ord, rhythm, minutes, span) -> _Block:
    """Seeds post alone for hours, then logistic growth, a peak and a decay; joiners."""
    p = c.params
    lang = 1 if c.lang == "en" else 0
    s0, growth, tau = p["s0"], p["growth"], p["tau"]
    peak = s0 + growth
    end = min(peak + tau * np.log(100.0), span - 60)
    x = np.arange(minutes) * 60.0
    mid, width = s0 + 0.7 * growth, growth / 9.0
    rise = 1.0 / (1.0 + np.exp(np.clip((mid - np.minimum(x, peak)) / width, -60.0, 60.0)))
    shape = np.where(x <= peak, rise, rise * np.exp(-(x - peak) / tau))
    shape[(x < s0) | (x > end)] = 0.0
    seed_end_t = s0 + p["seed_hours"] * HOUR
    n_seed = min(p["n_seed"], max(3, c.n // 40))  # small movements start smaller
    n_seed_posts = min(int(n_seed * rng.uniform(1.5, 3.0)), c.n // 20)
    lam_seed = rhythm * ((x >= s0) & (x < seed_end_t))
    t = np.sort(
        np.r_[
            _sample_times(lam_seed, n_seed_posts, rng),
            _sample_times(rhythm * shape, c.n - n_seed_posts, rng),
        ]
    )
    seed_end = int(np.searchsorted(t, seed_end_t))
    n_seed = min(n_seed, seed_end)
    speakers = int(np.count_nonzero(users.lang[:n_ord] == lang))
    n_authors = max(n_seed + 1, min(int(c.n * rng.uniform(0.35, 0.55)), int(0.6 * speakers)))
    home = rng.choice(users.community[:n_ord].max() + 1, int(rng.integers(1, 4)), replace=False)
    pool = _author_pool(rng, users, n_ord, n_authors + 20, lang, home, 15.0)
    small = users.followers[pool] < 5_000
    seeds = pool[small][:n_seed]
    pool = np.r_[seeds, rng.permutation(pool[~np.isin(pool, seeds)])][:n_authors]
    local = _join_authors(rng, t, len(pool), n_seed, seed_end, peak, 1.6)
    author = pool[local]
    c.seeds = pool[:n_seed]
    kind = _choice(rng, [0.45, 0.36, 0.15, 0.04], c.n)
    kind[:seed_end] = np.where(rng.random(seed_end) < 0.8, ORIGINAL, REPLY)
    stance = np.array([S_AGAINST, S_NEUTRAL, S_FAVOUR], np.int8)[
        _choice(rng, [0.82, 0.12, 0.06], c.n)
    ]
    stance[:seed_end] = S_AGAINST
    ntags, url = _features(
        rng,
        kind,
        {ORIGINAL: [0.1, 0.45, 0.35, 0.1], REPLY: [0.55, 0.45], QUOTE: [0.4, 0.6]},
        0.08,
    )
    # Media start covering the movement once it is visible.
    media = users.with_role(ROLE_MEDIA)
    media = media[users.lang[media] == lang]
    news = (t > s0 + 0.5 * growth) & (rng.random(c.n) < 0.015)
    author[news] = media[rng.integers(0, len(media), int(news.sum()))]
    kind[news], stance[news], url[news], ntags[news] = ORIGINAL, S_NEWS, True, 1
    return _block(t, author, kind, stance, lang, ntags, url, ci)


def _plan_coordinated(rng, c, ci, accounts) -> _Block:
    """Fresh accounts post one text in short waves and co-retweet the seed post."""
    p = c.params
    lang = 1 if c.lang == "en" else 0
    waves, wave_len = p["waves"], p["wave_len"]
    n = c.n
    n_rt = min(int(0.28 * n), len(accounts) - 1)  # an account retweets a post once
    n_orig = n - n_rt
    # Originals: each wave, accounts post once in a random order within minutes.
    wave_of = np.sort(rng.integers(0, len(waves), n_orig))
    wave_of[0] = 0
    t_orig = waves[wave_of] + (rng.random(n_orig) * wave_len[wave_of]).astype(np.int64)
    t_orig[0] = waves[0]  # the seed post opens the first wave
    rank_in_wave = np.arange(n_orig) - np.searchsorted(wave_of, wave_of)
    perm = rng.permutation(len(accounts))
    a_orig = accounts[perm[(rank_in_wave + wave_of * 7) % len(accounts)]]
    a_orig[0] = accounts[0]
    # Co-retweets of the seed post within the first two waves.
    rt_wave = (rng.random(n_rt) < 0.4).astype(np.int64) if len(waves) > 1 else np.zeros(n_rt, int)
    t_rt = np.maximum(
        waves[rt_wave] + (rng.random(n_rt) * wave_len[rt_wave] * 1.5).astype(np.int64),
        waves[0] + 20,
    )
    others = accounts[1:] if len(accounts) > 1 else accounts
    a_rt = others[rng.permutation(n_rt) % len(others)]
    t = np.r_[t_orig, t_rt]
    kind = np.r_[np.zeros(n_orig, np.int8), np.full(n_rt, RETWEET, np.int8)]
    blk = _block(
        t,
        np.r_[a_orig, a_rt],
        kind,
        np.full(n, S_AGAINST, np.int8),
        lang,
        np.zeros(n, np.int8),
        kind == ORIGINAL,
        ci,
        rt_cand=np.zeros(n, bool),
        reply_cand=np.zeros(n, bool),
    )
    blk.fixed_ref[n_orig:] = 0  # local index of the seed post
    return blk


def _plan_spike(rng, c, ci, users, n_ord, rhythm, minutes) -> _Block:
    """A live event: ramp-up, a match with goal bursts, a fast decay; many authors."""
    p = c.params
    lang = 1 if c.lang == "en" else 0
    k0 = p["kickoff"]
    x = (np.arange(minutes) * 60.0 - k0) / 60.0  # minutes from kickoff
    shape = np.zeros(minutes)
    pre = (x >= -240) & (x < 0)
    shape[pre] = 0.05 + 0.3 * (x[pre] + 240) / 240
    match = (x >= 0) & (x < 110)
    shape[match] = 1.0
    for g in p["goals"]:
        shape += 2.5 * np.exp(-0.5 * ((x - g) / 3.0) ** 2) * match
    after = x >= 110
    shape[after] = 0.8 * np.exp(-(x[after] - 110) / 70.0) + 0.01 * rhythm[after] * (
        x[after] < 24 * 60
    )
    t = _sample_times(shape, c.n, rng)
    speakers = int(np.count_nonzero(users.lang[:n_ord] == lang))
    size = max(1, min(int(c.n * 0.7), int(0.8 * speakers)))
    pool = _author_pool(rng, users, n_ord, size, lang, np.zeros(0, int), 1.0)
    local = _join_authors(rng, t, len(pool), 0, 0, None, 1.3)
    kind = _choice(rng, [0.6, 0.3, 0.08, 0.02], c.n)
    ntags, url = _features(
        rng, kind, {ORIGINAL: [0.15, 0.6, 0.25], REPLY: [0.6, 0.4], QUOTE: [0.5, 0.5]}, 0.03
    )
    return _block(t, pool[local], kind, np.full(c.n, S_NEUTRAL), lang, ntags, url, ci)


def _plan_institutional(rng, c, ci, users, n_ord, rhythm, minutes) -> _Block:
    """Official accounts launch a policy in office hours; citizens retweet and reply."""
    p = c.params
    launch, tau = p["launch"], p["tau"]
    x = np.arange(minutes) * 60.0
    shape = np.where(x >= launch, np.exp(-(x - launch) / tau), 0.0) * rhythm**1.5
    t = _sample_times(shape, c.n, rng)
    officials = np.array([users.index_of(u) for u in p["accounts"]], np.int64)
    official = rng.random(c.n) < 0.22
    official[: min(3, c.n)] = True
    n_cit = int((~official).sum())
    home = rng.choice(users.community[:n_ord].max() + 1, int(rng.integers(1, 3)), replace=False)
    pool = _author_pool(rng, users, n_ord, max(1, int(n_cit * 0.45)), 0, home, 20.0)
    local = _join_authors(rng, t[~official], len(pool), 0, 0, None, 1.4)
    author = np.empty(c.n, np.int64)
    author[~official] = pool[local]
    author[official] = officials[
        np.minimum(rng.zipf(1.6, int(official.sum())) - 1, len(officials) - 1)
    ]
    kind = _choice(rng, [0.08, 0.7, 0.18, 0.04], c.n)
    kind[official] = ORIGINAL
    stance = np.array([S_AGAINST, S_FAVOUR, S_NEUTRAL], np.int8)[
        _choice(rng, [0.45, 0.3, 0.25], c.n)
    ]
    stance[official | (kind == ORIGINAL)] = S_FAVOUR
    ntags, url = _features(
        rng, kind, {ORIGINAL: [0.05, 0.7, 0.25], REPLY: [0.7, 0.3], QUOTE: [0.5, 0.5]}, 0.05
    )
    url[official] = rng.random(int(official.sum())) < 0.5
    orig_official = official & (kind == ORIGINAL)
    return _block(
        t,
        author,
        kind,
        stance,
        0,
        ntags,
        url,
        ci,
        rt_cand=orig_official | (kind == RETWEET),
        reply_cand=orig_official,
    )


def _plan_persistent(rng, c, ci, users, n_ord, rhythm, minutes) -> _Block:
    """A stable daily rate, a stable pool of regulars, mixed stance, some media."""
    day_factor = rng.lognormal(0.0, 0.12, minutes // 1440 + 1)
    t = _sample_times(rhythm * np.repeat(day_factor, 1440)[:minutes], c.n, rng)
    home = rng.choice(users.community[:n_ord].max() + 1, int(rng.integers(2, 5)), replace=False)
    pool = _author_pool(rng, users, n_ord, max(1, int(c.n * 0.25)), 0, home, 12.0)
    author = pool[np.minimum(rng.zipf(1.5, c.n) - 1, len(pool) - 1)]
    kind = _choice(rng, [0.55, 0.25, 0.17, 0.03], c.n)
    stance = np.array([S_AGAINST, S_FAVOUR, S_NEUTRAL], np.int8)[_choice(rng, [0.4, 0.3, 0.3], c.n)]
    ntags, url = _features(
        rng, kind, {ORIGINAL: [0.2, 0.6, 0.2], REPLY: [0.6, 0.4], QUOTE: [0.5, 0.5]}, 0.06
    )
    media = users.with_role(ROLE_MEDIA)
    media = media[users.lang[media] == 0]
    news = rng.random(c.n) < 0.02
    author[news] = media[rng.integers(0, len(media), int(news.sum()))]
    kind[news], stance[news], url[news], ntags[news] = ORIGINAL, S_NEWS, True, 1
    return _block(t, author, kind, stance, 0, ntags, url, ci)


def _plan_background(rng, c, ci, n_comp, users, n_ord, rhythms) -> _Block:
    """Zipf-active ordinary users chatting, mostly inside their own community."""
    n = c.n
    rank = rng.permutation(n_ord)
    w = 1.0 / (rank + 10.0) ** 1.05
    author = rng.choice(n_ord, n, p=w / w.sum())
    lang = users.lang[author].astype(np.int8)
    t = np.empty(n, np.int64)
    for code, rhythm in enumerate(rhythms):
        mask = lang == code
        day_factor = rng.lognormal(0.0, 0.1, len(rhythm) // 1440 + 1)
        lam = rhythm * np.repeat(day_factor, 1440)[: len(rhythm)]
        t[mask] = rng.permutation(_sample_times(lam, int(mask.sum()), rng))
    kind = _choice(rng, [0.62, 0.2, 0.15, 0.03], n)
    stance = np.full(n, S_NONE, np.int8)
    ntags, url = _features(
        rng, kind, {ORIGINAL: [0.72, 0.22, 0.06], REPLY: [0.95, 0.05], QUOTE: [0.8, 0.2]}, 0.12
    )
    media = users.with_role(ROLE_MEDIA)
    news = rng.random(n) < 0.01
    mlang = users.lang[media]
    for code in (0, 1):
        pick = news & (lang == code)
        pool = media[mlang == code]
        author[pick] = pool[rng.integers(0, len(pool), int(pick.sum()))]
    kind[news], stance[news], url[news], ntags[news] = ORIGINAL, S_NEWS, True, 0
    community = np.where(author < n_ord, users.community[np.minimum(author, n_ord - 1)], 0)
    in_comm = rng.random(n) < 0.85
    group = np.where(in_comm, n_comp + community, ci)
    return _block(t, author, kind, stance, lang, ntags, url, group)


# --------------------------------------------------------------------------- linking


def _pick_earlier(
    order: np.ndarray, key: np.ndarray, cand: np.ndarray, u: np.ndarray, power: float
) -> np.ndarray:
    """For each post, one earlier candidate post of the same group, or -1.

    ``order`` sorts positions by (group key, position). The candidate is drawn among
    the group's earlier candidates with a bias towards the most recent ones.
    """
    n = len(order)
    cand_o = cand[order]
    before = np.cumsum(cand_o) - cand_o
    ks = key[order]
    first = np.r_[True, ks[1:] != ks[:-1]] if n else np.zeros(0, bool)
    grp_start = np.maximum.accumulate(np.where(first, np.arange(n), 0))
    base = before[grp_start]
    n_before = before - base
    cand_pos = order[cand_o]
    k = np.floor(n_before * u[order] ** power).astype(np.int64)
    idx = np.clip(base + np.minimum(k, n_before - 1), 0, max(len(cand_pos) - 1, 0))
    res = np.where(n_before > 0, cand_pos[idx] if len(cand_pos) else -1, -1)
    out = np.empty(n, np.int64)
    out[order] = res
    return out


def _resolve(ptr: np.ndarray) -> np.ndarray:
    """Follow pointers (each to an earlier position or itself) to their roots."""
    while True:
        nxt = ptr[ptr]
        if np.array_equal(nxt, ptr):
            return ptr
        ptr = nxt


def _link(rng: np.random.Generator, blk: _Block, comp: np.ndarray, mention_p: np.ndarray):
    """Draw reference targets and mentions among earlier posts of the same group."""
    n = len(blk.t)
    pos = np.arange(n)
    order = np.lexsort((pos, blk.group))
    kind = blk.kind.copy()
    rt_pick = _pick_earlier(order, blk.group, blk.rt_cand, rng.random(n), 0.3)
    rt_pick = np.where(blk.fixed_ref >= 0, blk.fixed_ref, rt_pick)
    reply_pick = _pick_earlier(order, blk.group, blk.reply_cand, rng.random(n), 0.35)
    quote_pick = _pick_earlier(
        order, blk.group, blk.rt_cand & (kind != RETWEET), rng.random(n), 0.4
    )
    any_pick = _pick_earlier(order, blk.group, np.ones(n, bool), rng.random(n), 0.5)

    is_rt = (kind == RETWEET) & (rt_pick >= 0)
    root = _resolve(np.where(is_rt, rt_pick, pos))
    ref = np.full(n, -1, np.int64)
    ref[is_rt] = root[is_rt]
    is_reply = (kind == REPLY) & (reply_pick >= 0)
    ref[is_reply] = reply_pick[is_reply]
    is_quote = (kind == QUOTE) & (quote_pick >= 0)
    ref[is_quote] = root[quote_pick[is_quote]]
    # No reference available, or a reference to oneself: the post is an original.
    self_ref = (ref >= 0) & (blk.author[np.maximum(ref, 0)] == blk.author)
    ref[self_ref] = -1
    kind[ref < 0] = ORIGINAL
    rt = kind == RETWEET
    conv = _resolve(np.where(kind == REPLY, ref, pos))

    stance, lang = blk.stance.copy(), blk.lang.copy()
    stance[rt], lang[rt] = stance[ref[rt]], lang[ref[rt]]
    mention = np.where(any_pick >= 0, blk.author[np.maximum(any_pick, 0)], -1)
    wants = (rng.random(n) < mention_p[comp]) & ((kind == ORIGINAL) | (kind == QUOTE))
    mention = np.where(wants & (mention != blk.author), mention, -1)
    return kind, ref, conv, stance, lang, mention


# --------------------------------------------------------------------------- entry point


def plan_scenario(seed: int, posts: int, start: pd.Timestamp, days: int) -> Plan:
    """Plan every component, account and post of a scenario.

    Parameters
    ----------
    seed : int
        Seed of the scenario's generator; the whole plan is a function of the
        arguments.
    posts : int
        Number of distinct posts.
    start : pandas.Timestamp
        Start of the scenario (UTC).
    days : int
        Length of the scenario in days.

    Returns
    -------
    Plan
        Components with their parameters, the accounts, and one row per post in
        time order.
    """
    rng = np.random.default_rng(seed)
    span = days * DAY
    minutes = days * 1440
    t0 = int(start.value // 10**9)
    comps = _draw_components(rng, posts, span)
    camp = next(c for c in comps if c.kind == "coordinated_campaign")
    c0 = t0 + int(camp.params["waves"][0])
    n_ord = int(np.clip(posts * 0.25, 1_500, 400_000))
    users = build_population(
        rng,
        n_ord,
        t0,
        CampaignAccounts(
            n=camp.params["n_accounts"],
            lang=1 if camp.lang == "en" else 0,
            created_from=c0 - 10 * DAY,
            created_to=c0 - 12 * HOUR,
            stems=camp.entry["handle"],
            bio=camp.entry["bio"],
            style=camp.params["style"],
        ),
    )
    camp.accounts = np.arange(len(users) - camp.params["n_accounts"], len(users))
    rhythms = (_rhythm(start, minutes, "fr"), _rhythm(start, minutes, "en"))

    blocks = []
    n_comp = len(comps)
    for ci, c in enumerate(comps):
        rhythm = rhythms[1 if c.lang == "en" else 0]
        if c.kind == "grassroots_opposition":
            blk = _plan_grassroots(rng, c, ci, users, n_ord, rhythm, minutes, span)
        elif c.kind == "coordinated_campaign":
            blk = _plan_coordinated(rng, c, ci, camp.accounts)
        elif c.kind == "neutral_spike":
            blk = _plan_spike(rng, c, ci, users, n_ord, rhythm, minutes)
        elif c.kind == "institutional_promotion":
            blk = _plan_institutional(rng, c, ci, users, n_ord, rhythm, minutes)
        elif c.kind == "persistent_topic":
            blk = _plan_persistent(rng, c, ci, users, n_ord, rhythm, minutes)
        else:
            blk = _plan_background(rng, c, ci, n_comp, users, n_ord, rhythms)
        blocks.append(blk)

    # Merge blocks into one time-ordered set of arrays.
    sizes = np.array([len(b.t) for b in blocks])
    offsets = np.r_[0, np.cumsum(sizes)[:-1]]
    cat = {f: np.concatenate([getattr(b, f) for b in blocks]) for f in _Block.__dataclass_fields__}
    comp = np.repeat(np.arange(n_comp), sizes).astype(np.int16)
    fixed = np.concatenate(
        [
            np.where(b.fixed_ref >= 0, b.fixed_ref + o, -1)
            for b, o in zip(blocks, offsets, strict=True)
        ]
    )
    ms = rng.integers(0, 1000, posts)
    order = np.lexsort((rng.random(posts), ms, cat["t"]))
    # The seed post of the campaign must precede its co-retweets at equal times.
    inv = np.empty(posts, np.int64)
    inv[order] = np.arange(posts)
    merged = _Block(**{f: v[order] for f, v in cat.items()})
    merged.fixed_ref = np.where(fixed[order] >= 0, inv[np.maximum(fixed[order], 0)], -1)
    comp = comp[order]
    ms = ms[order]

    mention_p = np.array(
        [
            {
                "grassroots_opposition": 0.08,
                "coordinated_campaign": 0.0,
                "neutral_spike": 0.03,
                "institutional_promotion": 0.03,
                "persistent_topic": 0.06,
                "background": 0.07,
            }[c.kind]
            for c in comps
        ]
    )
    kind, ref, conv, stance, lang, mention = _link(rng, merged, comp, mention_p)

    t_abs = merged.t + t0
    raw = snowflake(t_abs * 1000 + ms, rng.integers(0, 1 << 22, posts))
    ranks = np.arange(posts)
    pid = np.maximum.accumulate(raw - ranks) + ranks  # strictly increasing with time

    models: dict[tuple[int, int], TextModel] = {}
    for ci, c in enumerate(comps):
        if c.kind == "background":
            models[(ci, 0)] = background_model("fr")
            models[(ci, 1)] = background_model("en")
        else:
            model = component_model(c.kind, c.lang, c.entry, c.hashtags, c.tag_weights, c.slots)
            models[(ci, 1 if c.lang == "en" else 0)] = model
    return Plan(
        seed=seed,
        start=t0,
        end=t0 + span,
        components=comps,
        users=users,
        models=models,
        t=t_abs,
        pid=pid,
        comp=comp,
        author=merged.author,
        kind=kind,
        ref=ref,
        conv=conv,
        stance=stance,
        lang=lang,
        ntags=merged.ntags,
        url=merged.url,
        mention=mention,
        seed_text=rng.integers(0, 1 << 63, posts, dtype=np.int64),
    )
