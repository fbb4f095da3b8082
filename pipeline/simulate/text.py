"""French and English text templates, vocabularies and the renderer that fills them.

Texts are rendered lazily, page by page, from small integers drawn by the planner:
a post's component, stance, language, feature flags (hashtags, mention, link) and a
64-bit seed. The seed drives a tiny LCG stream (:class:`Stream`) that picks a
template and fills its slots, so a post's text is a pure function of the plan and is
identical every time it is rendered (as a post, as the original of a retweet, as a
quoted tweet). No global random state is touched.

A template is a ``str.format`` pattern whose slots are vocabulary names. Special
slots: ``{tag}`` (a hashtag variant of the component, weighted, distinct within a
post), ``{mention}`` (``@username`` of the post's mentioned account), ``{url}`` (the
post's shortened link). A capitalised slot name (``{Target}``) capitalises the
value's first letter. Templates are grouped by stance and by which of the three
features they contain; when no template has exactly the features a post needs,
one without is used and the missing pieces are appended, as people do.
"""

from __future__ import annotations

import string
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from pipeline.simulate.codes import S_AGAINST, S_FAVOUR, S_NEUTRAL, S_NEWS, S_NONE

__all__ = [
    "MAX_CHARS",
    "Stream",
    "TemplateSet",
    "TextModel",
    "Theme",
    "background_model",
    "background_tags",
    "component_model",
    "display_url",
    "render",
    "short_url",
    "weighted_table",
]

#: Length limit of a post in the simulated era.
MAX_CHARS = 140

_MUL = 6364136223846793005
_INC = 1442695040888963407
_MASK = (1 << 64) - 1
_B62 = string.digits + string.ascii_letters


class Stream:
    """A deterministic stream of choices seeded by one 64-bit integer.

    Parameters
    ----------
    seed : int
        Any non-negative integer; only the low 64 bits are used.
    """

    __slots__ = ("s",)

    def __init__(self, seed: int) -> None:
        self.s = seed & _MASK

    def pick(self, seq: Sequence):
        """Return one element of ``seq`` (uniform over its positions)."""
        self.s = (self.s * _MUL + _INC) & _MASK
        return seq[(self.s >> 29) % len(seq)]

    def below(self, n: int) -> int:
        """Return an integer in ``[0, n)``."""
        self.s = (self.s * _MUL + _INC) & _MASK
        return (self.s >> 29) % n


def weighted_table(items: Sequence, weights: Sequence[float], size: int = 96) -> tuple:
    """Expand items into a lookup table where each appears in proportion to its weight.

    Parameters
    ----------
    items : sequence
        The values.
    weights : sequence of float
        Non-negative weights, same length as ``items``.
    size : int, default 96
        Table length; every item with a positive weight appears at least once.

    Returns
    -------
    tuple
        Table to pick from uniformly.
    """
    total = float(sum(weights))
    counts = [max(1, round(size * w / total)) if w > 0 else 0 for w in weights]
    return tuple(item for item, c in zip(items, counts, strict=True) for _ in range(c))


@lru_cache(maxsize=8192)
def short_url(expanded: str) -> str:
    """The t.co link that stands for ``expanded`` in post texts (deterministic).

    Parameters
    ----------
    expanded : str
        The full URL.

    Returns
    -------
    str
        ``http://t.co/`` followed by ten base-62 characters derived from a hash.
    """
    raw = expanded.encode()
    value = zlib.crc32(raw) << 32 | zlib.adler32(raw)
    chars = []
    for _ in range(10):
        value, k = divmod(value, 62)
        chars.append(_B62[k])
    return "http://t.co/" + "".join(chars)


def display_url(expanded: str) -> str:
    """The ``display_url`` X shows for ``expanded`` (no scheme, cut at 26 characters)."""
    shown = expanded.split("://", 1)[-1]
    return shown if len(shown) <= 26 else shown[:25] + "…"


@dataclass(frozen=True, slots=True)
class _Template:
    pieces: tuple[tuple[str, str, bool], ...]
    tags: int
    mention: bool
    url: bool


def _compile(pattern: str) -> _Template:
    pieces = []
    tags = 0
    mention = url = False
    for literal, slot, _spec, _conv in string.Formatter().parse(pattern):
        name = slot or ""
        cap = bool(name) and name[0].isupper()
        name = name.lower()
        tags += name == "tag"
        mention |= name == "mention"
        url |= name == "url"
        pieces.append((literal, name, cap))
    return _Template(tuple(pieces), tags, mention, url)


