"""X API v2 reader: twarc2 pages and flattened tweets give the same records."""

from __future__ import annotations

import dataclasses

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.sources import x_v2
from pipeline.sources.base import Record, Rejected
from tests.sources.conftest import by_id, split

pytestmark = pytest.mark.unit

T1, T2, T3, T4, T5, T6, T7 = (f"25500000000000000{i}" for i in range(1, 8))
T1_TEXT = "Nous sommes tous des #geonpi ! Non au #PLF2013 @bob_entrepreneur https://t.co/aaa111"


def read(path):
    with open(path, "rb") as handle:
        return split(x_v2.read(handle, "src"))


@pytest.fixture(params=["pages.jsonl", "flat.jsonl"])
def x_file(request, fixtures):
    return fixtures / "x_v2" / request.param


def test_original_tweet_maps_every_field(fixtures):
    records, _ = read(fixtures / "x_v2" / "pages.jsonl")
    assert by_id(records)[T1] == Record(
        platform="x",
        post_id=T1,
        author_uid="x:1001",
        created_at="2012-09-29T21:03:00.000Z",
        text=T1_TEXT,
        author_handle="pigeon_alice",
        author_followers=1200,
        author_created_at="2011-05-04T08:00:00.000Z",
        lang="fr",
        reply_to_uid=None,
        repost_of_uid=None,
        quote_of_uid=None,
        conversation_uid=f"x:{T1}",
        urls=["https://www.facebook.com/DefensePigeons"],
        hashtags=["geonpi", "PLF2013"],
        interactions=[("x:1002", "mention")],
        source="src",
        line=1,
    )
    assert by_id(records)[T1].post_uid == f"x:{T1}"


def test_pages_and_flattened_tweets_give_the_same_records(fixtures):
    pages, _ = read(fixtures / "x_v2" / "pages.jsonl")
    flat, _ = read(fixtures / "x_v2" / "flat.jsonl")

    def comparable(record):
        return dataclasses.replace(record, line=0)

    assert [comparable(r) for r in pages] == [comparable(r) for r in flat]


def test_retweet_takes_the_original_text_and_links_the_original_author(x_file):
    records, _ = read(x_file)
    retweet = by_id(records)[T2]
    assert retweet.text == T1_TEXT
    assert retweet.hashtags == ["geonpi", "PLF2013"]
    assert retweet.urls == ["https://www.facebook.com/DefensePigeons"]
    assert retweet.repost_of_uid == f"x:{T1}"
    assert retweet.author_uid == "x:1002"
    # the "RT @pigeon_alice" mention is not a mention; bob's self-mention is dropped
    assert retweet.interactions == [("x:1001", "repost")]


def test_quote_links_the_quoted_tweet_and_its_author(x_file):
    quote = by_id(read(x_file)[0])[T3]
    assert quote.quote_of_uid == f"x:{T1}"
    assert quote.interactions == [("x:1001", "quote")]
    assert quote.hashtags == ["pigeons"]
    assert quote.urls == ["https://twitter.com/pigeon_alice/status/255000000000000001"]


def test_reply_links_the_replied_tweet_conversation_and_author(x_file):
    reply = by_id(read(x_file)[0])[T4]
    assert reply.reply_to_uid == f"x:{T3}"
    assert reply.conversation_uid == f"x:{T3}"
    assert reply.interactions == [("x:1003", "reply"), ("x:1003", "mention")]


def test_long_post_uses_note_tweet_text_and_entities_and_drops_self_mention(x_file):
    note = by_id(read(x_file)[0])[T5]
    assert note.text.startswith("Note pour moi @pigeon_alice : le projet")
    assert note.text.endswith("#geonpi")
    assert "…" not in note.text
    assert note.hashtags == ["geonpi"]
    assert note.interactions == []


def test_bad_page_and_tweet_without_author_are_rejected_and_the_rest_reads(fixtures):
    records, rejected = read(fixtures / "x_v2" / "pages.jsonl")
    assert [r.post_id for r in records] == [T1, T2, T3, T4, T5, T7]
    assert [(r.line, r.reason.split(":")[0]) for r in rejected] == [
        (3, "invalid JSON"),
        (4, "missing author"),
    ]
    assert rejected[1].raw.startswith('{"id":"255000000000000006"')
    assert by_id(records)[T7].line == 4


