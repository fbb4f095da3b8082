"""Stance of a post towards a movement's targets: ``against``, ``favour`` or ``none``.

A movement is opposition when its posts are *against* something — a bill, a tax, a
minister. :class:`OppositionClassifier` labels French and English posts with one of
:data:`LABELS`, and :meth:`OppositionClassifier.mentioned_targets` says which of the
configured targets each post names, so a caller can count stance per target.

Features (one scikit-learn ``FeatureUnion``, then a multinomial logistic regression
with balanced class weights; everything deterministic):

* **word 1–2-grams with negation scope.** Text is lower-cased, accents stripped,
  French elisions split (``n'accepte`` -> ``n'`` ``accepte``) and English ``n't``
  split off (``don't`` -> ``do`` ``n't``). After a negation cue (:data:`NEGATION_CUES`:
  ne, n', pas, jamais, non, ni, aucun, sans, not, no, never, n't, ...) the next
  ``negation_scope`` word tokens get the prefix ``NEG_``; punctuation ends a scope and
  a further cue restarts it: ``"Je ne soutiens pas ce projet."`` ->
  ``je ne NEG_soutiens pas NEG_ce NEG_projet .`` (see :func:`negation_tokens`);
* **character 2–5-grams** (``char_wb``) of the lower-cased, accent-stripped text,
  robust to spelling variants, hashtags glued together and emoji;
* **stance-cue lexicon** counts (:func:`lexicon_counts`): opposition cues ("non à",
  "retrait", "scandale", "on ne lâche rien", "against", "scrap", "resign", ...) and
  support cues ("bravo", "fier", "soutien", "merci", "proud", "welcome", ...) from
  ``models/data/stance_lexicon_{fr,en}.txt``, each split into plain and negated
  occurrences (a cue inside a negation scope: "pas contre", "don't support");
* **target mention**: whether the post names any configured target, and how many.

Evaluation follows the SemEval-2016 stance convention: :func:`macro_f` is the mean of
F1(against) and F1(favour); ``none`` counts only through the errors it causes.
:func:`evaluate_stance` scores a model on a held-out split next to a majority-class
and a lexicon-only baseline (:class:`LexiconBaseline`).

The shipped corpus (``models/data/stance_corpus.csv``, documented in
``docs/stance_corpus.md``) trains the default model; :func:`load_default_model`
loads it from a cache directory or, when missing or stale, retrains it in seconds and
caches it. No pickle is shipped.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import platform
import re
import tempfile
import time
import warnings
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd
import sklearn
from scipy import sparse
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin, clone
from sklearn.dummy import DummyClassifier
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score
from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.utils.validation import check_is_fitted

__all__ = [
    "CORPUS_PATH",
    "DEFAULT_MODEL_FILE",
    "LABELS",
    "LEXICON_COLUMNS",
    "MODEL_FORMAT",
    "NEGATION_CUES",
    "STANCE_LABELS",
    "LexiconBaseline",
    "LexiconFeatures",
    "NegationMarker",
    "OppositionClassifier",
    "TargetMentionFeatures",
    "corpus_checksum",
    "cross_validate_stance",
    "default_cache_dir",
    "evaluate_stance",
    "lexicon_counts",
    "load_default_model",
    "load_default_targets",
    "load_lexicon",
    "load_model",
    "load_model_metadata",
    "load_stance_corpus",
    "macro_f",
    "mark_negation",
    "mentioned_targets",
    "negation_tokens",
    "normalize_text",
    "save_model",
    "split_heldout",
    "stance_scores",
    "train_stance",
]

logger = logging.getLogger(__name__)

DATA_DIR = Path(__file__).resolve().parent / "data"
CORPUS_PATH = DATA_DIR / "stance_corpus.csv"
LEXICON_PATHS = (DATA_DIR / "stance_lexicon_fr.txt", DATA_DIR / "stance_lexicon_en.txt")
TARGETS_PATH = DATA_DIR / "stance_targets.json"

#: Classes of the classifier.
LABELS = ("against", "favour", "none")
#: Classes averaged by :func:`macro_f` (SemEval-2016 task 6).
STANCE_LABELS = ("against", "favour")
#: Tokens that open a negation scope (after normalisation: lower case, no accents).
NEGATION_CUES = (
    "ne",
    "n'",
    "pas",
    "jamais",
    "non",
    "ni",
    "aucun",
    "aucune",
    "sans",
    "not",
    "no",
    "never",
    "n't",
    "cannot",
    "nor",
    "neither",
    "without",
)
#: Prefix of a token inside a negation scope.
NEG_PREFIX = "NEG_"
#: Columns of :func:`lexicon_counts`.
LEXICON_COLUMNS = ("against", "favour", "against_negated", "favour_negated")
#: File name of the default model inside the cache directory (metadata: ``.json``).
DEFAULT_MODEL_FILE = "stance-default.joblib"
#: Version of the saved-model layout; bump to invalidate cached default models.
MODEL_FORMAT = 1
#: Columns of the corpus that define its content (and its checksum).
_CONTENT_COLUMNS = ("text", "lang", "label", "target")

_APOSTROPHES = "[\u2019\u2018\u02bc`\u00b4\u2032]"
_COMBINING = "[\u0300-\u036f]"
_ELISION = re.compile(r"\b(qu|[cdjlmnst])'(?=\w)")
_NT = re.compile(r"(?<=\w)n't\b")
_TOKEN = re.compile(r"n't|\b(?:qu|[cdjlmnst])'(?=\s)|[#@]?\w+|[!?.,;:]")
_PUNCT = "!?.,;:"
_WILDCARD = "qqwildcardqq"
_NEVER = "(?!)"


# --------------------------------------------------------------------------- text


def _as_texts(texts: Any) -> pd.Series:
    """Texts as a ``str`` Series with a 0..n-1 index (missing values become ``""``)."""
    if isinstance(texts, str | bytes):
        raise TypeError("expected a sequence of texts, got a single string; wrap it in a list")
    if not hasattr(texts, "__len__"):
        texts = list(texts)
    values = np.asarray(texts, dtype=object)
    if values.ndim == 2 and values.shape[1] == 1:
        values = values[:, 0]
    if values.ndim != 1:
        raise ValueError(f"expected a 1-d sequence of texts, got shape {values.shape}")
    series = pd.Series(values, dtype=object)
    return series.where(series.notna(), "").astype(str)


def normalize_text(texts: Iterable[str]) -> pd.Series:
    """Lower-case texts, strip accents and unify apostrophes (vectorised).

    Parameters
    ----------
    texts : iterable of str
        Posts; missing values are treated as empty texts.

    Returns
    -------
    pandas.Series
        Normalised texts, index ``0..n-1``.

    Examples
    --------
    >>> normalize_text(["Non à la RÉFORME d’Ayrault"]).tolist()
    ["non a la reforme d'ayrault"]
    """
    return (
        _as_texts(texts)
        .str.replace(_APOSTROPHES, "'", regex=True)
        .str.normalize("NFKD")
        .str.replace(_COMBINING, "", regex=True)
        .str.lower()
    )


def _tokenize(normalized: pd.Series) -> pd.Series:
    """Space-joined tokens of normalised texts (elisions and ``n't`` split off)."""
    spaced = normalized.str.replace(_ELISION, r"\1' ", regex=True).str.replace(
        _NT, " n't", regex=True
    )
    return spaced.str.findall(_TOKEN).str.join(" ")


@lru_cache(maxsize=16)
def _scope_pattern(scope: int) -> re.Pattern:
    cues = "|".join(re.escape(c) for c in sorted(NEGATION_CUES, key=len, reverse=True))
    cue = rf"(?:{cues})(?!\S)"
    word = rf"[^\s{re.escape(_PUNCT)}]+"
    return re.compile(rf"(?<!\S){cue}((?: (?!{cue}){word}){{1,{scope}}})")


def _prefix_scope(match: re.Match) -> str:
    head = match.group(0)[: match.start(1) - match.start(0)]
    return head + "".join(f" {NEG_PREFIX}{word}" for word in match.group(1).split())


def _marked(texts: Iterable[str], scope: int) -> pd.Series:
    tokens = _tokenize(normalize_text(texts))
    if scope <= 0:
        return tokens
    return tokens.str.replace(_scope_pattern(int(scope)), _prefix_scope, regex=True)


def mark_negation(texts: Iterable[str], scope: int = 3) -> list[str]:
    """Tokenise texts and prefix the tokens inside negation scopes with ``NEG_``.

    Parameters
    ----------
    texts : iterable of str
        Posts.
    scope : int, default 3
        Number of word tokens after a negation cue that are marked. Punctuation
        (``! ? . , ; :``) ends a scope; another cue restarts it. ``0`` disables marking.

    Returns
    -------
    list of str
        One string of space-separated tokens per text.

    Examples
    --------
    >>> mark_negation(["Je ne soutiens pas ce projet de loi."])
    ['je ne NEG_soutiens pas NEG_ce NEG_projet NEG_de loi .']
    """
    return _marked(texts, scope).tolist()


def negation_tokens(text: str, scope: int = 3) -> list[str]:
    """Tokens of one text after negation marking (see :func:`mark_negation`).

    Parameters
    ----------
    text : str
        One post.
    scope : int, default 3
        Negation scope in word tokens.

    Returns
    -------
    list of str
        The tokens.

    Examples
    --------
    >>> negation_tokens("I don't support it, really")
    ['i', 'do', "n't", 'NEG_support', 'NEG_it', ',', 'really']
    """
    return _marked([text], scope).iloc[0].split()


# ------------------------------------------------------------------------ lexicon


def load_lexicon(paths: Iterable[str | os.PathLike] | str | os.PathLike | None = None) -> dict:
    """Read stance-cue lexicon files.

    Parameters
    ----------
    paths : path or iterable of paths, optional
        Lexicon files; default the shipped French and English ones. A line is
        ``<against|favour> <cue>``; lines starting with ``#`` are comments.

    Returns
    -------
    dict
        ``{"against": [cue, ...], "favour": [cue, ...]}`` in file order, without
        duplicates.

    Raises
    ------
    FileNotFoundError
        If a file does not exist.
    ValueError
        If a line is not ``<against|favour> <cue>``.
    """
    if paths is None:
        paths = LEXICON_PATHS
    elif isinstance(paths, str | os.PathLike):
        paths = [paths]
    lexicon: dict[str, list[str]] = {"against": [], "favour": []}
    for path in map(Path, paths):
        for lineno, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            parts = line.split(None, 1)
            if len(parts) != 2 or parts[0] not in lexicon:
                raise ValueError(f"{path}:{lineno}: expected '<against|favour> <cue>', got {raw!r}")
            cue = parts[1].strip()
            if cue not in lexicon[parts[0]]:
                lexicon[parts[0]].append(cue)
    return lexicon


def _resolve_lexicon(lexicon: Mapping[str, Iterable[str]] | None) -> dict[str, tuple[str, ...]]:
    if lexicon is None:
        return {k: tuple(v) for k, v in _default_lexicon().items()}
    if not isinstance(lexicon, Mapping):
        raise TypeError("lexicon must be a dict {'against': [cues], 'favour': [cues]} or None")
    unknown = set(lexicon) - set(STANCE_LABELS)
    if unknown:
        raise ValueError(f"lexicon keys must be 'against' and 'favour', got {sorted(unknown)}")
    resolved = {}
    for polarity in STANCE_LABELS:
        cues = lexicon.get(polarity, ())
        if isinstance(cues, str):
            cues = [cues]
        resolved[polarity] = tuple(str(c) for c in cues if str(c).strip())
    return resolved


@lru_cache(maxsize=1)
def _default_lexicon() -> dict[str, tuple[str, ...]]:
    return {k: tuple(v) for k, v in load_lexicon().items()}


def _cue_token_regex(token: str) -> str:
    body = re.escape(token).replace(_WILDCARD, r"\w*")
    return body if token.startswith(("#", "@")) else "#?" + body


@lru_cache(maxsize=64)
def _cue_patterns(cues: tuple[str, ...]) -> tuple[re.Pattern, re.Pattern]:
    """Plain and negated patterns matching any cue in a space-joined token string."""
    tokenized = _tokenize(normalize_text([c.replace("*", _WILDCARD) for c in cues]))
    entries = sorted(
        {tuple(t.split()) for t in tokenized if t},
        key=lambda tokens: (-len(tokens), -len("".join(tokens)), tokens),
    )
    plain, negated = [], []
    for tokens in entries:
        first = _cue_token_regex(tokens[0])
        rest = "".join(f" (?:{NEG_PREFIX})?{_cue_token_regex(t)}" for t in tokens[1:])
        plain.append(first + rest)
        negated.append(NEG_PREFIX + first + rest)
    return (
        re.compile(rf"(?<!\S)(?:{'|'.join(plain) or _NEVER})(?!\S)"),
        re.compile(rf"(?<!\S)(?:{'|'.join(negated) or _NEVER})(?!\S)"),
    )


def _counts_from_marked(marked: pd.Series, lexicon: Mapping[str, tuple[str, ...]]) -> pd.DataFrame:
    data = {}
    for polarity in STANCE_LABELS:
        plain, negated = _cue_patterns(tuple(lexicon[polarity]))
        data[polarity] = marked.str.count(plain)
        data[f"{polarity}_negated"] = marked.str.count(negated)
    return pd.DataFrame(data, index=marked.index)[list(LEXICON_COLUMNS)].astype("int64")


def lexicon_counts(
    texts: Iterable[str], lexicon: Mapping[str, Iterable[str]] | None = None, scope: int = 3
) -> pd.DataFrame:
    """Count opposition and support cues in each text, plain and negated.

    A cue is matched on normalised tokens (lower case, accents stripped), a multi-word
    cue on consecutive tokens, ``*`` at the end of a cue word matches any ending, and a
    cue word also matches its hashtag. A cue whose first token lies in a negation scope
    is counted as negated: ``"pas contre"`` adds one to ``against_negated``.

    Parameters
    ----------
    texts : iterable of str
        Posts.
    lexicon : dict, optional
        ``{"against": [cues], "favour": [cues]}``; default :func:`load_lexicon`.
    scope : int, default 3
        Negation scope in word tokens.

    Returns
    -------
    pandas.DataFrame
        Integer columns :data:`LEXICON_COLUMNS`, one row per text.

    Examples
    --------
    >>> lexicon_counts(["Non à la réforme, c'est un scandale !"]).iloc[0].tolist()
    [2, 0, 0, 0]
    """
    return _counts_from_marked(_marked(texts, scope), _resolve_lexicon(lexicon))


def _lexicon_rule(counts: pd.DataFrame) -> np.ndarray:
    against = counts["against"] + counts["favour_negated"]
    favour = counts["favour"] + counts["against_negated"]
    labels = np.select([against > favour, favour > against], ["against", "favour"], "none")
    return labels.astype(object)


# ------------------------------------------------------------------------ targets


def load_default_targets(path: str | os.PathLike | None = None) -> dict[str, list[str]]:
    """Read a targets file: a JSON object ``{target name: [aliases, ...]}``.

    Parameters
    ----------
    path : path, optional
        Default ``models/data/stance_targets.json``.

    Returns
    -------
    dict
        Target name -> list of aliases.
    """
    with open(TARGETS_PATH if path is None else path, encoding="utf-8") as handle:
        targets = json.load(handle)
    return {name: list(aliases) for name, aliases in _resolve_targets(targets).items()}


def _resolve_targets(targets: Mapping[str, Iterable[str]] | None) -> dict[str, tuple[str, ...]]:
    if targets is None:
        return dict(_default_targets())
    if not isinstance(targets, Mapping):
        raise TypeError("targets must be a dict {target name: [aliases, ...]} or None")
    resolved = {}
    for name, aliases in targets.items():
        if isinstance(aliases, str):
            aliases = [aliases]
        cleaned = tuple(str(a).strip() for a in aliases if str(a).strip())
        if not cleaned:
            raise ValueError(f"target {name!r} has no aliases")
        resolved[str(name)] = cleaned
    return resolved


@lru_cache(maxsize=1)
def _default_targets() -> tuple[tuple[str, tuple[str, ...]], ...]:
    with open(TARGETS_PATH, encoding="utf-8") as handle:
        return tuple(_resolve_targets(json.load(handle)).items())


def _alias_regex(alias: str) -> str:
    norm = normalize_text([alias.replace("*", _WILDCARD)]).iloc[0].strip()
    pieces = [re.escape(p) for p in re.split(r"[\s\-]+", norm) if p]
    body = r"[\s\-]+".join(pieces).replace(_WILDCARD, r"\w*")
    prefix = "" if norm.startswith(("#", "@")) else "[#@]?"
    return rf"(?<![\w@#]){prefix}{body}(?!\w)"


@lru_cache(maxsize=64)
def _target_patterns(
    targets: tuple[tuple[str, tuple[str, ...]], ...],
) -> tuple[tuple[str, re.Pattern], ...]:
    return tuple(
        (name, re.compile("|".join(f"(?:{_alias_regex(a)})" for a in aliases)))
        for name, aliases in targets
    )


def _target_matrix(texts: Iterable[str], targets: Mapping[str, tuple[str, ...]]) -> pd.DataFrame:
    """Boolean frame, one column per target: does the text name one of its aliases?"""
    normalized = normalize_text(texts)
    patterns = _target_patterns(tuple(targets.items()))
    columns = {name: normalized.str.contains(pattern) for name, pattern in patterns}
    return pd.DataFrame(columns, index=normalized.index, columns=[n for n, _ in patterns])


def mentioned_targets(
    texts: Iterable[str], targets: Mapping[str, Iterable[str]] | None = None
) -> list[list[str]]:
    """Names of the targets each text mentions.

    An alias matches as a whole word or phrase, case- and accent-insensitively, also
    as a hashtag or handle (``PLF2013`` matches ``#PLF2013``); spaces and hyphens in an
    alias match any run of spaces or hyphens, and a trailing ``*`` any ending. One
    vectorised regular expression per target.

    Parameters
    ----------
    texts : iterable of str
        Posts.
    targets : dict, optional
        ``{target name: [aliases, ...]}``; default :func:`load_default_targets`.

    Returns
    -------
    list of list of str
        For each text, the names of the targets it mentions, in ``targets`` order.

    Examples
    --------
    >>> mentioned_targets(["Le GOUVERNEMENT recule !"], {"gouvernement": ["gouvernement"]})
    [['gouvernement']]
    """
    matrix = _target_matrix(texts, _resolve_targets(targets))
    names = np.asarray(matrix.columns, dtype=object)
    return [names[row].tolist() for row in matrix.to_numpy(dtype=bool)]


# ------------------------------------------------------------------- transformers


class _TextInput:
    """Mixin: the estimator takes a 1-d sequence of texts, not a 2-d array."""

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        return tags


class NegationMarker(_TextInput, TransformerMixin, BaseEstimator):
    """Stateless transformer: texts -> negation-marked token strings.

    Parameters
    ----------
    scope : int, default 3
        Negation scope in word tokens (see :func:`mark_negation`).
    """

    def __init__(self, scope: int = 3):
        self.scope = scope

    def fit(self, X, y=None):
        """Do nothing (stateless); return self."""
        return self

    def transform(self, X) -> list[str]:
        """Return :func:`mark_negation` of ``X``."""
        return mark_negation(X, self.scope)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        return tags


class LexiconFeatures(_TextInput, TransformerMixin, BaseEstimator):
    """Texts -> ``log1p`` of the four :func:`lexicon_counts` columns (sparse).

    Parameters
    ----------
    lexicon : dict, optional
        ``{"against": [cues], "favour": [cues]}``; default the shipped lexicon.
    negation_scope : int, default 3
        Negation scope in word tokens.

    Attributes
    ----------
    lexicon_ : dict
        The resolved lexicon.
    """

    def __init__(self, lexicon=None, negation_scope: int = 3):
        self.lexicon = lexicon
        self.negation_scope = negation_scope

    def fit(self, X, y=None):
        """Resolve the lexicon; return self."""
        self.lexicon_ = _resolve_lexicon(self.lexicon)
        return self

    def transform(self, X) -> sparse.csr_matrix:
        """Return the ``(n, 4)`` sparse matrix of ``log1p`` cue counts."""
        check_is_fitted(self, "lexicon_")
        counts = _counts_from_marked(_marked(X, self.negation_scope), self.lexicon_)
        return sparse.csr_matrix(np.log1p(counts.to_numpy(dtype=float)))

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        """Names ``lexicon_<column>``."""
        return np.asarray([f"lexicon_{c}" for c in LEXICON_COLUMNS], dtype=object)


class TargetMentionFeatures(_TextInput, TransformerMixin, BaseEstimator):
    """Texts -> ``[mentions any target, log1p(number of targets mentioned)]`` (sparse).

    Parameters
    ----------
    targets : dict, optional
        ``{target name: [aliases, ...]}``; default the shipped targets.

    Attributes
    ----------
    targets_ : dict
        The resolved targets.
    """

    def __init__(self, targets=None):
        self.targets = targets

    def fit(self, X, y=None):
        """Resolve the targets; return self."""
        self.targets_ = _resolve_targets(self.targets)
        return self

    def transform(self, X) -> sparse.csr_matrix:
        """Return the ``(n, 2)`` sparse matrix of target-mention features."""
        check_is_fitted(self, "targets_")
        n_mentioned = _target_matrix(X, self.targets_).sum(axis=1).to_numpy(dtype=float)
        return sparse.csr_matrix(np.column_stack([n_mentioned > 0, np.log1p(n_mentioned)]))

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        """Names of the two features."""
        return np.asarray(["target_any", "target_count"], dtype=object)


# --------------------------------------------------------------------- classifier


class OppositionClassifier(_TextInput, ClassifierMixin, BaseEstimator):
    """French/English stance classifier: ``against``, ``favour`` or ``none``.

    Parameters
    ----------
    targets : dict, optional
        ``{target name: [aliases, ...]}`` (e.g. ``{"plf2013": ["PLF2013", "projet de
        loi de finances", "finance bill"]}``); default ``models/data/stance_targets.json``.
        Feeds the target-mention features and :meth:`mentioned_targets`.
    C : float, default 1.0
        Inverse regularisation strength of the logistic regression.
    class_weight : dict, "balanced" or None, default "balanced"
        Class weights of the logistic regression.
    random_state : int, default 0
        Seed passed to the logistic regression (the lbfgs solver is deterministic).
    lexicon : dict, optional
        ``{"against": [cues], "favour": [cues]}``; default the shipped lexicon.
    negation_scope : int, default 3
        Word tokens marked ``NEG_`` after a negation cue.
    word_ngram_range : tuple, default (1, 2)
        N-gram range of the word features.
    char_ngram_range : tuple, default (2, 5)
        N-gram range of the ``char_wb`` features.
    min_df : int, default 1
        Minimum document frequency of word and character n-grams.
    lexicon_weight : float, default 0.3
        Weight of the lexicon block in the feature union. Chosen by target-grouped
        cross-validation on the training part of the corpus: at 1.0 the model leans
        on the cues and fails the hard cases ("soutien aux grévistes" is against).
    max_iter : int, default 2000
        Iterations of the lbfgs solver.

    Attributes
    ----------
    classes_ : ndarray of str
        ``["against", "favour", "none"]`` when trained on the three labels.
    pipeline_ : sklearn.pipeline.Pipeline
        The fitted features + logistic regression.
    targets_ : dict
        The resolved targets.
    lexicon_ : dict
        The resolved lexicon.

    Examples
    --------
    >>> model = OppositionClassifier().fit(texts, labels)          # doctest: +SKIP
    >>> model.predict(["Retrait du PLF2013 ! #geonpi"])            # doctest: +SKIP
    array(['against'], dtype=object)
    """

    def __init__(
        self,
        targets=None,
        C: float = 1.0,
        class_weight="balanced",
        random_state=0,
        *,
        lexicon=None,
        negation_scope: int = 3,
        word_ngram_range: tuple[int, int] = (1, 2),
        char_ngram_range: tuple[int, int] = (2, 5),
        min_df: int = 1,
        lexicon_weight: float = 0.3,
        max_iter: int = 2000,
    ):
        self.targets = targets
        self.C = C
        self.class_weight = class_weight
        self.random_state = random_state
        self.lexicon = lexicon
        self.negation_scope = negation_scope
        self.word_ngram_range = word_ngram_range
        self.char_ngram_range = char_ngram_range
        self.min_df = min_df
        self.lexicon_weight = lexicon_weight
        self.max_iter = max_iter

    def _make_pipeline(self) -> Pipeline:
        words = Pipeline(
            [
                ("negation", NegationMarker(scope=self.negation_scope)),
                (
                    "tfidf",
                    TfidfVectorizer(
                        token_pattern=r"\S+",
                        lowercase=False,
                        ngram_range=tuple(self.word_ngram_range),
                        min_df=self.min_df,
                        sublinear_tf=True,
                    ),
                ),
            ]
        )
        chars = TfidfVectorizer(
            analyzer="char_wb",
            ngram_range=tuple(self.char_ngram_range),
            lowercase=True,
            strip_accents="unicode",
            min_df=self.min_df,
            sublinear_tf=True,
        )
        features = FeatureUnion(
            [
                ("words", words),
                ("chars", chars),
                ("lexicon", LexiconFeatures(self.lexicon_, self.negation_scope)),
                ("targets", TargetMentionFeatures(self.targets_)),
            ],
            transformer_weights={
                "words": 1.0,
                "chars": 1.0,
                "lexicon": float(self.lexicon_weight),
                "targets": 1.0,
            },
        )
        classifier = LogisticRegression(
            C=self.C,
            class_weight=self.class_weight,
            max_iter=self.max_iter,
            random_state=self.random_state,
        )
        return Pipeline([("features", features), ("classifier", classifier)])

    def fit(self, X, y):
        """Fit on texts and stance labels.

        Parameters
        ----------
        X : sequence of str
            Posts.
        y : sequence of str
            Labels, normally ``against``/``favour``/``none``.

        Returns
        -------
        self
        """
        texts = _as_texts(X)
        labels = np.asarray(y, dtype=object).ravel()
        if len(labels) != len(texts):
            raise ValueError(f"X has {len(texts)} texts but y has {len(labels)} labels")
        if pd.isna(labels).any():
            raise ValueError("y contains missing labels")
        self.targets_ = _resolve_targets(self.targets)
        self.lexicon_ = _resolve_lexicon(self.lexicon)
        self.pipeline_ = self._make_pipeline().fit(texts.tolist(), labels)
        self.classes_ = self.pipeline_.classes_
        return self

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities, columns in :attr:`classes_` order."""
        check_is_fitted(self, "pipeline_")
        texts = _as_texts(X)
        if texts.empty:
            return np.empty((0, len(self.classes_)))
        return self.pipeline_.predict_proba(texts.tolist())

    def decision_function(self, X) -> np.ndarray:
        """Per-class scores of the logistic regression."""
        check_is_fitted(self, "pipeline_")
        texts = _as_texts(X)
        if texts.empty:
            return np.empty((0, len(self.classes_)))
        return self.pipeline_.decision_function(texts.tolist())

    def predict(self, X) -> np.ndarray:
        """Most probable label of each text (object array)."""
        check_is_fitted(self, "pipeline_")
        texts = _as_texts(X)
        if texts.empty:
            return np.empty(0, dtype=object)
        return np.asarray(self.pipeline_.predict(texts.tolist()), dtype=object)

    def mentioned_targets(self, X) -> list[list[str]]:
        """Names of the configured targets each text mentions (see :func:`mentioned_targets`)."""
        return mentioned_targets(X, getattr(self, "targets_", None) or self.targets)

    def predict_frame(self, X) -> pd.DataFrame:
        """Stance, class probabilities and mentioned targets of each text.

        Parameters
        ----------
        X : sequence of str
            Posts.

        Returns
        -------
        pandas.DataFrame
            Columns ``stance``, ``p_<class>`` for each class and ``targets`` (list of
            target names), one row per text.
        """
        proba = self.predict_proba(X)
        frame = pd.DataFrame(proba, columns=[f"p_{c}" for c in self.classes_])
        frame.insert(0, "stance", pd.Series(self.classes_[proba.argmax(axis=1)], dtype=object))
        frame["targets"] = self.mentioned_targets(X)
        return frame


class LexiconBaseline(_TextInput, ClassifierMixin, BaseEstimator):
    """Rule baseline: more opposition cues than support cues -> ``against``, etc.

    Opposition evidence is plain opposition cues plus negated support cues ("je ne
    soutiens pas"); support evidence is plain support cues plus negated opposition
    cues ("pas contre"). Ties, including no cue at all, give ``none``.

    Parameters
    ----------
    lexicon : dict, optional
        ``{"against": [cues], "favour": [cues]}``; default the shipped lexicon.
    negation_scope : int, default 3
        Negation scope in word tokens.
    """

    def __init__(self, lexicon=None, negation_scope: int = 3):
        self.lexicon = lexicon
        self.negation_scope = negation_scope

    def fit(self, X=None, y=None):
        """Resolve the lexicon (nothing is learned); return self."""
        self.lexicon_ = _resolve_lexicon(self.lexicon)
        self.classes_ = np.asarray(LABELS, dtype=object)
        return self

    def predict(self, X) -> np.ndarray:
        """Label of each text by the lexicon rule."""
        check_is_fitted(self, "lexicon_")
        counts = _counts_from_marked(_marked(X, self.negation_scope), self.lexicon_)
        return _lexicon_rule(counts)


# --------------------------------------------------------------------- evaluation


def macro_f(y_true, y_pred) -> float:
    """SemEval-2016 stance score: mean of F1(against) and F1(favour).

    ``none`` is not averaged but its errors count: predicting ``none`` for an
    ``against`` post lowers the recall of ``against``.

    Parameters
    ----------
    y_true, y_pred : sequence of str
        Gold and predicted labels.

    Returns
    -------
    float
        In ``[0, 1]``; 0 when neither class is ever predicted correctly.

    Examples
    --------
    >>> macro_f(["against", "favour", "none"], ["against", "none", "none"])
    0.5
    """
    return float(
        f1_score(
            np.asarray(y_true, dtype=object),
            np.asarray(y_pred, dtype=object),
            labels=list(STANCE_LABELS),
            average="macro",
            zero_division=0.0,
        )
    )


def stance_scores(y_true, y_pred, lang=None) -> dict:
    """Macro-F, per-class F1, accuracy and confusion matrix, overall and per language.

    Parameters
    ----------
    y_true, y_pred : sequence of str
        Gold and predicted labels.
    lang : sequence of str, optional
        Language of each example; adds ``by_lang``.

    Returns
    -------
    dict
        ``macro_f``, ``f1`` (per label), ``accuracy``, ``n``, ``confusion`` (rows gold,
        columns predicted, in :data:`LABELS` order) and ``by_lang`` ({lang: {macro_f,
        accuracy, n}}).
    """
    y_true = np.asarray(y_true, dtype=object)
    y_pred = np.asarray(y_pred, dtype=object)
    per_class = f1_score(y_true, y_pred, labels=list(LABELS), average=None, zero_division=0.0)
    scores = {
        "macro_f": macro_f(y_true, y_pred),
        "f1": {label: float(f) for label, f in zip(LABELS, per_class, strict=True)},
        "accuracy": float(accuracy_score(y_true, y_pred)) if len(y_true) else 0.0,
        "n": len(y_true),
        "confusion": confusion_matrix(y_true, y_pred, labels=list(LABELS)).tolist(),
    }
    if lang is not None:
        lang = np.asarray(lang, dtype=object)
        scores["by_lang"] = {
            str(code): {
                "macro_f": macro_f(y_true[lang == code], y_pred[lang == code]),
                "accuracy": float(accuracy_score(y_true[lang == code], y_pred[lang == code])),
                "n": int((lang == code).sum()),
            }
            for code in sorted(set(lang.tolist()))
        }
    return scores


def _check_corpus(frame: pd.DataFrame, source: str) -> pd.DataFrame:
    missing = {"text", "label"} - set(frame.columns)
    if missing:
        raise ValueError(f"{source}: missing column(s) {sorted(missing)}; need text and label")
    frame = frame.reset_index(drop=True)
    frame["text"] = _as_texts(frame["text"])
    bad = ~frame["label"].isin(LABELS)
    if bad.any():
        examples = sorted(set(frame.loc[bad, "label"].astype(str)))[:5]
        raise ValueError(
            f"{source}: {int(bad.sum())} row(s) with a label outside {LABELS}, e.g. {examples}"
        )
    return frame


def load_stance_corpus(path: str | os.PathLike | None = None) -> pd.DataFrame:
    """Read a stance corpus CSV (default: the shipped ``models/data/stance_corpus.csv``).

    Parameters
    ----------
    path : path, optional
        CSV with at least ``text`` and ``label``; the shipped one also has ``lang``,
        ``target``, ``origin`` and ``split``.

    Returns
    -------
    pandas.DataFrame
        All columns as strings; empty cells are empty strings.

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    ValueError
        If a column is missing or a label is not one of :data:`LABELS`.
    """
    path = CORPUS_PATH if path is None else Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"stance corpus not found: {path}")
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    return _check_corpus(frame, str(path))


def _as_corpus(data: pd.DataFrame | str | os.PathLike) -> pd.DataFrame:
    if isinstance(data, pd.DataFrame):
        return _check_corpus(data.copy(), "data")
    return load_stance_corpus(data)


def split_heldout(corpus: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split the corpus into its training and held-out parts (column ``split``).

    Parameters
    ----------
    corpus : pandas.DataFrame
        A corpus with a ``split`` column of ``train``/``heldout``.

    Returns
    -------
    train, heldout : pandas.DataFrame
        The two parts, each re-indexed from 0.
    """
    if "split" not in corpus.columns:
        raise ValueError("the corpus has no 'split' column")
    train = corpus[corpus["split"] == "train"].reset_index(drop=True)
    heldout = corpus[corpus["split"] == "heldout"].reset_index(drop=True)
    return train, heldout


def corpus_checksum(corpus: pd.DataFrame) -> str:
    """SHA-256 of the corpus content (``text, lang, label, target`` as CSV).

    Parameters
    ----------
    corpus : pandas.DataFrame
        A corpus.

    Returns
    -------
    str
        Hex digest.
    """
    columns = [c for c in _CONTENT_COLUMNS if c in corpus.columns]
    payload = corpus[columns].astype(str).to_csv(index=False, lineterminator="\n")
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _cv_groups(frame: pd.DataFrame) -> np.ndarray | None:
    """Group of each row for cross-validation: its target (off-topic rows: their own)."""
    if "target" not in frame.columns:
        return None
    target = frame["target"].astype(str)
    own = "row:" + pd.Series(np.arange(len(frame)), index=frame.index).astype(str)
    return target.where(target != "", own).to_numpy(dtype=object)


def cross_validate_stance(
    model_factory: Callable[[], Any],
    data: pd.DataFrame | str | os.PathLike,
    *,
    n_splits: int = 5,
    random_state: int = 0,
) -> dict:
    """Stratified k-fold cross-validated stance scores (folds grouped by target).

    When the data has a ``target`` column, the folds are made with
    ``StratifiedGroupKFold`` so that all posts about one target fall in the same fold
    (off-topic posts, with an empty target, are their own groups): a fold's model has
    not seen the topic's noun phrases. Otherwise plain ``StratifiedKFold``. Scores are
    computed on the pooled out-of-fold predictions.

    Parameters
    ----------
    model_factory : callable
        Returns a new unfitted estimator with ``fit(texts, y)`` and ``predict(texts)``.
    data : DataFrame or path
        Corpus with ``text`` and ``label`` (``lang`` and ``target`` used if present).
    n_splits : int, default 5
        Number of folds.
    random_state : int, default 0
        Seed of the fold assignment.

    Returns
    -------
    dict
        :func:`stance_scores` of the out-of-fold predictions, plus ``handwritten``
        (the same on the hand-written rows, when there is an ``origin`` column),
        ``fold_macro_f``, ``macro_f_std``, ``n_splits`` and ``grouping``
        (``"target"`` or ``"none"``).
    """
    frame = _as_corpus(data)
    texts = frame["text"].to_numpy(dtype=object)
    labels = frame["label"].to_numpy(dtype=object)
    groups = _cv_groups(frame)
    if groups is not None and len(set(groups.tolist())) >= n_splits:
        splitter = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=random_state)
        folds = splitter.split(texts, labels, groups)
        grouping = "target"
    else:
        splitter = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=random_state)
        folds = splitter.split(texts, labels)
        grouping = "none"
    predicted = np.empty(len(frame), dtype=object)
    fold_scores = []
    for train_index, test_index in folds:
        model = model_factory()
        model.fit(texts[train_index].tolist(), labels[train_index])
        predicted[test_index] = model.predict(texts[test_index].tolist())
        fold_scores.append(macro_f(labels[test_index], predicted[test_index]))
    lang = frame["lang"].to_numpy(dtype=object) if "lang" in frame else None
    scores = stance_scores(labels, predicted, lang)
    if "origin" in frame:
        mask = (frame["origin"] == "handwritten").to_numpy()
        scores["handwritten"] = stance_scores(
            labels[mask], predicted[mask], None if lang is None else lang[mask]
        )
    scores.update(
        fold_macro_f=[float(s) for s in fold_scores],
        macro_f_std=float(np.std(fold_scores)),
        n_splits=n_splits,
        grouping=grouping,
    )
    return scores