_FEATURES = [(t, m, u) for t in (True, False) for m in (True, False) for u in (True, False)]
_FEATURES_BY_INDEX = [(bool(k & 4), bool(k & 2), bool(k & 1)) for k in range(8)]
_N_STANCES = 5


class TemplateSet:
    """Templates grouped by stance and by the features (tag, mention, url) they contain.

    Parameters
    ----------
    by_stance : mapping of int to sequence of str
        Template patterns for each stance code.
    """

    def __init__(self, by_stance: Mapping[int, Sequence[str]]) -> None:
        self._lookup: dict[tuple[int, bool, bool, bool], tuple] = {}
        for stance, patterns in by_stance.items():
            compiled = [_compile(p) for p in patterns]
            groups: dict[tuple[bool, bool, bool], list[_Template]] = {}
            for tpl in compiled:
                groups.setdefault((tpl.tags > 0, tpl.mention, tpl.url), []).append(tpl)
            for want in _FEATURES:
                # Prefer templates with no feature the post lacks, then the fewest
                # missing features (appended after the text).
                def cost(have, want=want):
                    extra = sum(h and not w for w, h in zip(want, have, strict=True))
                    missing = sum(w and not h for w, h in zip(want, have, strict=True))
                    return (extra, missing, have)

                have = min(groups, key=cost)
                missing = tuple(w and not h for w, h in zip(want, have, strict=True))
                self._lookup[(stance, *want)] = (tuple(groups[have]), *missing)
        self.stances = tuple(by_stance)
        # Flat table indexed by stance * 8 + tag * 4 + mention * 2 + url; stances
        # without templates use the first stance's.
        self.table = [
            self._lookup.get((st, *f), self._lookup[(self.stances[0], *f)])
            for st in range(_N_STANCES)
            for f in _FEATURES_BY_INDEX
        ]

    def get(self, stance: int, tag: bool, mention: bool, url: bool) -> tuple:
        """Templates and the features to append for a post of ``stance``."""
        return self.table[stance * 8 + tag * 4 + mention * 2 + url]


@dataclass(frozen=True)
class Theme:
    """Templates and hashtags of one topic; a component has one, background many."""

    originals: TemplateSet
    tags: tuple[str, ...]
    urls: tuple[str, ...] = ()
    #: Stances whose posts link to ``urls`` (others share ordinary links); None: all.
    url_stances: frozenset[int] | None = None


@dataclass(frozen=True)
class TextModel:
    """Everything needed to write the posts of one component in one language."""

    lang: str
    themes: tuple[Theme, ...]
    theme_table: tuple[int, ...]
    replies: TemplateSet
    quotes: TemplateSet
    vocab: Mapping[str, tuple[str, ...]]


# --------------------------------------------------------------------------- vocabularies

