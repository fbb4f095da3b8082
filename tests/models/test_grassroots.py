"""GrassrootsScorer and the institutional accounts list: hand-made movements."""

from __future__ import annotations

import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils.estimator_checks import (
    check_get_params_invariance,
    check_no_attributes_set_in_init,
    check_parameters_default_constructible,
    check_set_params,
)

from models.grassroots import KINDS, GrassrootsScorer, load_institutional_accounts

pytestmark = pytest.mark.unit


def authors(rows):
    """``movement_authors`` from ``(movement_id, author_uid, posts, handle)`` tuples."""
    return pd.DataFrame(rows, columns=["movement_id", "author_uid", "posts", "author_handle"])


def interactions(rows):
    return pd.DataFrame(rows, columns=["src_author_uid", "dst_author_uid", "kind"])


# three movements with 0 %, 50 % and 100 % of their posts by institutional accounts
MOVEMENTS = authors(
    [
        ("citizens", "x:1", 3, "jeanne_dupont"),
        ("citizens", "x:2", 1, "paul75"),
        ("mixed", "x:3", 2, "Elysee"),  # casefolded: elysee
        ("mixed", "x:4", 2, "startupper"),
        ("official", "x:5", 4, "@Economie_Gouv"),
        ("official", "x:6", 4, "lemondefr"),
    ]
)


def scores_of(scorer, *args):
    return scorer.fit(*args).movement_scores_.set_index("movement_id")


def test_output_columns():
    scores = GrassrootsScorer().fit(MOVEMENTS).movement_scores_
    assert list(scores.columns) == [
        "movement_id",
        "institutional_authors",
        "institutional_post_share",
        "institutional_amplification",
        "bypass",
        "grassroots",
    ]


def test_institutional_shares_and_grassroots_ordering():
    scores = scores_of(GrassrootsScorer(), MOVEMENTS)
    assert scores["institutional_authors"].to_dict() == {"citizens": 0, "mixed": 1, "official": 2}
    assert scores["institutional_post_share"].to_dict() == {
        "citizens": 0.0,
        "mixed": 0.5,
        "official": 1.0,
    }
    # no interactions: nothing went through an intermediary
    assert (scores["bypass"] == 1.0).all()
    assert scores["grassroots"].to_dict() == {"citizens": 1.0, "mixed": 0.5, "official": 0.0}
    assert scores.loc["citizens", "grassroots"] > scores.loc["mixed", "grassroots"]
    assert scores.loc["mixed", "grassroots"] > scores.loc["official", "grassroots"]


def test_amplification_and_bypass_from_interactions():
    edges = interactions(
        [
            ("x:1", "x:2", "repost"),  # citizen to citizen
            ("x:2", "x:9", "repost"),  # to the government account x:9
            ("x:1", "x:9", "quote"),
            ("x:2", "x:8", "mention"),  # an ordinary account outside the movement
            ("x:4", "x:3", "repost"),  # mixed: repost of the Élysée
            ("x:4", "x:7", "reply"),
        ]
    )
    handles = pd.DataFrame(
        {"author_uid": ["x:9", "x:8"], "author_handle": ["gouvernementFR", "bob"]}
    )
    scores = scores_of(GrassrootsScorer(), MOVEMENTS, edges, handles)
    # citizens: 3 reposts/quotes, 2 to an institution; 4 interactions, 2 through one
    assert scores.loc["citizens", "institutional_amplification"] == pytest.approx(2 / 3)
    assert scores.loc["citizens", "bypass"] == pytest.approx(1 - 2 / 4)
    assert scores.loc["citizens", "grassroots"] == pytest.approx(1.0 * 0.5)
    assert scores.loc["mixed", "institutional_amplification"] == pytest.approx(1.0)
    assert scores.loc["mixed", "bypass"] == pytest.approx(0.5)
    assert scores.loc["mixed", "grassroots"] == pytest.approx(0.5 * 0.5)
    # official has no interactions
    assert scores.loc["official", "institutional_amplification"] == 0.0
    assert scores.loc["official", "bypass"] == 1.0


