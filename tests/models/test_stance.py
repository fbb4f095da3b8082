"""Stance classifier, its features, the shipped corpus and the default model."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sklearn
from sklearn.base import clone

from models.stance import (
    DEFAULT_MODEL_FILE,
    LABELS,
    LexiconBaseline,
    OppositionClassifier,
    cross_validate_stance,
    evaluate_stance,
    lexicon_counts,
    load_default_model,
    load_default_targets,
    load_model,
    load_model_metadata,
    load_stance_corpus,
    macro_f,
    mark_negation,
    mentioned_targets,
    negation_tokens,
    split_heldout,
    train_stance,
)
from models.stance_corpus import CORPUS_PATH, build_stance_corpus

pytestmark = pytest.mark.unit

TARGETS = {
    "gouvernement": ["gouvernement", "@gouvernementFR"],
    "plf2013": ["PLF2013", "projet de loi de finances"],
    "retraites": ["âge légal"],
}

TINY = pd.DataFrame(
    [
        ("Non à la réforme, retrait immédiat !", "against"),
        ("Cette taxe est une honte, on ne lâche rien", "against"),
        ("Je ne soutiens pas ce projet de loi", "against"),
        ("Scrap the bedroom tax now, it's a disgrace", "against"),
        ("I will never support this bill", "against"),
        ("Bravo au gouvernement pour cette réforme", "favour"),
        ("Je soutiens le budget, bonne mesure", "favour"),
        ("Je ne suis pas contre la réforme, bien au contraire", "favour"),
        ("I fully support the new tax, good decision", "favour"),
        ("Proud of this government, the right call", "favour"),
        ("Le Sénat examine le texte mardi", "none"),
        ("Quelqu'un a le détail du projet ?", "none"),
        ("Il pleut encore à Brest", "none"),
        ("MPs will debate the bill on Tuesday", "none"),
        ("Anyone know a good pizza place?", "none"),
    ],
    columns=["text", "label"],
)


# ------------------------------------------------------------------ negation


def test_negation_marks_three_tokens_after_each_cue_in_french():
    assert negation_tokens("Je ne soutiens pas ce projet de loi.") == [
        "je",
        "ne",
        "NEG_soutiens",
        "pas",
        "NEG_ce",
        "NEG_projet",
        "NEG_de",
        "loi",
        ".",
    ]


def test_negation_splits_english_nt_and_stops_at_punctuation():
    assert negation_tokens("I don't support it, really") == [
        "i",
        "do",
        "n't",
        "NEG_support",
        "NEG_it",
        ",",
        "really",
    ]


def test_negation_splits_elisions_and_strips_accents():
    assert negation_tokens("Je n'accepte pas l’écotaxe") == [
        "je",
        "n'",
        "NEG_accepte",
        "pas",
        "NEG_l'",
        "NEG_ecotaxe",
    ]


def test_negation_scope_is_a_parameter_and_punctuation_closes_it():
    text = "Non, c'est juste. Pas question de reculer"
    assert negation_tokens(text, scope=1) == [
        "non",
        ",",
        "c'",
        "est",
        "juste",
        ".",
        "pas",
        "NEG_question",
        "de",
        "reculer",
    ]
    assert mark_negation([text], scope=0) == ["non , c' est juste . pas question de reculer"]


def test_consecutive_cues_are_not_marked():
    assert negation_tokens("ne pas ne jamais") == ["ne", "pas", "ne", "jamais"]


# ------------------------------------------------------------------- lexicon


def test_lexicon_counts_plain_and_negated_cues():
    counts = lexicon_counts(
        [
            "Non à la réforme, c'est un scandale !",
            "Je ne suis pas contre la réforme",
            "Je ne soutiens pas ce projet",
            "Bravo et merci, je suis fier",
            "#StopEcotaxe, on ne lâche rien",
            "I don't support it",
            "Not against it at all",
            "Il pleut à Brest",
        ]
    )
    assert list(counts.columns) == ["against", "favour", "against_negated", "favour_negated"]
    assert counts.to_numpy().tolist() == [
        [2, 0, 0, 0],
        [0, 0, 1, 0],
        [0, 0, 0, 1],
        [0, 3, 0, 0],
        [2, 0, 0, 0],
        [0, 0, 0, 1],
        [0, 0, 1, 0],
        [0, 0, 0, 0],
    ]


def test_custom_lexicon_wildcards_phrases_and_case():
    lexicon = {"against": ["retrait*"], "favour": ["oui à", "oui aux"]}
    counts = lexicon_counts(["Retraitez ce texte ! Oui à la raison, OUI AUX idées"], lexicon)
    assert counts.iloc[0].tolist() == [1, 2, 0, 0]


def test_lexicon_baseline_counts_negated_cues_for_the_other_side():
    predicted = (
        LexiconBaseline()
        .fit()
        .predict(
            [
                "Non à la réforme, c'est un scandale !",
                "Je ne suis pas contre la réforme",
                "Je ne soutiens pas ce projet",
                "Il pleut à Brest",
            ]
        )
    )
    assert predicted.tolist() == ["against", "favour", "against", "none"]


# ------------------------------------------------------------------- targets


def test_target_mentions_ignore_case_and_accents_and_match_hashtags_and_handles():
    texts = [
        "Le GOUVERNEMENT recule sur le #plf2013",
        "Projet de Loi de Finances : l'age legal",
        "Un choix gouvernemental",
        "@GouvernementFR répondez",
        "rien à voir",
    ]
    assert mentioned_targets(texts, TARGETS) == [
        ["gouvernement", "plf2013"],
        ["plf2013", "retraites"],
        [],
        ["gouvernement"],
        [],
    ]


def test_classifier_reports_targets_without_being_fitted():
    model = OppositionClassifier(targets=TARGETS)
    assert model.mentioned_targets(["Retrait du PLF2013 !"]) == [["plf2013"]]


def test_default_targets_cover_the_reference_case():
    targets = load_default_targets()
    assert {"gouvernement", "plf2013"} <= set(targets)
    assert mentioned_targets(["Non au projet de loi de finances, Moscovici !"]) == [
        ["gouvernement", "plf2013"]
    ]


# ---------------------------------------------------------------- classifier


def test_fit_predict_is_deterministic():
    first = OppositionClassifier(targets=TARGETS).fit(TINY["text"], TINY["label"])
    second = OppositionClassifier(targets=TARGETS).fit(TINY["text"].tolist(), TINY["label"])
    assert first.classes_.tolist() == list(LABELS)
    texts = ["Retrait du PLF2013 !", "Bravo pour ce budget", "Réunion mardi"]
    np.testing.assert_array_equal(first.predict_proba(texts), second.predict_proba(texts))
    assert set(first.predict(texts)) <= set(LABELS)
    assert first.predict([]).shape == (0,)


def test_clone_and_get_params_round_trip():
    model = OppositionClassifier(targets=TARGETS, C=3.0, negation_scope=2)
    twin = clone(model)
    assert twin.get_params() == model.get_params()
    assert twin.set_params(C=0.5).C == 0.5
    fitted = model.fit(TINY["text"], TINY["label"])
    assert not hasattr(clone(fitted), "pipeline_")


def test_predict_frame_gives_stance_probabilities_and_targets():
    model = OppositionClassifier(targets=TARGETS).fit(TINY["text"], TINY["label"])
    frame = model.predict_frame(["Retrait du PLF2013 !", "Il pleut"])
    assert list(frame.columns) == ["stance", "p_against", "p_favour", "p_none", "targets"]
    np.testing.assert_allclose(frame[["p_against", "p_favour", "p_none"]].sum(axis=1), 1.0)
    assert frame["targets"].tolist() == [["plf2013"], []]


def test_fit_rejects_mismatched_lengths():
    with pytest.raises(ValueError, match="labels"):
        OppositionClassifier().fit(["a", "b"], ["none"])


# ---------------------------------------------------------------- evaluation


def test_macro_f_is_the_mean_of_against_and_favour_f1():
    y_true = ["against", "against", "against", "favour", "favour", "none", "none", "none"]
    y_pred = ["against", "against", "favour", "favour", "none", "none", "against", "none"]
    # against: P = 2/3, R = 2/3 -> F = 2/3; favour: P = 1/2, R = 1/2 -> F = 1/2
    assert macro_f(y_true, y_pred) == pytest.approx((2 / 3 + 1 / 2) / 2)
    assert macro_f(["none", "none"], ["none", "none"]) == 0.0


@pytest.fixture(scope="module")
def corpus():
    return load_stance_corpus()


@pytest.fixture(scope="module")
def small_corpus(corpus):
    """A stratified sample of the corpus, small enough for quick fits."""
    return corpus.groupby(["lang", "label"]).sample(frac=0.18, random_state=0)


def test_evaluate_reports_model_and_both_baselines(small_corpus):
    train, test = split_heldout(small_corpus)
    result = evaluate_stance(OppositionClassifier, train, test, n_splits=3)
    heldout = result["heldout"]
    assert set(heldout) == {"model", "majority", "lexicon"}
    assert set(heldout["model"]["by_lang"]) == {"fr", "en"}
    assert result["heldout_handwritten"]["model"]["n"] == (test["origin"] == "handwritten").sum()
    assert result["cv_train"]["grouping"] == "target"
    assert heldout["model"]["macro_f"] > heldout["majority"]["macro_f"]


def test_cross_validation_pools_out_of_fold_predictions(small_corpus):
    scores = cross_validate_stance(OppositionClassifier, small_corpus, n_splits=3)
    assert scores["n"] == len(small_corpus)
    assert len(scores["fold_macro_f"]) == 3
    assert 0.0 <= scores["macro_f"] <= 1.0


# ----------------------------------------------------------------- persistence


def test_train_save_load_round_trip_gives_identical_predictions(small_corpus, tmp_path):
    path = tmp_path / "stance.joblib"
    model, report = train_stance(small_corpus, out=path, n_splits=0)
    loaded = load_model(path)
    texts = [*small_corpus["text"].tolist()[:50], "Retrait du PLF2013 !", "Scrap it."]
    np.testing.assert_array_equal(loaded.predict_proba(texts), model.predict_proba(texts))
    meta = load_model_metadata(path)
    assert meta["sklearn_version"] == sklearn.__version__
    assert meta["corpus_sha256"] == report["corpus_sha256"]
    assert meta["cv"] is None and meta["n_examples"] == len(small_corpus)


def test_load_model_explains_a_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="train_stance"):
        load_model(tmp_path / "missing.joblib")


@pytest.fixture(scope="module")
def default_cache(tmp_path_factory):
    return tmp_path_factory.mktemp("stance-cache")


@pytest.fixture(scope="module")
def default_model(default_cache):
    return load_default_model(cache_dir=default_cache)


UNSEEN = {
    "against": [
        "Non à cette nouvelle taxe injuste, retrait immédiat !",
        "Ce budget est une honte, je suis totalement contre.",
        "Scrap this unfair tax now!",
        "This bill is a disgrace. I will never support it.",
    ],
    "favour": [
        "Excellente mesure, enfin une décision courageuse, je suis pour.",
        "I fully support this reform, it's the right decision.",
    ],
    "none": [
        "Le Sénat examinera le texte mardi prochain.",
        "The committee will publish its report on Thursday.",
        "Lovely weather for a picnic in the park today.",
    ],
}


def test_default_model_labels_clear_unseen_posts(default_model, corpus):
    known = set(corpus["text"].str.casefold())
    for label, texts in UNSEEN.items():
        assert not any(t.casefold() in known for t in texts)
        assert default_model.predict(texts).tolist() == [label] * len(texts), label


def test_default_model_is_cached_and_reloaded(default_model, default_cache):
    path = default_cache / DEFAULT_MODEL_FILE
    meta = load_model_metadata(path)
    assert meta["sklearn_version"] == sklearn.__version__
    assert meta["corpus"] == "shipped" and meta["fingerprint"]
    before = path.stat().st_mtime_ns
    again = load_default_model(cache_dir=default_cache)
    assert path.stat().st_mtime_ns == before
    texts = UNSEEN["against"] + UNSEEN["favour"]
    np.testing.assert_array_equal(again.predict_proba(texts), default_model.predict_proba(texts))


def test_stale_default_model_is_retrained(default_model, default_cache):
    path = default_cache / DEFAULT_MODEL_FILE
    meta_path = path.with_suffix(".json")
    meta = json.loads(meta_path.read_text())
    meta["fingerprint"] = "built by another scikit-learn"
    meta_path.write_text(json.dumps(meta))
    retrained = load_default_model(cache_dir=default_cache)
    assert load_model_metadata(path)["fingerprint"] != "built by another scikit-learn"
    texts = UNSEEN["none"]
    np.testing.assert_allclose(retrained.predict_proba(texts), default_model.predict_proba(texts))


def test_default_cache_dir_ignores_the_environment(monkeypatch, tmp_path):
    from models.stance import default_cache_dir

    monkeypatch.setenv("PROTESTWATCH_HOME", str(tmp_path))
    assert default_cache_dir() == Path(".protestwatch") / "models"
    assert default_cache_dir(tmp_path / "x") == tmp_path / "x"


# -------------------------------------------------------------------- corpus


def test_shipped_corpus_is_rebuilt_identically_from_its_sources(corpus):
    shipped = pd.read_csv(CORPUS_PATH, dtype=str, keep_default_na=False)
    pd.testing.assert_frame_equal(shipped, build_stance_corpus())
    assert len(corpus) >= 1500
    assert 0.65 <= (corpus["lang"] == "fr").mean() <= 0.75
    assert set(corpus["label"]) == set(LABELS)
    assert not corpus["text"].str.casefold().duplicated().any()


def test_heldout_split_shares_no_topic_and_no_template_with_training(corpus):
    train, heldout = split_heldout(corpus)
    on_topic = train["target"] != ""
    assert not set(train.loc[on_topic, "target"]) & set(heldout["target"])
    templates = corpus[corpus["origin"] != "handwritten"]
    per_template = templates.groupby("origin")["split"].nunique()
    assert (per_template == 1).all()
    assert not set(train["text"].str.casefold()) & set(heldout["text"].str.casefold())