_COMMON: dict[str, dict[str, tuple[str, ...]]] = {
    "fr": {
        "oppose": ("Non à", "Stop à", "Halte à", "Tous contre", "Mobilisation contre"),
        "feel": (
            "Ras-le-bol",
            "Colère",
            "Quelle honte",
            "Indignation",
            "Inadmissible",
            "Scandaleux",
            "Révoltant",
        ),
        "call": (
            "Rejoignez-nous !",
            "Partagez !",
            "Faites tourner !",
            "RT si vous êtes d'accord !",
            "Mobilisez-vous !",
            "On ne lâche rien !",
            "Signez la pétition !",
        ),
        "n": ("10 000", "20 000", "35 000", "50 000", "60 000", "100 000"),
        "weekday": ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "week-end"),
        "city": ("Paris", "Lyon", "Marseille", "Lille", "Nantes", "Bordeaux", "Toulouse", "Rennes"),
        "film": ("Skyfall", "Looper", "Le Prénom", "Taken 2", "Amour", "Dans la maison"),
        "artist": ("Stromae", "Muse", "Mylène Farmer", "Orelsan", "Adele", "Daft Punk", "Zaz"),
        "team": ("l'OL", "Lille", "Bordeaux", "Saint-Étienne", "Montpellier", "Rennes"),
        "place": (
            "la Seine",
            "Montmartre",
            "le Vieux-Port",
            "Fourvière",
            "la Croix-Rousse",
            "le canal Saint-Martin",
        ),
        "food": ("une raclette", "un gratin", "un couscous", "des crêpes", "un pot-au-feu"),
        "game": ("FIFA 13", "Borderlands 2", "Minecraft", "Guild Wars 2", "Diablo 3"),
        "series": ("Homeland", "Game of Thrones", "Plus belle la vie", "Dexter", "Breaking Bad"),
        "book": ("le dernier Musso", "Cinquante nuances de Grey", "L'Étranger", "un polar"),
        "topic": ("la météo", "la bourse", "le cinéma", "la Ligue 1", "les faits divers"),
        "_suffix": (
            *("",) * 8,
            " !!!",
            " Marre.",
            " Incroyable.",
            " Quelle honte.",
            " Pff...",
            " Partagez.",
            " :(",
            " Sérieusement.",
            " Il faut réagir.",
            " On est nombreux.",
        ),
    },
    "en": {
        "oppose": ("No to", "Stop", "Scrap", "Say no to", "Fight"),
        "feel": ("Outrageous", "Disgraceful", "Shameful", "Unbelievable", "Fuming", "Sick of it"),
        "call": (
            "Join us!",
            "Please RT!",
            "Spread the word!",
            "Sign the petition!",
            "Don't give up!",
        ),
        "n": ("10,000", "20,000", "50,000", "100,000", "250,000"),
        "weekday": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "weekend"),
        "city": ("London", "Manchester", "Leeds", "Bristol", "Glasgow", "Cardiff"),
        "film": ("Skyfall", "Looper", "Taken 2", "Argo", "Frankenweenie"),
        "artist": ("Adele", "Muse", "Mumford & Sons", "Rihanna", "Coldplay", "Ed Sheeran"),
        "team": ("Arsenal", "Chelsea", "Liverpool", "United", "City", "Spurs"),
        "place": ("the Thames", "Hyde Park", "the South Bank", "Camden", "the Shard"),
        "food": ("a curry", "fish and chips", "a roast", "pancakes", "a fry-up"),
        "game": ("FIFA 13", "Borderlands 2", "Minecraft", "Halo 4", "Diablo 3"),
        "series": ("Homeland", "Downton Abbey", "Doctor Who", "Dexter", "Breaking Bad"),
        "book": ("the new Rowling", "Fifty Shades", "a crime novel", "Wolf Hall"),
        "topic": ("the weather", "the markets", "the Premier League", "the cinema"),
        "_suffix": (
            *("",) * 8,
            " !!!",
            " Enough.",
            " Unreal.",
            " Shameful.",
            " Please share.",
            " :(",
            " Seriously.",
            " We are many.",
        ),
    },
}

_URL_PATTERNS: dict[str, tuple[str, ...]] = {
    "fr": (
        "http://www.lemonde.fr/societe/article/{n}.html",
        "http://www.20minutes.fr/article/{n}",
        "http://youtu.be/{code}",
        "http://instagr.am/p/{code}/",
        "http://www.leparisien.fr/actualite/{n}.php",
        "http://bit.ly/{code}",
        "http://www.dailymotion.com/video/{code}",
    ),
    "en": (
        "http://www.bbc.co.uk/news/uk-{n}",
        "http://youtu.be/{code}",
        "http://instagr.am/p/{code}/",
        "http://bit.ly/{code}",
        "http://www.guardian.co.uk/world/{n}",
    ),
}

# --------------------------------------------------------------------------- templates