def test_flattened_file_rejects_per_line(fixtures):
    _, rejected = read(fixtures / "x_v2" / "flat.jsonl")
    assert [(r.line, r.reason.split(":")[0]) for r in rejected] == [
        (6, "invalid JSON"),
        (7, "missing author"),
    ]


@pytest.mark.parametrize(
    ("tweet", "reason"),
    [
        ({"author_id": "1", "created_at": "2012-10-01T00:00:00Z", "text": "x"}, "missing id"),
        ({"id": "1", "created_at": "2012-10-01T00:00:00Z", "text": "x"}, "missing author"),
        ({"id": "1", "author_id": "1", "text": "x"}, "created_at missing"),
        ({"id": "1", "author_id": "1", "created_at": "2012", "text": 5}, "text is not a string"),
        ({"id": "1", "author_id": "1", "created_at": "2012"}, "missing text"),
    ],
)
def test_incomplete_tweet_in_a_page_is_rejected_with_its_reason(tweet, reason):
    page = orjson.dumps({"data": [tweet]})
    assert list(x_v2.read([page], "s")) == [Rejected("s", 1, reason, orjson.dumps(tweet))]


def test_page_without_data_yields_nothing():
    assert list(x_v2.read([b'{"meta": {"result_count": 0}}\n', b"\n"], "s")) == []


def test_stream_response_with_one_tweet_and_inline_users():
    line = orjson.dumps(
        {
            "data": {
                "id": "9",
                "author_id": "7",
                "created_at": "2012-10-01T00:00:00Z",
                "text": "hi",
            },
            "includes": {"users": [{"id": "7", "username": "seven"}]},
            "matching_rules": [{"id": "1", "tag": "geonpi"}],
        }
    )
    (record,) = x_v2.read([line], "s")
    assert (record.post_id, record.author_handle, record.author_followers) == ("9", "seven", None)


def test_malformed_structure_is_rejected_not_raised():
    line = orjson.dumps(
        {"id": "9", "author_id": "7", "created_at": "2012", "text": "x", "entities": ["nope"]}
    )
    (item,) = x_v2.read([line], "s")
    assert isinstance(item, Rejected)
    assert item.reason.startswith("unexpected tweet structure: AttributeError")


def test_nul_bytes_and_invalid_utf8_still_give_the_record():
    line = b'{"id": "1", "author_id": "2", "created_at": "2012", "text": "a\x00b\xff c"}\n'
    (record,) = x_v2.read([line], "s")
    assert record.text == "a\x00b\ufffd c"


@settings(max_examples=300, deadline=None, database=None)
@given(st.lists(st.binary(max_size=200), max_size=8))
def test_arbitrary_bytes_never_raise(lines):
    lines = [line.replace(b"\n", b" ") + b"\n" for line in lines]
    out = list(x_v2.read(lines, "s"))
    assert all(isinstance(item, Record | Rejected) for item in out)
    assert all(1 <= item.line <= len(lines) for item in out)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text(max_size=10),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "id",
                    "author_id",
                    "created_at",
                    "text",
                    "data",
                    "includes",
                    "users",
                    "tweets",
                    "entities",
                    "mentions",
                    "hashtags",
                    "urls",
                    "referenced_tweets",
                    "type",
                    "note_tweet",
                    "public_metrics",
                    "author",
                    "in_reply_to_user_id",
                    "tag",
                ]
            ),
            children,
            max_size=6,
        )
    ),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None, database=None)
@given(st.lists(json_values, min_size=1, max_size=4))
def test_arbitrary_json_shapes_never_raise(values):
    out = list(x_v2.read([orjson.dumps(value) for value in values], "s"))
    assert all(isinstance(item, Record | Rejected) for item in out)


def test_pretty_printed_response_page_is_read_as_one_page(fixtures):
    with open(fixtures / "x_v2" / "pages.jsonl", "rb") as handle:
        page = orjson.loads(handle.readline())
    pretty = orjson.dumps(page, option=orjson.OPT_INDENT_2).splitlines(keepends=True)
    records, rejected = split(x_v2.read(pretty, "s"))
    assert rejected == []
    assert [(r.post_id, r.line) for r in records] == [(T1, 1), (T2, 1), (T3, 1)]
