"""X API v1.1 reader: legacy tweets give the same records as the v2 reader."""

from __future__ import annotations

import orjson
import pytest

from pipeline.sources import x_v1, x_v2
from pipeline.sources.base import Record, Rejected
from tests.sources.conftest import by_id, split

pytestmark = pytest.mark.unit

T1, T2, T3, T4, T5 = (f"25500000000000000{i}" for i in range(1, 6))
T1_TEXT = "Nous sommes tous des #geonpi ! Non au #PLF2013 @bob_entrepreneur https://t.co/aaa111"


@pytest.fixture
def v1(fixtures):
    with open(fixtures / "x_v1" / "tweets.jsonl", "rb") as handle:
        return split(x_v1.read(handle, "src"))


def test_original_tweet_maps_every_field(v1):
    records, _ = v1
    assert by_id(records)[T1] == Record(
        platform="x",
        post_id=T1,
        author_uid="x:1001",
        created_at="2012-09-29T21:03:00+00:00",
        text=T1_TEXT,
        author_handle="pigeon_alice",
        author_followers=1200,
        author_created_at="2011-05-04T08:00:00+00:00",
        lang="fr",
        reply_to_uid=None,
        repost_of_uid=None,
        quote_of_uid=None,
        conversation_uid=None,
        urls=["https://www.facebook.com/DefensePigeons"],
        hashtags=["geonpi", "PLF2013"],
        interactions=[("x:1002", "mention")],
        source="src",
        line=1,
    )


def test_same_posts_as_the_v2_reader_except_conversation_and_time_format(v1, fixtures):
    with open(fixtures / "x_v2" / "pages.jsonl", "rb") as handle:
        v2 = by_id(split(x_v2.read(handle, "src"))[0])
    for record in v1[0]:
        other = v2[record.post_id]
        for name in (
            "author_uid",
            "text",
            "author_handle",
            "author_followers",
            "lang",
            "reply_to_uid",
            "repost_of_uid",
            "quote_of_uid",
            "urls",
            "hashtags",
            "interactions",
        ):
            assert getattr(record, name) == getattr(other, name), (record.post_id, name)


def test_retweet_takes_the_original_text_and_links_the_original_author(v1):
    retweet = by_id(v1[0])[T2]
    assert retweet.text == T1_TEXT
    assert retweet.hashtags == ["geonpi", "PLF2013"]
    assert retweet.repost_of_uid == f"x:{T1}"
    assert retweet.interactions == [("x:1001", "repost")]


def test_quote_and_reply(v1):
    records = by_id(v1[0])
    assert records[T3].quote_of_uid == f"x:{T1}"
    assert records[T3].interactions == [("x:1001", "quote")]
    assert records[T4].reply_to_uid == f"x:{T3}"
    assert records[T4].interactions == [("x:1003", "reply"), ("x:1003", "mention")]


def test_streaming_compat_mode_uses_extended_tweet(v1):
    record = by_id(v1[0])[T5]
    assert record.text.endswith("#geonpi")
    assert record.hashtags == ["geonpi"]
    assert record.interactions == []  # self-mention


def test_notices_and_bad_lines_are_rejected_and_the_rest_reads(v1):
    records, rejected = v1
    assert [r.post_id for r in records] == [T1, T2, T3, T4, T5]
    assert [(r.line, r.reason.split(":")[0]) for r in rejected] == [
        (6, "not a tweet"),
        (7, "invalid JSON"),
        (8, "missing author"),
    ]
    assert rejected[0].reason == "not a tweet: delete notice"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Wed Oct 10 20:19:24 +0000 2018", "2018-10-10T20:19:24+00:00"),
        ("Mon Oct 01 11:00:00 -0530 2012", "2012-10-01T11:00:00-05:30"),
        ("2012-10-01T11:00:00Z", "2012-10-01T11:00:00Z"),
        ("Wed Foo 10 20:19:24 +0000 2018", "Wed Foo 10 20:19:24 +0000 2018"),
        (1349002800, 1349002800),
        (None, None),
    ],
)
def test_legacy_timestamps_become_iso(value, expected):
    assert x_v1.legacy_to_iso(value) == expected


def test_compat_text_field_and_integer_ids():
    tweet = {
        "id": 5,
        "text": "hello",
        "created_at": "Mon Oct 01 11:00:00 +0000 2012",
        "user": {"id": 7, "screen_name": "s"},
    }
    (record,) = x_v1.read([orjson.dumps(tweet)], "s")
    assert (record.post_id, record.author_uid, record.text) == ("5", "x:7", "hello")


def test_missing_created_at_is_rejected():
    tweet = {"id_str": "5", "text": "hello", "user": {"id_str": "7"}}
    (item,) = x_v1.read([orjson.dumps(tweet)], "s")
    assert isinstance(item, Rejected)
    assert item.reason == "created_at missing"