_GRASSROOTS: dict[str, dict[int, tuple[str, ...]]] = {
    "fr": {
        S_AGAINST: (
            "{Oppose} {issue} ! {tag}",
            "{Oppose} {issue}. {call} {tag}",
            "Nous, {group}, refusons {issue}. {call} {tag}",
            "{Target} veut la peau des {group}. {feel} ! {tag}",
            "{slogan} {tag}",
            "{slogan} {call} {tag}",
            "{Feel} : {issue}, c'est non. {tag}",
            "Les {group} en ont marre. {oppose} {issue} ! {tag}",
            "Si {target} maintient {measure}, on s'en va. {tag}",
            "{Target} n'a rien compris aux {group}. {tag}",
            "Je suis {group_sg} et je refuse {issue}. {tag}",
            "Merci {target} pour {issue}... Bravo, vraiment. {tag}",
            "{Issue} = la mort des {group}. {tag}",
            "On ne lâche rien face à {issue} ! {tag}",
            "Déjà {n} signataires contre {issue} ! {call} {tag}",
            "{Target}, écoutez les {group} ! {tag}",
            "{Issue} : {target} doit reculer. {tag}",
            "Comment vivre de notre travail avec {issue} ? {tag}",
            "Vous aussi vous êtes contre {issue} ? {call} {tag}",
            "{Feel}. {Target} ne nous écoute pas. {tag}",
            "Rassemblement des {group} dimanche ! {call} {tag}",
            "{Target} : honte ! {tag}",
            "Je rejoins le mouvement. {slogan} {tag}",
            "Mobilisation générale contre {issue} {tag}",
            "Non, {target}, les {group} ne se laisseront pas faire. {tag}",
            "Les {group} ne sont pas des vaches à lait ! {tag}",
            "{Issue}, c'est du racket. {tag}",
            "{Target} tape encore sur les {group}. {feel}. {tag}",
            "{slogan}",
            "{Oppose} {issue} ! {call}",
            "Je suis {group_sg}, {target} me dégoûte.",
            "Pétition contre {issue} : signez ! {url} {tag}",
            "Pourquoi je soutiens le mouvement {tag} : {url}",
            "Témoignage d'un {group_sg} face à {issue} {url} {tag}",
            "{mention} tu as vu {issue} ? {feel}. {tag}",
            "Merci {mention} de relayer ! {slogan} {tag}",
            "{mention} rejoins-nous contre {issue} ! {tag}",
        ),
        S_FAVOUR: (
            "Les {group} pleurent mais {measure}, c'est juste. {tag}",
            "Désolé mais je soutiens {target} sur ce coup. {tag}",
            "Un peu de solidarité ne tue personne. {tag}",
            "Le lobbying des {group} est indécent. {tag}",
            "{Target} a raison de tenir bon. {tag}",
            "Les {group} se plaignent toujours... {tag}",
            "{Measure} ? Normal, chacun doit payer sa part. {tag}",
            "Je soutiens {measure}, désolé. {tag}",
            "Les {group} se plaignent toujours...",
        ),
        S_NEUTRAL: (
            "Quelqu'un peut m'expliquer ce que veulent les {group} ? {tag}",
            "{offtopic} {tag}",
            "Intéressant de suivre le débat sur {measure} {tag}",
            "Le hashtag {tag} est partout, c'est quoi ?",
            "Débat ce soir sur {measure}, à suivre. {tag}",
            "Je ne sais pas quoi penser de {measure}... {tag}",
            "Les {group} et {target}, qui va céder ? {tag}",
            "{offtopic}",
        ),
        S_NEWS: (
            "{Group} : la fronde contre {measure} enflamme les réseaux sociaux {url} {tag}",
            "Qui sont les « {name} », ces {group} en colère ? {url}",
            "{Target} face à la colère des {group} {url} {tag}",
            "La mobilisation {tag} prend de l'ampleur {url}",
            "EN DIRECT - Le mouvement des {name} ne faiblit pas {url} {tag}",
        ),
    },
    "en": {
        S_AGAINST: (
            "{Oppose} {issue}! {tag}",
            "{Oppose} {issue}. {call} {tag}",
            "We {group} say no to {issue}. {call} {tag}",
            "{Target} is hammering {group} again. {feel}! {tag}",
            "{slogan} {tag}",
            "{slogan} {call} {tag}",
            "{Feel}: {issue}. {tag}",
            "{Group} have had enough. {oppose} {issue}! {tag}",
            "I'm a {group_sg} and I refuse {issue}. {tag}",
            "Thanks {target} for {issue}... Brilliant. {tag}",
            "{Issue} will kill {group}. {tag}",
            "{n} signatures against {issue}! {call} {tag}",
            "{Target}, listen to {group}! {tag}",
            "{Target} must U-turn on {issue}. {tag}",
            "{Target} just doesn't get it. {feel}. {tag}",
            "{slogan}",
            "Petition against {issue}: sign it! {url} {tag}",
            "Why I back the {tag} campaign: {url}",
            "{mention} have you seen {issue}? {feel}. {tag}",
            "Thanks {mention} for sharing! {slogan} {tag}",
        ),
        S_FAVOUR: (
            "{Group} moaning again, {measure} is fair. {tag}",
            "I support {measure}, sorry. {tag}",
            "Sorry but {target} is right on this one. {tag}",
            "Everyone should pay their share. {tag}",
            "The {group} lobby is out of control. {tag}",
        ),
        S_NEUTRAL: (
            "Can someone explain what {group} want? {tag}",
            "{offtopic} {tag}",
            "Interesting debate on {measure} {tag}",
            "What is {tag} all about?",
            "{offtopic}",
        ),
        S_NEWS: (
            "{Group} furious over {measure} {url} {tag}",
            "Who are the {name} protesters? {url}",
            "{Target} under pressure over {measure} {url} {tag}",
            "LIVE: the {tag} campaign gathers pace {url}",
        ),
    },
}

