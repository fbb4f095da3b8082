"""Bluesky reader: postViews, feed items, API responses, facets, quotes, reposts."""

from __future__ import annotations

import orjson
import pytest

from pipeline.sources import bluesky
from pipeline.sources.base import Record, Rejected
from tests.sources.conftest import by_id, split

pytestmark = pytest.mark.unit

B1 = "at://did:plc:alice/app.bsky.feed.post/3l5aaaaaaaa2a"
B3 = "at://did:plc:carol/app.bsky.feed.post/3l5cccccccc2c"
B4 = "at://did:plc:dan/app.bsky.feed.post/3l5dddddddd2d"
B6 = "at://did:plc:erin/app.bsky.feed.post/3l5eeeeeeee2e"
REPOST = "at://did:plc:bob/app.bsky.feed.repost/3l5bbbbbbbb2b"
B1_TEXT = "Nous sommes tous des #geonpi ! @bob.bsky.social https://example.org/pigeons"


@pytest.fixture
def feed(fixtures):
    with open(fixtures / "bluesky" / "feed.jsonl", "rb") as handle:
        return split(bluesky.read(handle, "src"))


def test_post_maps_every_field_from_record_and_facets(feed):
    assert by_id(feed[0])[B1] == Record(
        platform="bluesky",
        post_id=B1,
        author_uid="bluesky:did:plc:alice",
        created_at="2024-10-01T08:00:00.000Z",
        text=B1_TEXT,
        author_handle="alice.bsky.social",
        author_followers=None,
        author_created_at="2023-05-01T10:00:00.000Z",
        lang="fr",
        reply_to_uid=None,
        repost_of_uid=None,
        quote_of_uid=None,
        conversation_uid=f"bluesky:{B1}",
        urls=["https://example.org/pigeons"],
        hashtags=["geonpi", "PLF2025"],
        interactions=[("bluesky:did:plc:bob", "mention")],
        source="src",
        line=1,
    )


def test_repost_reason_becomes_a_repost_record(feed):
    repost = by_id(feed[0])[REPOST]
    assert repost.author_uid == "bluesky:did:plc:bob"
    assert repost.author_handle == "bob.bsky.social"
    assert repost.created_at == "2024-10-01T08:45:00.000Z"
    assert repost.repost_of_uid == f"bluesky:{B1}"
    assert (repost.text, repost.hashtags, repost.lang) == (B1_TEXT, ["geonpi", "PLF2025"], "fr")
    assert repost.interactions == [("bluesky:did:plc:alice", "repost")]


def test_repost_without_record_uri_gets_a_stable_synthetic_id(feed):
    repost = by_id(feed[0])[f"{B3}#repost:did:plc:alice"]
    assert repost.repost_of_uid == f"bluesky:{B3}"
    assert repost.interactions == [("bluesky:did:plc:carol", "repost")]
    assert repost.line == 7


def test_reply_links_parent_root_and_parent_author(feed):
    reply = by_id(feed[0])[B3]
    assert reply.reply_to_uid == f"bluesky:{B1}"
    assert reply.conversation_uid == f"bluesky:{B1}"
    assert reply.interactions == [("bluesky:did:plc:alice", "reply")]


def test_quote_with_media_links_the_quoted_post_and_author(feed):
    quote = by_id(feed[0])[B4]
    assert quote.quote_of_uid == f"bluesky:{B1}"
    assert quote.interactions == [("bluesky:did:plc:alice", "quote")]
    assert quote.hashtags == ["pigeons"]
    assert quote.lang == "fr"


def test_search_response_reads_each_post_and_external_link(feed):
    post = by_id(feed[0])[B6]
    assert (post.line, post.author_followers, post.urls) == (
        5,
        77,
        ["https://news.example.com/pigeons"],
    )


def test_bad_lines_are_rejected_and_the_rest_reads(feed):
    records, rejected = feed
    assert [r.post_id for r in records] == [B1, REPOST, B3, B4, B6, f"{B3}#repost:did:plc:alice"]
    assert [(r.line, r.reason.split(":")[0]) for r in rejected] == [
        (5, "missing author"),
        (6, "invalid JSON"),
    ]


def test_quote_of_a_feed_generator_is_not_a_quote():
    post = {
        "uri": "at://did:plc:a/app.bsky.feed.post/1",
        "author": {"did": "did:plc:a", "handle": "a.test"},
        "record": {
            "text": "my feed",
            "createdAt": "2024-10-01T00:00:00Z",
            "embed": {
                "$type": "app.bsky.embed.record",
                "record": {"uri": "at://did:plc:a/app.bsky.feed.generator/f", "cid": "c"},
            },
        },
    }
    (record,) = bluesky.read([orjson.dumps(post)], "s")
    assert (record.quote_of_uid, record.interactions) == (None, [])


@pytest.mark.parametrize(
    ("post", "reason"),
    [
        (
            {"author": {"did": "did:plc:a"}, "record": {"text": "", "createdAt": "2024"}},
            "missing id",
        ),
        (
            {"uri": "at://x", "author": {"did": "did:plc:a"}, "record": {"text": ""}},
            "created_at missing",
        ),
        (
            {
                "uri": "at://x",
                "author": {"did": "did:plc:a"},
                "record": {"text": 3, "createdAt": "2024"},
            },
            "text is not a string",
        ),
    ],
)
def test_incomplete_posts_are_rejected_with_their_reason(post, reason):
    (item,) = bluesky.read([orjson.dumps(post)], "s")
    assert isinstance(item, Rejected)
    assert item.reason == reason
