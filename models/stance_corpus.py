"""Build the labeled French/English stance corpus shipped as ``models/data/stance_corpus.csv``.

The corpus is made only of text written for this project (no scraped posts), from two
hand-written sources in ``models/data/``:

* ``stance_handwritten.txt`` — complete posts, each labeled by hand, grouped by target
  topic (and a group of off-topic chatter);
* ``stance_templates.json`` — sentence *frames* with slots (``"Retrait {deT}, point
  final."``) and, per topic, the fillers of those slots (target noun phrases, the
  people protesting, the actor responsible, neutral hashtags).

Composition renders frames with fillers of the same split, chosen by a seeded
generator, so the CSV is reproducible byte for byte: ``python -m models.stance_corpus``
rewrites it and the tests check that the shipped file equals :func:`build_stance_corpus`.

**Held-out split.** Every topic belongs to one split (``train`` or ``heldout``), and so
does every frame, every mention handle and every filler; a frame is only rendered with
topics of its own split. The held-out part therefore shares no topic, no template and
no fragment with the training part (the hand-written off-topic posts are divided into
two disjoint lists). :func:`check_disjoint_fragments` verifies this.

Columns of the corpus: ``text, lang, label, target, origin, split`` where ``label`` is
``against``/``favour``/``none`` (stance towards ``target``, empty for off-topic posts)
and ``origin`` is ``handwritten`` or ``template:<frame id>``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from itertools import chain
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = [
    "CORPUS_COLUMNS",
    "build_stance_corpus",
    "check_disjoint_fragments",
    "load_sources",
    "write_stance_corpus",
]

DATA_DIR = Path(__file__).resolve().parent / "data"
HANDWRITTEN_PATH = DATA_DIR / "stance_handwritten.txt"
TEMPLATES_PATH = DATA_DIR / "stance_templates.json"
CORPUS_PATH = DATA_DIR / "stance_corpus.csv"

#: Columns of the corpus, in file order.
CORPUS_COLUMNS = ("text", "lang", "label", "target", "origin", "split")
#: Seed of the composition (fixed: the shipped CSV depends on it).
SEED = 2012

_LABEL_CODES = {"A": "against", "F": "favour", "N": "none"}
_HEADER = re.compile(r"^\[(fr|en) (\S+) (train|heldout)\]$")
_SLOT = re.compile(r"\{(\w+)\}")
_VOWELS = tuple("aeiouyéèêàâîïôûAEIOUYÉÈÊÀÂÎÏÔÛ")
#: Probability that a composed post gets a topic hashtag appended, a reply handle
#: prepended, or is written all in lower case.
_P_HASHTAG, _P_HANDLE, _P_LOWER = 0.25, 0.12, 0.1


def _read_handwritten(path: Path) -> pd.DataFrame:
    rows = []
    section = None
    for lineno, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        header = _HEADER.match(line)
        if header:
            section = header.groups()
            continue
        code, sep, text = line.partition("|")
        if section is None or not sep or code not in _LABEL_CODES or not text.strip():
            raise ValueError(f"{path}:{lineno}: expected 'A|text', 'F|text' or 'N|text'")
        lang, topic, split = section
        rows.append(
            {
                "text": text.strip(),
                "lang": lang,
                "label": _LABEL_CODES[code],
                "target": "" if topic == "offtopic" else topic,
                "origin": "handwritten",
                "split": split,
            }
        )
    return pd.DataFrame(rows, columns=list(CORPUS_COLUMNS))


def load_sources(
    handwritten: Path = HANDWRITTEN_PATH, templates: Path = TEMPLATES_PATH
) -> tuple[pd.DataFrame, dict]:
    """Read the two hand-written sources of the corpus.

    Parameters
    ----------
    handwritten : Path
        The file of hand-written posts.
    templates : Path
        The JSON file of frames and slot fillers.

    Returns
    -------
    posts : pandas.DataFrame
        Hand-written posts with the corpus columns.
    templates : dict
        The parsed template file.
    """
    return _read_handwritten(Path(handwritten)), json.loads(
        Path(templates).read_text(encoding="utf-8")
    )


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _de(np_: str) -> str:
    """French ``de`` + noun phrase with the article contracted (du, des, d')."""
    if np_.startswith("le "):
        return "du " + np_[3:]
    if np_.startswith("les "):
        return "des " + np_[4:]
    if np_.startswith(("la ", "l'")):
        return "de " + np_
    return ("d'" if np_.startswith(_VOWELS) else "de ") + np_


def _a(np_: str) -> str:
    """French ``à`` + noun phrase with the article contracted (au, aux)."""
    if np_.startswith("le "):
        return "au " + np_[3:]
    if np_.startswith("les "):
        return "aux " + np_[4:]
    return "à " + np_


def _slots(lang: str, np_: str, protesters: str, actor: str, hashtag: str) -> dict[str, str]:
    slots = {
        "T": np_,
        "Tcap": _cap(np_),
        "P": protesters,
        "Pcap": _cap(protesters),
        "Act": actor,
        "Actcap": _cap(actor),
        "H": hashtag,
    }
    if lang == "fr":
        slots |= {
            "deT": _de(np_),
            "aT": _a(np_),
            "deP": _de(protesters),
            "aP": _a(protesters),
            "deAct": _de(actor),
            "aAct": _a(actor),
        }
    return slots


def _compose_topic(
    rng: np.random.Generator,
    lang: str,
    split: str,
    name: str,
    topic: Mapping,
    frames: Mapping[str, list[str]],
    counts: Mapping[str, int],
    handles: list[str],
) -> list[dict]:
    rows = []
    for label in ("against", "favour", "none"):
        pool = frames[label]
        order = rng.permutation(len(pool))
        seen: set[str] = set()
        wanted = counts[label]
        for attempt in range(wanted * 20):
            if len(seen) == wanted:
                break
            index = int(order[attempt % len(pool)])
            slots = _slots(
                lang,
                str(rng.choice(topic["nps"])),
                str(rng.choice(topic["protesters"])),
                str(rng.choice(topic["actors"])),
                str(rng.choice(topic["hashtags"])),
            )
            text = _SLOT.sub(lambda m, s=slots: s[m.group(1)], pool[index])
            hashtag = slots["H"]
            if rng.random() < _P_HASHTAG and hashtag.lower() not in text.lower():
                text = f"{text} {hashtag}"
            if rng.random() < _P_HANDLE:
                text = f"{rng.choice(handles)} {text}"
            if rng.random() < _P_LOWER:
                text = text.lower()
            text = re.sub(r"\s+", " ", text).strip()
            if text.casefold() in seen:
                continue
            seen.add(text.casefold())
            rows.append(
                {
                    "text": text,
                    "lang": lang,
                    "label": label,
                    "target": name,
                    "origin": f"template:{lang}-{split}-{label}-{index:02d}",
                    "split": split,
                }
            )
    return rows


def check_disjoint_fragments(templates: Mapping) -> None:
    """Raise if a frame, filler or handle is used by both splits of a language.

    Parameters
    ----------
    templates : Mapping
        The parsed template file.

    Raises
    ------
    ValueError
        Naming the shared fragments.
    """
    for lang in ("fr", "en"):
        spec = templates[lang]
        frames = {
            split: set(chain.from_iterable(spec["frames"][split].values()))
            for split in ("train", "heldout")
        }
        shared = frames["train"] & frames["heldout"]
        shared |= set(spec["handles"]["train"]) & set(spec["handles"]["heldout"])
        for kind in ("nps", "protesters", "actors", "hashtags"):
            by_split: dict[str, set[str]] = {"train": set(), "heldout": set()}
            for topic in spec["topics"].values():
                by_split[topic["split"]].update(topic[kind])
            shared |= by_split["train"] & by_split["heldout"]
        if shared:
            raise ValueError(f"{lang}: fragments shared by train and heldout: {sorted(shared)}")


def build_stance_corpus(
    handwritten: Path = HANDWRITTEN_PATH, templates: Path = TEMPLATES_PATH, seed: int = SEED
) -> pd.DataFrame:
    """Build the stance corpus from its hand-written sources.

    Parameters
    ----------
    handwritten : Path
        The file of hand-written posts.
    templates : Path
        The JSON file of frames and slot fillers.
    seed : int
        Seed of the composition; the shipped corpus uses :data:`SEED`.

    Returns
    -------
    pandas.DataFrame
        One row per distinct text with columns :data:`CORPUS_COLUMNS`: the
        hand-written posts, then the composed ones, French before English.
    """
    posts, spec = load_sources(handwritten, templates)
    check_disjoint_fragments(spec)
    rng = np.random.default_rng(seed)
    parts = []
    for lang in ("fr", "en"):
        parts.append(posts[posts["lang"] == lang])
        rows = []
        for name, topic in spec[lang]["topics"].items():
            split = topic["split"]
            rows += _compose_topic(
                rng,
                lang,
                split,
                name,
                topic,
                spec[lang]["frames"][split],
                spec[lang]["counts"][split],
                spec[lang]["handles"][split],
            )
        parts.append(pd.DataFrame(rows, columns=list(CORPUS_COLUMNS)))
    corpus = pd.concat(parts, ignore_index=True)
    duplicate = corpus["text"].str.casefold().duplicated(keep="first")
    corpus = corpus[~duplicate].reset_index(drop=True)
    return corpus.astype(str)


def write_stance_corpus(path: Path = CORPUS_PATH, seed: int = SEED) -> pd.DataFrame:
    """Build the corpus and write it as UTF-8 CSV.

    Parameters
    ----------
    path : Path
        Destination file.
    seed : int
        Seed of the composition.

    Returns
    -------
    pandas.DataFrame
        The corpus written.
    """
    corpus = build_stance_corpus(seed=seed)
    corpus.to_csv(path, index=False, lineterminator="\n", encoding="utf-8")
    return corpus


if __name__ == "__main__":  # pragma: no cover - maintenance entry point
    written = write_stance_corpus()
    print(written.groupby(["lang", "split", "label"]).size().to_string())