_INSTITUTIONAL: dict[int, tuple[str, ...]] = {
    S_FAVOUR: (
        "{Policy} : {benefit}. {tag} {url}",
        "Avec {policy}, {benefit}. {tag}",
        "Découvrez {policy} en vidéo {url} {tag}",
        "Questions/réponses sur {policy} {url} {tag}",
        "Le Premier ministre présente {policy} : {benefit}. {tag}",
        "Pour le redressement du pays : {policy}. {tag}",
        "Mobilisés pour l'emploi avec {policy}. {tag}",
        "{Policy}, c'est {benefit}. {tag}",
        "Adopté ! {Policy} : {benefit}. {tag}",
        "Tout savoir sur {policy} {url} {tag}",
        "Bonne mesure : {policy} ! {tag}",
        "Enfin une mesure concrète, {policy} {tag}",
        "Fier de soutenir {policy} {tag}",
    ),
}

_BACKGROUND: dict[str, tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]] = {
    # (tags, templates) per theme, most common theme first.
    "fr": (
        (
            ("bonjour", "lundi", "café"),
            (
                "Bonne journée à tous !",
                "Café, puis boulot. Bon {weekday} !",
                "Vivement le week-end",
                "Embouteillages monstres ce matin",
                "Je suis crevé, dodo",
                "Réveil difficile ce matin",
                "Bon {weekday} tout le monde",
                "Pas envie de me lever",
                "Merci {mention} pour la soirée !",
                "{mention} on se voit ce soir ?",
                "#FF {mention} toujours au top",
                "Trop drôle cette vidéo {url}",
            ),
        ),
        (
            ("meteo", "pluie", "automne"),
            (
                "Il pleut encore à {city}...",
                "Quel temps magnifique à {city} aujourd'hui",
                "Brouillard ce matin, on n'y voit rien",
                "Déjà froid, l'automne est là",
                "Orages annoncés ce soir sur {city}",
                "Grand soleil, ça fait du bien",
            ),
        ),
        (
            ("Paris", "photo", "Lyon", "Marseille"),
            (
                "Photo du jour : {place} {url}",
                "Balade le long de {place}",
                "Quelle vue depuis {place}",
                "Week-end à {city}, trop bien",
                "Regardez ça {url}",
            ),
        ),
        (
            ("cinema", "film"),
            (
                "Trop hâte de voir {film} ce soir",
                "Vu {film}, franchement pas mal",
                "Qui vient au ciné voir {film} ?",
                "{film}, quelle claque",
                "{mention} tu as vu {film} ?",
            ),
        ),
        (
            ("musique", "NowPlaying"),
            (
                "En train d'écouter {artist}",
                "Le nouvel album de {artist} tourne en boucle",
                "Concert de {artist} ce soir !",
                "{artist} en boucle depuis ce matin {url}",
            ),
        ),
        (
            ("foot", "Ligue1"),
            (
                "Match ce soir, {team} va gagner",
                "Pas terrible {team} hier soir",
                "Qui regarde {team} ce soir ?",
                "{mention} pari tenu pour {team} ?",
            ),
        ),
        (
            ("cuisine", "miam"),
            (
                "{Food} ce soir, qui vient ?",
                "Rien de mieux que {food} maison",
                "J'ai fait {food}, trop bon",
                "Ma recette du jour {url}",
            ),
        ),
        (
            ("rentrée", "boulot"),
            (
                "Réunion interminable ce matin",
                "Encore une journée de boulot",
                "Bientôt les vacances de la Toussaint",
                "Grève des transports demain, super...",
                "Nouveau billet sur mon blog {url}",
            ),
        ),
        (
            ("jeuxvideo", "gaming"),
            ("Partie de {game} ce soir", "{game} est vraiment addictif", "Qui joue à {game} ?"),
        ),
        (
            ("série", "lecture"),
            (
                "Je viens de finir {book}, j'ai adoré",
                "Nouvelle saison de {series} ce soir !",
                "Marathon {series} ce week-end",
            ),
        ),
    ),
    "en": (
        (
            ("Monday", "coffee", "FF"),
            (
                "Good morning everyone!",
                "Coffee first, then work. Happy {weekday}!",
                "Can't wait for the weekend",
                "Traffic is a nightmare this morning",
                "Knackered, off to bed",
                "Thanks {mention} for a great night!",
                "{mention} are we still on for tonight?",
                "#FF {mention} always worth a follow",
                "This video is hilarious {url}",
            ),
        ),
        (
            ("weather", "rain"),
            (
                "Raining again in {city}...",
                "Lovely sunny day in {city}",
                "Foggy morning, can't see a thing",
                "Autumn is definitely here",
            ),
        ),
        (
            ("London", "photo"),
            ("Photo of the day: {place} {url}", "Walk along {place}", "Amazing view from {place}"),
        ),
        (
            ("NowPlaying", "music"),
            ("Listening to {artist}", "The new {artist} album is on repeat", "{artist} tonight!"),
        ),
        (
            ("football", "EPL"),
            ("Big game tonight, come on {team}", "Poor from {team} last night", "{team} again..."),
        ),
        (
            ("movies", "TV"),
            (
                "Off to see {film} tonight",
                "Just watched {film}, not bad at all",
                "New season of {series} tonight!",
                "Just finished {book}, loved it",
            ),
        ),
    ),
}

