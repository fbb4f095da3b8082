"""Generic CSV reader: documented columns, renames, hashtags, bad rows."""

from __future__ import annotations

import pytest

from pipeline.errors import InputError
from pipeline.sources import csv_generic
from pipeline.sources.base import Record
from tests.sources.conftest import by_id, split

pytestmark = pytest.mark.unit


def read(path, **options):
    with open(path, "rb") as handle:
        return split(csv_generic.read(handle, "src", **options))


def test_row_maps_every_documented_column(fixtures):
    records, _ = read(fixtures / "csv" / "posts.csv")
    assert by_id(records)["p1"] == Record(
        platform="facebook",
        post_id="p1",
        author_uid="facebook:a1",
        created_at="2012-09-29T21:03:00Z",
        text="Nous sommes tous des #geonpi !",
        author_handle="alice",
        author_followers=1200,
        author_created_at="2011-05-04",
        lang="fr",
        reply_to_uid=None,
        repost_of_uid=None,
        quote_of_uid=None,
        conversation_uid="facebook:p1",
        urls=["https://www.facebook.com/DefensePigeons", "https://example.org/x"],
        hashtags=["geonpi", "PLF2013"],
        interactions=[("facebook:a2", "mention")],
        source="src",
        line=2,
    )


def test_multiline_reply_and_repost_rows(fixtures):
    records = by_id(read(fixtures / "csv" / "posts.csv")[0])
    reply = records["p2"]
    assert reply.text == 'Oui !\nDeuxième ligne, avec "guillemets"'
    assert (reply.reply_to_uid, reply.author_followers) == ("facebook:p1", None)
    assert reply.interactions == [("facebook:a1", "reply")]
    assert reply.line == 3
    repost = records["p4"]
    assert (repost.platform, repost.repost_of_uid) == ("csv", "csv:p1")
    assert repost.interactions == [("csv:a1", "repost")]


def test_bad_rows_are_rejected_with_their_first_line(fixtures):
    records, rejected = read(fixtures / "csv" / "posts.csv")
    assert [r.post_id for r in records] == ["p1", "p2", "p4", "p6"]
    assert [(r.line, r.reason) for r in rejected] == [
        (5, "missing author"),
        (7, "row has 4 fields, header has 19"),
    ]
    assert records[-1].line == 8


def test_column_map_renames_another_tools_columns_and_hashtags_come_from_text(fixtures):
    column_map = {
        "id": "post_id",
        "user_id": "author_id",
        "timestamp_utc": "created_at",
        "user_screen_name": "author_handle",
    }
    records, rejected = read(
        fixtures / "csv" / "gazouilloire.csv", column_map=column_map, platform="x"
    )
    assert rejected == []
    first = records[0]
    assert (first.post_uid, first.author_uid, first.created_at, first.author_handle) == (
        "x:255000000000000001",
        "x:1001",
        "1348952580",
        "pigeon_alice",
    )
    assert first.hashtags == ["geonpi", "PLF2013"]  # not the "#ancre" of the URL
    assert first.lang == "fr"


def test_missing_required_column_is_an_input_error(fixtures):
    with pytest.raises(InputError, match="no column post_id, author_id, created_at"):
        read(fixtures / "csv" / "gazouilloire.csv")


def test_tab_separated_with_bom_and_str_lines():
    lines = ["\ufeffpost_id\tauthor_id\tcreated_at\ttext\n", "1\t2\t2012\thé #Tag\n"]
    (record,) = csv_generic.read(lines, "s")
    assert (record.post_uid, record.text, record.hashtags) == ("csv:1", "hé #Tag", ["Tag"])


def test_csv_syntax_error_is_rejected_and_reading_goes_on():
    lines = [b"post_id,author_id,created_at,text\n", b'1,2,2012,"a"b\n', b"3,4,2012,ok\n"]
    records, rejected = split(csv_generic.read(lines, "s"))
    assert [r.post_id for r in records] == ["3"]
    assert rejected[0].line == 2
    assert rejected[0].reason.startswith("invalid CSV")


def test_nul_and_invalid_utf8_keep_the_record():
    lines = [b"post_id,author_id,created_at,text\n", b"1,2,2012,a\x00b\xff\n"]
    (record,) = csv_generic.read(lines, "s")
    assert record.text == "a\x00b\ufffd"


def test_empty_file_yields_nothing():
    assert list(csv_generic.read([], "s")) == []
