"""The accounts of a scenario: ordinary users, official and media accounts, fresh bots.

Everything is drawn as arrays from one seeded generator:

* ordinary users belong to communities (mostly one language each); followers are
  lognormal, creation dates spread over the years before the scenario (user ids
  follow the era's sequential id ranges, so older accounts have smaller ids);
* official accounts (government, ministries, parties, ministers) and media accounts
  come from :mod:`pipeline.simulate.pools`, verified and widely followed;
* the coordinated campaign's accounts are created within days of the campaign, have
  few followers and near-identical handles.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipeline.simulate.pools import INSTITUTIONS, MEDIA

__all__ = [
    "ROLES",
    "ROLE_CAMPAIGN",
    "ROLE_INSTITUTION",
    "ROLE_MEDIA",
    "ROLE_ORDINARY",
    "ROLE_PARTY",
    "ROLE_POLITICIAN",
    "CampaignAccounts",
    "Population",
    "build_population",
    "snowflake",
]

ROLES = ("ordinary", "institution", "party", "politician", "media", "campaign")
ROLE_ORDINARY, ROLE_INSTITUTION, ROLE_PARTY, ROLE_POLITICIAN, ROLE_MEDIA, ROLE_CAMPAIGN = range(6)

#: X's snowflake epoch (ms) for post ids.
TWEPOCH_MS = 1288834974657

_ID_ANCHORS = (
    ("2006-03-21", 12),
    ("2007-01-01", 500_000),
    ("2008-01-01", 12_000_000),
    ("2009-01-01", 19_000_000),
    ("2010-01-01", 100_000_000),
    ("2011-01-01", 230_000_000),
    ("2012-01-01", 450_000_000),
    ("2012-07-01", 630_000_000),
    ("2013-01-01", 1_100_000_000),
    ("2013-11-01", 2_200_000_000),
)
_SNOWFLAKE_USERS_FROM = pd.Timestamp("2013-11-01", tz="UTC").value // 10**9

_FIRST = {
    "fr": (
        "Julie", "Thomas", "Camille", "Nicolas", "Sophie", "Julien", "Marie", "Pierre",
        "Claire", "Antoine", "Laura", "Maxime", "Emma", "Lucas", "Sarah", "Romain", "Chloé",
        "Hugo", "Léa", "Alexandre", "Manon", "Guillaume", "Pauline", "Mathieu", "Élodie",
        "Sébastien", "Céline", "Vincent", "Aurélie", "François", "Isabelle", "Olivier",
        "Nathalie", "Benoît", "Anne", "Jérôme", "Caroline", "Fabien", "Hélène", "Yann",
    ),
    "en": (
        "James", "Emma", "Oliver", "Sophie", "Harry", "Chloe", "Jack", "Lucy", "George",
        "Amy", "Tom", "Hannah", "Sam", "Katie", "Dan", "Laura", "Ben", "Rachel", "Matt",
        "Jess", "Chris", "Becky", "Will", "Sarah", "Joe", "Ellie",
    ),
}  # fmt: skip
_LAST = {
    "fr": (
        "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand",
        "Leroy", "Moreau", "Simon", "Laurent", "Lefebvre", "Michel", "Garcia", "David",
        "Bertrand", "Roux", "Vincent", "Fournier", "Morel", "Girard", "André", "Mercier",
        "Dupont", "Lambert", "Bonnet", "François", "Martinez", "Legrand", "Garnier", "Faure",
        "Rousseau", "Blanc", "Guerin", "Muller", "Henry", "Roussel", "Nicolas", "Perrin",
    ),
    "en": (
        "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies",
        "Robinson", "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green",
        "Hall", "Wood", "Jackson", "Clarke", "Hughes", "Edwards", "Turner", "Hill",
    ),
}  # fmt: skip
_NICKS = (
    "kiwi", "pixel", "blueberry", "lepetitprince", "moonwalker", "captain", "zebra",
    "choco", "nomade", "lunatic", "breizh", "papillon", "geek", "tintin", "sunny",
    "pingouin", "ninja", "cookie", "loulou", "marmotte",
)  # fmt: skip
_BIO = {
    "fr": (
        ("Parisien", "Lyonnais", "Breton", "Marseillais", "Nantais", "Lillois", "Toulousain"),
        (
            "Entrepreneur",
            "Développeur web",
            "Étudiante",
            "Prof de maths",
            "Infirmière",
            "Graphiste",
            "Consultant",
            "Artisan",
            "Journaliste freelance",
            "Photographe amateur",
            "Fondateur de start-up",
            "Chef de projet",
            "Kiné",
            "Commerçant",
        ),
        (
            "fan de foot",
            "accro au café",
            "amoureux des livres",
            "cinéphile",
            "geek assumé",
            "papa de 3 enfants",
            "runner du dimanche",
            "passionnée de cuisine",
            "tweets perso",
        ),
    ),
    "en": (
        ("Londoner", "Mancunian", "Yorkshire lad", "Scot", "Brummie"),
        (
            "Teacher",
            "Web developer",
            "Student",
            "Nurse",
            "Designer",
            "Small business owner",
            "Baker",
            "Accountant",
        ),
        ("football fan", "coffee addict", "book lover", "runner", "dad of two", "views my own"),
    ),
}
_LOCATIONS = {
    "fr": ("Paris", "Lyon", "Marseille", "Bordeaux", "Nantes", "Lille", "Toulouse", "Rennes",
           "Paris, France", "France", "Bretagne", "Montpellier", "Strasbourg", "Nice"),
    "en": ("London", "Manchester", "UK", "Leeds", "Bristol", "Cornwall", "Glasgow", "England"),
}  # fmt: skip


@dataclass
class Population:
    """Columns of all accounts (index = user number used throughout the plan).

    Attributes
    ----------
    uid : ndarray of int64
        Platform user ids.
    username, name, description, location : list of str
        Profile strings.
    created : ndarray of int64
        Account creation time, epoch seconds UTC.
    verified : ndarray of bool
    followers, following, tweets, listed : ndarray of int64
        Public metrics.
    lang : ndarray of int8
        Language code of the account (0 fr, 1 en).
    community : ndarray of int32
        Community of ordinary users, -1 for the other accounts.
    role : ndarray of int8
        Index into :data:`ROLES`.
    """

    uid: np.ndarray
    username: list[str]
    name: list[str]
    description: list[str]
    location: list[str]
    created: np.ndarray
    verified: np.ndarray
    followers: np.ndarray
    following: np.ndarray
    tweets: np.ndarray
    listed: np.ndarray
    lang: np.ndarray
    community: np.ndarray
    role: np.ndarray

    def __len__(self) -> int:
        return len(self.uid)

    def index_of(self, username: str) -> int:
        """User number of ``username`` (official and media accounts)."""
        return self.username.index(username)

    def with_role(self, *roles: int) -> np.ndarray:
        """User numbers whose role is one of ``roles``."""
        return np.flatnonzero(np.isin(self.role, roles))


def snowflake(ms: np.ndarray, low: np.ndarray) -> np.ndarray:
    """Snowflake ids from epoch milliseconds and 22 low bits (worker and sequence).

    Parameters
    ----------
    ms : ndarray of int64
        Epoch milliseconds.
    low : ndarray of int64
        Values in ``[0, 2**22)``.

    Returns
    -------
    ndarray of int64
        ``(ms - TWEPOCH_MS) << 22 | low``.
    """
    return ((ms.astype(np.int64) - TWEPOCH_MS) << 22) | low.astype(np.int64)


def _user_ids(created: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Ids of the era for accounts created at ``created`` (seconds), unique."""
    xs = np.array([pd.Timestamp(d, tz="UTC").value // 10**9 for d, _ in _ID_ANCHORS], float)
    ys = np.array([v for _, v in _ID_ANCHORS], float)
    seq = np.interp(created.astype(float), xs, ys).astype(np.int64)
    seq += rng.integers(0, 5_000, len(created))
    flake = snowflake(created * 1000, rng.integers(0, 1 << 22, len(created)))
    ids = np.where(created >= _SNOWFLAKE_USERS_FROM, flake, seq)
    order = np.argsort(ids, kind="stable")
    ranks = np.arange(len(ids))
    fixed = np.maximum.accumulate(ids[order] - ranks) + ranks  # strictly increasing
    out = np.empty_like(ids)
    out[order] = fixed
    return out


def _ordinary_names(lang: np.ndarray, rng: np.random.Generator) -> tuple[list[str], list[str]]:
    n = len(lang)
    style = rng.choice(7, n, p=[0.22, 0.12, 0.2, 0.12, 0.12, 0.12, 0.1]).tolist()
    a, b, c = rng.integers(0, 1 << 30, (3, n)).tolist()
    digits = rng.integers(1, 100, n).tolist()
    years = rng.integers(60, 100, n).tolist()
    pools = {
        code: (
            _FIRST[code],
            _LAST[code],
            [_ascii(x) for x in _FIRST[code]],
            [_ascii(x) for x in _LAST[code]],
        )
        for code in ("fr", "en")
    }
    users, names = [], []
    for lg, s, ai, bi, ci, d, y in zip(lang.tolist(), style, a, b, c, digits, years, strict=True):
        firsts, lasts, af, al = pools["en" if lg else "fr"]
        fi, li = ai % len(firsts), bi % len(lasts)
        f, la = af[fi], al[li]
        if s == 0:
            user = f + la
        elif s == 1:
            user = f"{f}_{la}"
        elif s == 2:
            user = f"{f.lower()}{la.lower()}{d}"
        elif s == 3:
            user = f"{f[0].lower()}{la.lower()}"
        elif s == 4:
            user = f"{f}{y}"
        elif s == 5:
            user = f"{_NICKS[ci % len(_NICKS)]}{d}"
        else:
            user = f"{la}{f[0]}"
        users.append(user[:15])
        if s == 5 and d % 3 == 0:
            names.append(_NICKS[ci % len(_NICKS)].capitalize())
        else:
            names.append(f"{firsts[fi]} {lasts[li]}")
    return users, names


_ASCII = str.maketrans("éèêëàâäîïôöûüçÉÈÊÀÂÎÔÛÇ", "eeeeaaaiioouucEEEAAIOUC")


def _ascii(s: str) -> str:
    return s.translate(_ASCII).replace("-", "").replace(" ", "").replace("'", "")


def _descriptions(lang: np.ndarray, rng: np.random.Generator) -> list[str]:
    n = len(lang)
    a, b, c = rng.integers(0, 1 << 30, (3, n)).tolist()
    shape = rng.choice(4, n, p=[0.2, 0.3, 0.3, 0.2]).tolist()
    out = []
    for lg, s, ai, bi, ci in zip(lang.tolist(), shape, a, b, c, strict=True):
        where, job, hobby = _BIO["en" if lg else "fr"]
        if s == 0:
            out.append("")
        elif s == 1:
            out.append(job[bi % len(job)])
        elif s == 2:
            out.append(f"{job[bi % len(job)]}, {hobby[ci % len(hobby)]}")
        else:
            out.append(f"{where[ai % len(where)]}. {hobby[ci % len(hobby)]}")
    return out


def _unique_usernames(users: list[str], fixed: int) -> list[str]:
    """Make usernames unique (case-insensitively); the last ``fixed`` are kept as is."""
    lowers = [u.lower() for u in users]
    protected = set(lowers[len(users) - fixed :])
    taken = set(lowers)
    assigned: set[str] = set()
    next_k: dict[str, int] = {}
    out = list(users)
    for i in range(len(users) - fixed):
        key = lowers[i]
        if key in assigned or key in protected:
            k = next_k.get(key, 1)
            while True:
                suffix = str(k)
                cand = users[i][: 15 - len(suffix)] + suffix
                k += 1
                if cand.lower() not in taken:
                    break
            next_k[key] = k
            out[i] = cand
            key = cand.lower()
            taken.add(key)
        assigned.add(key)
    return out


@dataclass(frozen=True)
class CampaignAccounts:
    """What the planner decided about the coordinated campaign's accounts."""

    n: int
    lang: int
    created_from: int
    created_to: int
    stems: Sequence[str]
    bio: str
    style: int


def build_population(
    rng: np.random.Generator,
    n_ordinary: int,
    start: int,
    campaign: CampaignAccounts,
    en_share: float = 0.2,
) -> Population:
    """Draw all accounts of a scenario.

    Parameters
    ----------
    rng : numpy.random.Generator
        The scenario's generator.
    n_ordinary : int
        Number of ordinary users.
    start : int
        Scenario start, epoch seconds; every account is created before it.
    campaign : CampaignAccounts
        Size, language, creation window and handle style of the campaign accounts.
    en_share : float, default 0.2
        Share of ordinary users in English-speaking communities.

    Returns
    -------
    Population
        Ordinary users first, then official, media and campaign accounts.
    """
    # Ordinary users in communities of lognormal sizes, each mostly one language.
    n_comm = int(np.clip(n_ordinary // 100, 8, 600))
    sizes = rng.lognormal(0.0, 0.8, n_comm)
    community = rng.choice(n_comm, n_ordinary, p=sizes / sizes.sum()).astype(np.int32)
    # English communities, in random order, until they hold about ``en_share`` of users.
    share = np.bincount(community, minlength=n_comm) / n_ordinary
    perm = rng.permutation(n_comm)
    comm_lang = np.zeros(n_comm, np.int8)
    comm_lang[perm[np.cumsum(share[perm]) - share[perm] < en_share]] = 1
    lang = comm_lang[community] ^ (rng.random(n_ordinary) < 0.04)
    lang = lang.astype(np.int8)
    first_account = pd.Timestamp("2006-07-15", tz="UTC").value // 10**9
    age = np.clip(rng.lognormal(np.log(800), 0.65, n_ordinary) * 86400, 20 * 86400, None)
    created = np.maximum(start - age.astype(np.int64), first_account)
    followers = np.minimum(rng.lognormal(4.9, 1.5, n_ordinary), 3e6).astype(np.int64)
    verified = (followers > 80_000) & (rng.random(n_ordinary) < 0.5)
    following = rng.lognormal(5.3, 0.9, n_ordinary).astype(np.int64)
    days_old = (start - created) / 86400
    tweets = np.maximum(1, days_old * rng.lognormal(np.log(2.5), 1.2, n_ordinary)).astype(np.int64)
    listed = (followers * rng.random(n_ordinary) * 0.03).astype(np.int64)
    users, names = _ordinary_names(lang, rng)
    descriptions = _descriptions(lang, rng)
    li = rng.integers(0, 1 << 30, n_ordinary).tolist()
    has_loc = (rng.random(n_ordinary) < 0.7).tolist()
    pools = (_LOCATIONS["fr"], _LOCATIONS["en"])
    locations = [
        pools[lg][k % len(pools[lg])] if h else ""
        for lg, k, h in zip(lang.tolist(), li, has_loc, strict=True)
    ]

    # Official and media accounts.
    role_of = {"institution": ROLE_INSTITUTION, "party": ROLE_PARTY, "politician": ROLE_POLITICIAN}
    special = [(u, nm, role_of[r], d, lg) for u, nm, r, d, lg in INSTITUTIONS]
    special += [(u, nm, ROLE_MEDIA, f"L'actualité en continu par {nm}", lg) for u, nm, lg in MEDIA]
    n_sp = len(special)
    sp_created = start - rng.integers(900, 2200, n_sp) * 86400
    sp_followers = rng.lognormal(np.log(150_000), 1.0, n_sp).astype(np.int64) + 5_000

    # Fresh campaign accounts with similar handles.
    nc = campaign.n
    c_created = rng.integers(campaign.created_from, campaign.created_to, nc)
    c_lang = "en" if campaign.lang else "fr"
    fi = rng.integers(0, len(_FIRST[c_lang]), nc)
    la = rng.integers(0, len(_LAST[c_lang]), nc)
    num = rng.choice(np.arange(10, 10_000), nc, replace=False)
    stem = [campaign.stems[k] for k in rng.integers(0, len(campaign.stems), nc)]
    c_users, c_names = [], []
    for i in range(nc):
        first, last = _FIRST[c_lang][fi[i]], _LAST[c_lang][la[i]]
        if campaign.style == 0:
            c_users.append(f"{stem[i]}{num[i]}"[:15])
            c_names.append(f"{first} {last[0]}.")
        elif campaign.style == 1:
            c_users.append(f"{_ascii(first)}{_ascii(last)}{num[i]}"[:15])
            c_names.append(f"{first} {last}")
        else:
            c_users.append(f"{stem[i][:9]}_{_ascii(first).lower()}"[:15])
            c_names.append(f"{first} {last}")
    c_bio = [campaign.bio if b else "" for b in rng.random(nc) < 0.6]

    # Official handles are kept as they are; colliding ordinary or campaign ones change.
    unique = _unique_usernames([*users, *c_users, *[s[0] for s in special]], fixed=n_sp)
    created_all = np.concatenate([created, sp_created, c_created]).astype(np.int64)
    return Population(
        uid=_user_ids(created_all, rng),
        username=unique[:n_ordinary]
        + [s[0] for s in special]
        + unique[n_ordinary : n_ordinary + nc],
        name=names + [s[1] for s in special] + c_names,
        description=descriptions + [s[3] for s in special] + c_bio,
        location=locations + ["France" if s[4] == "fr" else "UK" for s in special] + [""] * nc,
        created=created_all,
        verified=np.concatenate([verified, np.ones(n_sp, bool), np.zeros(nc, bool)]),
        followers=np.concatenate([followers, sp_followers, rng.integers(0, 30, nc)]),
        following=np.concatenate(
            [following, rng.integers(50, 900, n_sp), rng.integers(20, 400, nc)]
        ),
        tweets=np.concatenate([tweets, rng.integers(2_000, 40_000, n_sp), rng.integers(3, 60, nc)]),
        listed=np.concatenate(
            [listed, sp_followers // rng.integers(40, 120, n_sp), np.zeros(nc, np.int64)]
        ),
        lang=np.concatenate(
            [lang, np.array([s[4] == "en" for s in special], np.int8), np.full(nc, campaign.lang)]
        ).astype(np.int8),
        community=np.concatenate([community, np.full(n_sp + nc, -1, np.int32)]),
        role=np.concatenate(
            [
                np.zeros(n_ordinary, np.int8),
                np.array([s[2] for s in special], np.int8),
                np.full(nc, ROLE_CAMPAIGN, np.int8),
            ]
        ),
    )