_BACKGROUND_NEWS: dict[str, tuple[str, ...]] = {
    "fr": (
        "Météo : un week-end pluvieux en vue {url}",
        "Cinéma : les sorties de la semaine {url}",
        "Ligue 1 : le résumé de la journée {url}",
        "Bourse : le CAC 40 termine en hausse {url}",
        "Faits divers : {city} sous le choc {url}",
        "À la une ce matin : {topic} {url}",
    ),
    "en": (
        "Weather: a wet weekend ahead {url}",
        "Markets close higher {url}",
        "Premier League: all the goals {url}",
        "Top story this morning: {topic} {url}",
    ),
}

_DEBATE_REPLIES: dict[str, dict[int, tuple[str, ...]]] = {
    "fr": {
        S_AGAINST: (
            "Exactement ! {tag}",
            "Tout à fait d'accord.",
            "Bien dit !",
            "On lâche rien ! {tag}",
            "+1000",
            "C'est exactement ça.",
            "Je partage à fond.",
            "Entièrement d'accord avec toi {tag}",
            "Rejoins-nous ! {tag}",
            "Il faut que ça bouge. {tag}",
            "Ils ne comprennent rien...",
            "{Feel}, vraiment.",
        ),
        S_FAVOUR: (
            "Tu exagères un peu non ?",
            "Pas d'accord, c'est juste.",
            "Arrêtez de pleurer.",
            "Très bonne initiative !",
            "Bravo, enfin !",
        ),
        S_NEUTRAL: ("Source ?", "Tu as un lien ?", "Intéressant, merci.", "Je ne savais pas."),
        S_NEWS: ("À lire {url}",),
    },
    "en": {
        S_AGAINST: (
            "Exactly! {tag}",
            "Totally agree.",
            "Well said!",
            "Spot on.",
            "Couldn't agree more {tag}",
            "Join us! {tag}",
            "{Feel}, honestly.",
        ),
        S_FAVOUR: ("Bit over the top, no?", "Disagree, it's fair.", "Stop moaning.", "Good idea!"),
        S_NEUTRAL: ("Source?", "Got a link?", "Interesting, thanks.", "Didn't know that."),
        S_NEWS: ("Read more {url}",),
    },
}

_CHATTER_REPLIES: dict[str, dict[int, tuple[str, ...]]] = {
    "fr": {
        S_NONE: (
            "Haha trop vrai",
            "Merci !",
            "Carrément !",
            "Bonne journée à toi aussi",
            "Ahah oui",
            "Je suis d'accord",
            "Trop bien !",
            "Mdr",
            "Ça marche, à ce soir",
            "Tu m'étonnes",
            "Courage !",
            "Grave",
        ),
        S_NEUTRAL: ("Carrément ! {tag}", "Mdr", "Quel match !", "Trop d'accord {tag}", "Ahah"),
    },
    "en": {
        S_NONE: ("Haha so true", "Thanks!", "Totally", "Same here", "lol", "See you tonight"),
        S_NEUTRAL: ("Totally! {tag}", "lol", "Unreal!", "Same {tag}", "Haha"),
    },
}

_QUOTES: dict[str, dict[int, tuple[str, ...]]] = {
    "fr": {
        S_AGAINST: (
            "Tout est dit. {tag}",
            "À lire absolument. {tag}",
            "{Feel}. {tag}",
            "Voilà pourquoi on se bat. {tag}",
            "Exactement ça.",
        ),
        S_FAVOUR: ("Enfin un peu de bon sens. {tag}", "À méditer. {tag}", "Bravo !"),
        S_NEUTRAL: ("Intéressant. {tag}", "À suivre. {tag}", "Qu'en pensez-vous ?"),
        S_NONE: ("Haha", "Excellent", "Trop vrai", "À voir"),
        S_NEWS: ("À lire {tag}",),
    },
    "en": {
        S_AGAINST: ("Says it all. {tag}", "Must read. {tag}", "{Feel}. {tag}", "Exactly this."),
        S_FAVOUR: ("Finally some sense. {tag}", "Worth a read.", "Well done!"),
        S_NEUTRAL: ("Interesting. {tag}", "Watch this space. {tag}", "Thoughts?"),
        S_NONE: ("Haha", "Brilliant", "So true", "Worth a look"),
        S_NEWS: ("Read {tag}",),
    },
}

