"""Normalisation of record chunks: given records in, expected clean rows out."""

import pandas as pd
import pytest

from pipeline.normalize import canonical_url, normalize_chunk, normalize_tag, pseudonymise
from pipeline.sources.base import Record

pytestmark = pytest.mark.unit


def record(post_id="1", created_at="2012-10-01T08:00:00.000Z", **fields) -> Record:
    fields.setdefault("text", "Non au #PLF2013")
    return Record(
        "x",
        post_id,
        fields.pop("author_uid", "x:9"),
        created_at,
        source="f.jsonl",
        line=int(post_id),
        **fields,
    )


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Réforme", "reforme"),
        ("#REFORME", "reforme"),
        ("LesPigeons", "lespigeons"),
        ("Çà", "ca"),
        ("ßtraße", "sstrasse"),
    ],
)
def test_hashtags_fold_case_and_accents(raw, expected):
    assert normalize_tag(raw) == expected


def test_urls_are_canonicalised():
    assert (
        canonical_url("HTTPS://Example.FR:443/a?utm_source=tw&id=3#top")
        == "https://example.fr/a?id=3"
    )
    assert canonical_url("http://ex.com") == "http://ex.com/"
    assert canonical_url("not a url") == "not a url"


def test_text_loses_nul_and_control_characters_but_keeps_newlines():
    chunk = normalize_chunk([record(text="a\x00b\x07c\nd\u200b")])
    assert chunk.posts["text"].tolist() == ["abc\nd"]


def test_timestamps_become_utc_and_bad_ones_are_rejected_with_reason():
    records = [
        record("1", "2012-10-01T10:00:00+02:00"),
        record("2", 1349078400),
        record("3", "2012-10-01 08:00:00"),  # naive: taken as UTC
        record("4", "yesterday"),
        record("5", "1990-01-01T00:00:00Z"),
        record("6", None),
    ]
    chunk = normalize_chunk(records, now=pd.Timestamp("2020-01-01", tz="UTC"))
    assert chunk.posts["created_at"].tolist() == [pd.Timestamp("2012-10-01 08:00", tz="UTC")] * 3
    assert [(r.line, r.reason.split(":")[0]) for r in chunk.rejected] == [
        (4, "bad created_at")
    ] * 1 + [
        (5, "bad created_at"),
        (6, "bad created_at"),
    ]


def test_hashtags_deduplicated_per_post_on_their_folded_form():
    chunk = normalize_chunk([record(hashtags=["Réforme", "reforme", "#Pigeons", "   "])])
    assert sorted(chunk.hashtags["tag_norm"]) == ["pigeons", "reforme"]
    assert set(chunk.hashtags.columns) == {
        "post_uid",
        "created_at",
        "author_uid",
        "tag",
        "tag_norm",
    }


def test_interactions_drop_self_edges_and_duplicates():
    edges = [("x:8", "mention"), ("x:8", "mention"), ("x:9", "mention"), ("x:7", "repost")]
    chunk = normalize_chunk([record(interactions=edges)])
    assert sorted(
        zip(chunk.interactions["dst_author_uid"], chunk.interactions["kind"], strict=False)
    ) == [
        ("x:7", "repost"),
        ("x:8", "mention"),
    ]


def test_urls_become_postgres_array_literals_with_escaping():
    chunk = normalize_chunk([record(urls=['http://a.fr/"q"', "http://b.fr/x"]), record("2")])
    assert chunk.posts["urls"].tolist() == ['{"http://a.fr/\\"q\\"","http://b.fr/x"}', "{}"]


def test_missing_language_is_detected():
    chunk = normalize_chunk(
        [record(text="Le gouvernement doit retirer ce projet de loi injuste", lang=None)]
    )
    assert chunk.posts["lang"].tolist() == ["fr"]


def test_pseudonymisation_is_keyed_and_stable():
    values = pd.Series(["x:1", "x:2", "x:1", None])
    first = pseudonymise(values, b"secret")
    assert first[0] == first[2] and first[0] != first[1] and first[0].startswith("x:h")
    assert pd.isna(first[3])
    assert pseudonymise(values, b"other")[0] != first[0]


def test_pseudonymised_chunk_hides_ids_everywhere():
    chunk = normalize_chunk(
        [record(author_handle="bob", hashtags=["a"], interactions=[("x:8", "mention")])],
        pseudonymise_key=b"k",
    )
    assert "x:9" not in chunk.posts["author_uid"].tolist()
    assert chunk.posts["author_handle"][0] != "bob"
    assert chunk.hashtags["author_uid"][0] == chunk.posts["author_uid"][0]
    assert chunk.interactions["src_author_uid"][0] == chunk.posts["author_uid"][0]
    assert chunk.interactions["dst_author_uid"][0] != "x:8"