def evaluate_stance(
    model_factory: Callable[[], Any],
    train: pd.DataFrame | str | os.PathLike,
    test: pd.DataFrame | str | os.PathLike,
    *,
    n_splits: int = 5,
    random_state: int = 0,
    lexicon: Mapping[str, Iterable[str]] | None = None,
) -> dict:
    """Score a stance model on a held-out split next to two baselines.

    Parameters
    ----------
    model_factory : callable
        Returns a new unfitted estimator (e.g. ``OppositionClassifier``).
    train, test : DataFrame or path
        Training and held-out corpora (``text``, ``label``; ``lang`` and ``origin``
        used when present).
    n_splits : int, default 5
        Folds of the cross-validation on ``train``; ``0`` skips it.
    random_state : int, default 0
        Seed of the cross-validation folds.
    lexicon : dict, optional
        Lexicon of the lexicon-only baseline; default the shipped one.

    Returns
    -------
    dict
        ``heldout``: {``model``, ``majority``, ``lexicon``} each a
        :func:`stance_scores` dict on ``test``; ``heldout_handwritten``: the same on the
        hand-written rows of ``test`` (when it has an ``origin`` column);
        ``cv_train``: :func:`cross_validate_stance` on ``train`` (or None);
        ``majority_label``, ``n_train``, ``n_test`` and ``fit_seconds``.
    """
    train = _as_corpus(train)
    test = _as_corpus(test)
    y_train = train["label"].to_numpy(dtype=object)
    y_test = test["label"].to_numpy(dtype=object)
    lang = test.get("lang")

    start = time.perf_counter()
    model = model_factory()
    model.fit(train["text"].tolist(), y_train)
    fit_seconds = time.perf_counter() - start
    predictions = {
        "model": np.asarray(model.predict(test["text"].tolist()), dtype=object),
        "majority": DummyClassifier(strategy="most_frequent")
        .fit(np.zeros((len(train), 1)), y_train)
        .predict(np.zeros((len(test), 1))),
        "lexicon": LexiconBaseline(lexicon=lexicon).fit().predict(test["text"]),
    }
    result: dict[str, Any] = {
        "heldout": {name: stance_scores(y_test, p, lang) for name, p in predictions.items()},
        "majority_label": str(pd.Series(y_train).mode().iloc[0]) if len(y_train) else None,
        "n_train": len(train),
        "n_test": len(test),
        "fit_seconds": round(fit_seconds, 3),
    }
    if "origin" in test:
        mask = (test["origin"] == "handwritten").to_numpy()
        sub_lang = None if lang is None else lang[mask]
        result["heldout_handwritten"] = {
            name: stance_scores(y_test[mask], p[mask], sub_lang) for name, p in predictions.items()
        }
    result["cv_train"] = (
        cross_validate_stance(model_factory, train, n_splits=n_splits, random_state=random_state)
        if n_splits
        else None
    )
    return result