_STANCE_NAMES = {"against": S_AGAINST, "favour": S_FAVOUR, "neutral": S_NEUTRAL, "news": S_NEWS}


def _merge_vocab(lang: str, extra: Mapping[str, Sequence[str]]) -> dict[str, tuple[str, ...]]:
    vocab = dict(_COMMON[lang])
    vocab.update({k: tuple(v) for k, v in extra.items()})
    return vocab


def component_model(
    kind: str,
    lang: str,
    entry: Mapping,
    tags: Sequence[str],
    tag_weights: Sequence[float],
    slots: Mapping[str, Sequence[str]],
) -> TextModel:
    """Build the text model of a non-background component.

    Parameters
    ----------
    kind : str
        Component kind (see :data:`pipeline.simulate.codes.COMPONENT_KINDS`).
    lang : str
        ``"fr"`` or ``"en"``.
    entry : mapping
        The pool entry the component was drawn from (:mod:`pipeline.simulate.pools`).
    tags : sequence of str
        Hashtag variants used by the component, without ``#``.
    tag_weights : sequence of float
        Relative use of each variant.
    slots : mapping
        Component-specific vocabulary (e.g. the target's aliases), merged over the
        language's common vocabulary.

    Returns
    -------
    TextModel
        The templates, vocabulary and hashtag table of the component.
    """
    table = weighted_table([f"#{t}" for t in tags], tag_weights)
    urls: tuple[str, ...] = tuple(entry.get("urls", ())) or (
        (entry["url"],) if entry.get("url") else ()
    )
    url_stances = None
    if kind == "grassroots_opposition":
        originals = TemplateSet(_GRASSROOTS[lang])
        url_stances = frozenset({S_AGAINST})  # the movement's pages, shared by supporters
        replies = TemplateSet(_DEBATE_REPLIES[lang])
    elif kind == "coordinated_campaign":
        main, *variants = entry["templates"]  # one dominant text, a few rewordings
        originals = TemplateSet({S_AGAINST: (main,) * 4 + tuple(variants)})
        slots = {**slots, "_suffix": ("",)}
        replies = TemplateSet(_DEBATE_REPLIES[lang])
    elif kind == "neutral_spike":
        originals = TemplateSet({S_NEUTRAL: entry["templates"]})
        replies = TemplateSet(_CHATTER_REPLIES[lang])
    elif kind == "institutional_promotion":
        originals = TemplateSet(_INSTITUTIONAL)
        replies = TemplateSet(_DEBATE_REPLIES[lang])
    elif kind == "persistent_topic":
        originals = TemplateSet({_STANCE_NAMES[k]: v for k, v in entry["templates"].items()})
        replies = TemplateSet(_DEBATE_REPLIES[lang])
    else:  # pragma: no cover - guarded by the planner
        raise ValueError(f"unknown component kind {kind!r}")
    return TextModel(
        lang=lang,
        themes=(Theme(originals, table, urls, url_stances),),
        theme_table=(0,),
        replies=replies,
        quotes=TemplateSet(_QUOTES[lang]),
        vocab=_merge_vocab(lang, slots),
    )


def background_model(lang: str) -> TextModel:
    """Build the text model of background chatter in ``lang`` (many small themes).

    Parameters
    ----------
    lang : str
        ``"fr"`` or ``"en"``.

    Returns
    -------
    TextModel
        Themes (each with its own hashtags), chatter replies and quotes.
    """
    themes = []
    for tags, patterns in _BACKGROUND[lang]:
        by_stance = {S_NONE: patterns, S_NEWS: _BACKGROUND_NEWS[lang]}
        table = weighted_table([f"#{t}" for t in tags], [1.0 / (i + 1) for i in range(len(tags))])
        themes.append(Theme(TemplateSet(by_stance), table))
    weights = [1.0 / (i + 1) ** 0.8 for i in range(len(themes))]
    return TextModel(
        lang=lang,
        themes=tuple(themes),
        theme_table=weighted_table(list(range(len(themes))), weights, size=128),
        replies=TemplateSet(_CHATTER_REPLIES[lang]),
        quotes=TemplateSet(_QUOTES[lang]),
        vocab=_merge_vocab(lang, {}),
    )


