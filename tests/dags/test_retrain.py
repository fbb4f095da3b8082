"""protestwatch_retrain promotes a candidate only when it is not worse than the current."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
import sqlalchemy as sa

from tests.dags.support import run_dag, task_instances

pytestmark = pytest.mark.dag


def _digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def labeled(tmp_path_factory):
    """Small training and held-out CSVs cut from the shipped corpus, plus a copy of the
    training rows with shuffled labels, and a weak model trained on 30 rows."""
    from models.stance import load_stance_corpus, save_model, split_heldout, train_stance

    out = tmp_path_factory.mktemp("labeled")
    train, heldout = split_heldout(load_stance_corpus())
    train = train.groupby("label").sample(n=100, random_state=0).drop(columns="split")
    heldout = heldout.sample(n=150, random_state=0).drop(columns="split")
    shuffled = train.assign(label=np.random.default_rng(0).permutation(train["label"].to_numpy()))
    paths = {"train": out / "train.csv", "heldout": out / "heldout.csv"}
    paths["shuffled"] = out / "shuffled.csv"
    train.to_csv(paths["train"], index=False)
    heldout.to_csv(paths["heldout"], index=False)
    shuffled.to_csv(paths["shuffled"], index=False)
    weak, report = train_stance(train.groupby("label").head(10), n_splits=0)
    paths["weak"] = save_model(weak, out / "weak.joblib", metadata=report)
    return paths


def _decisions(engine) -> list:
    with engine.connect() as conn:
        return conn.execute(
            sa.text(
                "SELECT run_id, promoted, candidate_macro_f, current_macro_f, current_model, "
                "model_path, n_train, n_heldout FROM model_promotions ORDER BY decision_id"
            )
        ).all()


def test_retrain_promotes_only_when_not_worse(
    dagbag, db_env, engine, labeled, tmp_path, monkeypatch
):
    from models.stance import load_model_metadata
    from pipeline.detect import Models
    from pipeline.operations import promote_if_not_worse

    current = tmp_path / "stance-current.joblib"
    current.write_bytes(labeled["weak"].read_bytes())
    current.with_suffix(".json").write_bytes(labeled["weak"].with_suffix(".json").read_bytes())
    monkeypatch.setenv("PROTESTWATCH_STANCE_MODEL", str(current))
    weak_version = Models.load().stance_version

    conf = {"corpus": str(labeled["train"]), "heldout": str(labeled["heldout"])}
    better = run_dag(dagbag, "protestwatch_retrain", "2012-10-07T00:00Z", conf)
    assert better.state == "success"
    assert set(task_instances(better).values()) == {("success", 1)}
    (decision,) = _decisions(engine)
    assert decision.run_id == better.run_id and decision.promoted
    assert decision.candidate_macro_f >= decision.current_macro_f
    assert (decision.current_model, decision.model_path) == (str(current), str(current))
    assert (decision.n_train, decision.n_heldout) == (300, 150)
    assert load_model_metadata(current)["promotion"]["run_id"] == better.run_id
    assert Models.load().stance_version != weak_version  # detect now loads the new model
    promoted = _digest(current)

    conf["corpus"] = str(labeled["shuffled"])  # same held-out rows, nonsense training labels
    worse = run_dag(dagbag, "protestwatch_retrain", "2012-10-14T00:00Z", conf)
    assert worse.state == "success"
    decision = _decisions(engine)[-1]
    assert decision.run_id == worse.run_id and not decision.promoted
    assert decision.candidate_macro_f < decision.current_macro_f
    assert _digest(current) == promoted  # the promoted model stays

    # a rerun of the promote task returns the recorded decision, whatever it is given
    rerun = promote_if_not_worse(
        engine, {"candidate_macro_f": 1.0, "current_macro_f": 0.0}, worse.run_id
    )
    assert not rerun["promoted"] and _digest(current) == promoted
    assert len(_decisions(engine)) == 2