# ------------------------------------------------------------ training and caching


def _jsonable(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    return repr(value)


def train_stance(
    data: pd.DataFrame | str | os.PathLike,
    out: str | os.PathLike | None = None,
    random_state: int = 0,
    *,
    n_splits: int = 5,
    params: Mapping[str, Any] | None = None,
) -> tuple[OppositionClassifier, dict]:
    """Cross-validate and fit an :class:`OppositionClassifier` on a labeled corpus.

    Parameters
    ----------
    data : DataFrame or path
        Corpus with ``text`` and ``label`` (``lang`` and ``target`` used if present);
        every row is used for the final fit.
    out : path, optional
        If given, the model is saved there with :func:`save_model`, the report as its
        metadata.
    random_state : int, default 0
        Seed of the model and of the cross-validation folds.
    n_splits : int, default 5
        Folds of :func:`cross_validate_stance`; ``0`` skips cross-validation.
    params : dict, optional
        Further :class:`OppositionClassifier` parameters.

    Returns
    -------
    model : OppositionClassifier
        Fitted on all rows of ``data``.
    report : dict
        ``n_examples``, ``labels``, ``langs``, ``corpus_sha256``, ``params``, ``cv``
        (or None), ``cv_seconds``, ``fit_seconds``, ``sklearn_version``.
    """
    frame = _as_corpus(data)
    template = OppositionClassifier(random_state=random_state, **dict(params or {}))
    start = time.perf_counter()
    cv = (
        cross_validate_stance(
            lambda: clone(template), frame, n_splits=n_splits, random_state=random_state
        )
        if n_splits
        else None
    )
    cv_seconds = time.perf_counter() - start
    start = time.perf_counter()
    model = clone(template).fit(frame["text"].tolist(), frame["label"].to_numpy(dtype=object))
    fit_seconds = time.perf_counter() - start
    report = {
        "n_examples": len(frame),
        "labels": {k: int(v) for k, v in frame["label"].value_counts().sort_index().items()},
        "langs": (
            {k: int(v) for k, v in frame["lang"].value_counts().sort_index().items()}
            if "lang" in frame
            else {}
        ),
        "corpus_sha256": corpus_checksum(frame),
        "random_state": random_state,
        "params": json.loads(json.dumps(template.get_params(), default=_jsonable)),
        "cv": cv,
        "cv_seconds": round(cv_seconds, 3),
        "fit_seconds": round(fit_seconds, 3),
        "sklearn_version": sklearn.__version__,
    }
    logger.info(
        "trained stance model on %d posts in %.1f s (cv macro-F %s)",
        len(frame),
        fit_seconds,
        "skipped" if cv is None else f"{cv['macro_f']:.3f}",
    )
    if out is not None:
        save_model(model, out, metadata=report)
    return model, report


def _metadata_path(path: Path) -> Path:
    return path.with_suffix(".json")


def _atomic_write(path: Path, write: Callable[[Any], None]) -> None:
    """Write ``path`` through a temporary file in the same directory, then rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = None
    try:
        with tempfile.NamedTemporaryFile(
            dir=path.parent, prefix=f".{path.name}.", suffix=".tmp", delete=False
        ) as handle:
            temporary = Path(handle.name)
            write(handle)
        os.replace(temporary, path)
    except BaseException:
        if temporary is not None:
            temporary.unlink(missing_ok=True)
        raise


def save_model(model: Any, path: str | os.PathLike, metadata: Mapping | None = None) -> Path:
    """Save a fitted model with joblib and a JSON sidecar of metadata.

    Both files are written atomically (temporary file + rename), so a concurrent
    reader never sees half a file.

    Parameters
    ----------
    model : estimator
        A fitted model.
    path : path
        Model file (e.g. ``stance.joblib``); the metadata goes to the same path with
        suffix ``.json``.
    metadata : dict, optional
        Extra metadata (metrics, corpus checksum, ...), merged over the defaults
        ``format``, ``estimator``, ``classes``, ``sklearn_version``,
        ``numpy_version``, ``pandas_version``, ``python_version`` and ``saved_at``.

    Returns
    -------
    Path
        The model path.
    """
    path = Path(path)
    meta = {
        "format": MODEL_FORMAT,
        "estimator": type(model).__name__,
        "classes": [str(c) for c in getattr(model, "classes_", [])],
        "sklearn_version": sklearn.__version__,
        "numpy_version": np.__version__,
        "pandas_version": pd.__version__,
        "python_version": platform.python_version(),
        "saved_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    meta.update(metadata or {})
    payload = json.dumps(meta, indent=2, sort_keys=True, default=_jsonable).encode("utf-8")
    _atomic_write(path, lambda handle: joblib.dump(model, handle, compress=3))
    _atomic_write(_metadata_path(path), lambda handle: handle.write(payload))
    return path


def load_model_metadata(path: str | os.PathLike) -> dict:
    """Metadata sidecar of a saved model (``{}`` when there is none).

    Parameters
    ----------
    path : path
        The model file given to :func:`save_model`.

    Returns
    -------
    dict
        The metadata.
    """
    meta_path = _metadata_path(Path(path))
    if not meta_path.is_file():
        return {}
    return json.loads(meta_path.read_text(encoding="utf-8"))


def load_model(path: str | os.PathLike) -> Any:
    """Load a model saved by :func:`save_model`.

    Loading unpickles the file: only load models from a directory you trust.

    Parameters
    ----------
    path : path
        The model file.

    Returns
    -------
    estimator
        The fitted model.

    Raises
    ------
    FileNotFoundError
        If there is no model at ``path``.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"no stance model at {path}; train one with train_stance(..., out=path) "
            "or use load_default_model()"
        )
    saved_with = load_model_metadata(path).get("sklearn_version")
    if saved_with and saved_with != sklearn.__version__:
        warnings.warn(
            f"{path} was saved with scikit-learn {saved_with}, this is "
            f"{sklearn.__version__}; retrain it if predictions look wrong",
            UserWarning,
            stacklevel=2,
        )
    return joblib.load(path)