def background_tags() -> tuple[str, ...]:
    """Hashtags of background chatter in both languages, without ``#``, each once."""
    tags = (t for lang in ("fr", "en") for theme_tags, _ in _BACKGROUND[lang] for t in theme_tags)
    return tuple(dict.fromkeys(tags))


def _link(model: TextModel, theme: Theme, stance: int, stream: Stream) -> str:
    own = theme.urls and (theme.url_stances is None or stance in theme.url_stances)
    return stream.pick(theme.urls) if own else _generic_url(model.lang, stream)


def _generic_url(lang: str, stream: Stream) -> str:
    pattern = stream.pick(_URL_PATTERNS[lang])
    code = "".join(_B62[stream.below(62)] for _ in range(8))
    return pattern.format(n=100_000 + stream.below(9_900_000), code=code)


def render(
    model: TextModel,
    family: str,
    stance: int,
    ntags: int,
    mention: str | None,
    url: bool,
    seed: int,
    limit: int = MAX_CHARS,
) -> tuple[str, list[str]]:
    """Write the text of one post.

    Parameters
    ----------
    model : TextModel
        The component's text model.
    family : {"original", "reply", "quote"}
        Which templates to use. Replies and quotes get their ``@user`` prefix or
        quoted link from the caller.
    stance : int
        Stance code of the post.
    ntags : int
        Number of distinct hashtags the post should carry (0 for none).
    mention : str or None
        Username to mention, without ``@``.
    url : bool
        Whether the post shares a link.
    seed : int
        The post's 64-bit text seed.
    limit : int, default MAX_CHARS
        Maximum length; callers that add a prefix or a quoted link pass less.

    Returns
    -------
    text : str
        At most ``limit`` characters (links are never cut).
    urls : list of str
        Expanded URLs whose t.co links appear in ``text``, in order.
    """
    stream = Stream(seed)
    table = model.theme_table
    theme = model.themes[table[stream.below(len(table))]] if len(table) > 1 else model.themes[0]
    if family == "original":
        tset = theme.originals
    elif family == "reply":
        tset = model.replies
    else:
        tset = model.quotes
    has_mention = mention is not None
    templates, add_tag, add_mention, add_url = tset.table[
        stance * 8 + (ntags > 0) * 4 + has_mention * 2 + bool(url)
    ]
    tpl = templates[stream.below(len(templates))]
    vocab = model.vocab
    parts: list[str] = []
    used: list[str] = []
    urls: list[str] = []
    for literal, slot, cap in tpl.pieces:
        if literal:
            parts.append(literal)
        if not slot:
            continue
        if slot == "tag":
            value = _new_tag(theme.tags, used, stream)
        elif slot == "mention":
            value = "@" + mention
        elif slot == "url":
            expanded = _link(model, theme, stance, stream)
            urls.append(expanded)
            value = short_url(expanded)
        else:
            values = vocab[slot]
            value = values[stream.below(len(values))]
            if cap:
                value = value[:1].upper() + value[1:]
        parts.append(value)
    body = "".join(parts).strip()
    if stance == S_AGAINST and family == "original":
        suffix = vocab.get("_suffix")
        if suffix:
            body = _insert_before_tags(body, suffix[stream.below(len(suffix))])
    if add_mention:
        body = f"{body} cc @{mention}"
    n_extra = ntags - tpl.tags
    if add_tag and n_extra < 1:
        n_extra = 1
    text = body
    for _ in range(n_extra):
        text += " " + _new_tag(theme.tags, used, stream)
    tail = ""
    if add_url:
        expanded = _link(model, theme, stance, stream)
        urls.append(expanded)
        tail = " " + short_url(expanded)
    text += tail
    if len(text) > limit:
        text = body + tail
        if len(text) > limit:
            keep = limit - len(tail) - 1
            text = body[:keep].rsplit(" ", 1)[0] + "…" + tail
    return text, urls


def _insert_before_tags(body: str, extra: str) -> str:
    """Insert ``extra`` after the last word that is not a hashtag or a link."""
    if not extra:
        return body
    words = body.split(" ")
    k = len(words)
    while k > 1 and words[k - 1].startswith(("#", "http://", "https://")):
        k -= 1
    if words[k - 1][-1:] not in ".!?…:)" and extra.strip()[:1].isalpha():
        extra = "." + extra
    return " ".join(words[:k]) + extra + "".join(" " + w for w in words[k:])


def _new_tag(table: tuple[str, ...], used: list[str], stream: Stream) -> str:
    tag = stream.pick(table)
    for _ in range(6):
        if tag not in used:
            break
        tag = stream.pick(table)
    used.append(tag)
    return tag