def test_interactions_with_movement_id_are_used_as_given():
    edges = interactions([("x:1", "x:9", "repost"), ("x:1", "x:2", "repost")])
    edges["movement_id"] = ["mixed", "citizens"]
    handles = pd.DataFrame({"author_uid": ["x:9"], "author_handle": ["Matignon"]})
    scores = scores_of(GrassrootsScorer(), MOVEMENTS, edges, handles)
    assert scores.loc["citizens", "bypass"] == 1.0
    assert scores.loc["mixed", "institutional_amplification"] == 1.0


def test_handles_are_compared_casefolded_without_at_sign():
    rows = authors([("m", "x:1", 1, "@ELYSEE"), ("m", "x:2", 1, "LeMondeFR"), ("m", "x:3", 2, "a")])
    scores = scores_of(GrassrootsScorer(), rows)
    assert scores.loc["m", "institutional_authors"] == 2
    assert scores.loc["m", "institutional_post_share"] == pytest.approx(0.5)


def test_pseudonymised_data_uses_author_uids():
    rows = authors([("m", "h:3f9a", 3, "3f9a"), ("m", "h:77c1", 1, "77c1")])
    assert scores_of(GrassrootsScorer(), rows).loc["m", "institutional_authors"] == 0
    scorer = GrassrootsScorer(institutional_author_uids={"h:3f9a"})
    scores = scores_of(scorer, rows)
    assert scores.loc["m", "institutional_post_share"] == pytest.approx(0.75)
    assert list(scorer.institutional_uids_) == ["h:3f9a"]


def test_custom_handle_list_replaces_the_shipped_one():
    scores = scores_of(GrassrootsScorer(institutional_handles=["paul75"]), MOVEMENTS)
    assert scores["institutional_authors"].to_dict() == {"citizens": 1, "mixed": 0, "official": 0}


def test_transform_needs_fit():
    with pytest.raises(NotFittedError):
        GrassrootsScorer().transform(MOVEMENTS)


def test_shipped_list_is_well_formed():
    accounts = load_institutional_accounts()
    assert list(accounts.columns) == ["handle", "kind", "name", "country"]
    assert 60 <= len(accounts) <= 130
    assert set(accounts["kind"]) == set(KINDS)
    folded = accounts["handle"].str.casefold()
    assert not folded.duplicated().any()
    assert {"elysee", "gouvernementfr", "lemondefr", "cfdt", "partisocialiste", "medef"} <= set(
        folded
    )
    assert accounts["handle"].str.fullmatch(r"[A-Za-z0-9_]{1,15}").all()  # valid X handles
    assert (accounts["country"] == "FR").mean() > 0.5


def test_custom_list_file(tmp_path):
    path = tmp_path / "accounts.csv"
    path.write_text("handle,kind,name,country\n@Mairie,Institution,Mairie,FR\n", encoding="utf-8")
    accounts = load_institutional_accounts(path)
    assert accounts.to_dict("records") == [
        {"handle": "Mairie", "kind": "institution", "name": "Mairie", "country": "FR"}
    ]
    path.write_text("handle,kind,name,country\nx,blogger,X,FR\n", encoding="utf-8")
    with pytest.raises(ValueError, match="blogger"):
        load_institutional_accounts(path)


def test_clone_and_params_round_trip():
    scorer = GrassrootsScorer(institutional_handles=("elysee",), amplification_kinds=("repost",))
    assert clone(scorer).get_params() == scorer.get_params()
    check_no_attributes_set_in_init("GrassrootsScorer", GrassrootsScorer())
    check_get_params_invariance("GrassrootsScorer", GrassrootsScorer())
    check_set_params("GrassrootsScorer", GrassrootsScorer())
    check_parameters_default_constructible("GrassrootsScorer", GrassrootsScorer())