def default_cache_dir(cache_dir: str | os.PathLike | None = None) -> Path:
    """Directory of the cached default model.

    Parameters
    ----------
    cache_dir : path, optional
        Returned as given when set (the pipeline passes ``$PROTESTWATCH_HOME/models``
        from its settings); otherwise ``.protestwatch/models`` under the current
        directory. Models never read the environment themselves.

    Returns
    -------
    Path
        The directory (not created).
    """
    if cache_dir is not None:
        return Path(cache_dir)
    return Path(".protestwatch") / "models"


def _default_fingerprint() -> str:
    """Hash of everything the default model is built from (code, corpus, lexicon...)."""
    digest = hashlib.sha256(f"format={MODEL_FORMAT};sklearn={sklearn.__version__}".encode())
    for path in (Path(__file__), CORPUS_PATH, *LEXICON_PATHS, TARGETS_PATH):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def load_default_model(
    cache_dir: str | os.PathLike | None = None, *, retrain: bool = False
) -> OppositionClassifier:
    """The default stance model, trained on the whole shipped corpus and cached.

    The model is read from ``<cache_dir>/stance-default.joblib`` when its metadata
    says it was built by this scikit-learn version from the same code, corpus,
    lexicon and targets. Otherwise — missing, stale, or unreadable — it is retrained
    deterministically (``random_state=0``, no cross-validation: a few seconds) and
    written there atomically (if the directory cannot be written, a warning is logged
    and the model is returned uncached). The cache file is unpickled: keep the
    directory private.

    Parameters
    ----------
    cache_dir : path, optional
        Directory of the cached model; default :func:`default_cache_dir`.
    retrain : bool, default False
        Retrain and overwrite the cache even when it is fresh.

    Returns
    -------
    OppositionClassifier
        The fitted default model.
    """
    path = default_cache_dir(cache_dir) / DEFAULT_MODEL_FILE
    fingerprint = _default_fingerprint()
    if not retrain and path.is_file():
        try:
            meta = load_model_metadata(path)
            if meta.get("fingerprint") == fingerprint:
                model = load_model(path)
                if isinstance(model, OppositionClassifier):
                    return model
            logger.info("cached stance model %s is stale; retraining", path)
        except Exception as exc:  # a corrupt cache is rebuilt, never fatal
            logger.warning("cached stance model %s is unreadable (%s); retraining", path, exc)
    corpus = load_stance_corpus()
    model, report = train_stance(corpus, random_state=0, n_splits=0)
    try:
        save_model(
            model, path, metadata={**report, "fingerprint": fingerprint, "corpus": "shipped"}
        )
    except OSError as exc:  # a read-only cache costs a retrain per process, not a failure
        logger.warning("could not cache the stance model in %s (%s)", path.parent, exc)
    return model
