"""No reader raises on any input line: every line gives records or Rejected."""

from __future__ import annotations

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.sources import FORMATS
from pipeline.sources.base import Record, Rejected

pytestmark = pytest.mark.unit

KEYS = [
    # X
    "id", "id_str", "author_id", "created_at", "text", "full_text", "data", "includes",
    "users", "tweets", "entities", "mentions", "hashtags", "urls", "referenced_tweets",
    "type", "note_tweet", "public_metrics", "author", "user", "retweeted_status",
    "quoted_status", "extended_tweet", "user_mentions", "in_reply_to_user_id_str",
    # Mastodon
    "account", "acct", "url", "content", "reblog", "tags", "name", "quote",
    "quoted_status", "in_reply_to_id", "in_reply_to_account_id", "card",
    # Bluesky
    "uri", "did", "record", "createdAt", "facets", "features", "$type", "embed", "post",
    "reason", "by", "reply", "parent", "root", "posts", "feed", "langs",
    # Telegram
    "messages", "from_id", "date_unixtime", "text_entities", "reply_to_message_id",
]  # fmt: skip

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.sampled_from(["at://did:plc:a/app.bsky.feed.post/1", "app.bsky.embed.record", "x"])
    | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.sampled_from(KEYS), children, max_size=6)
    ),
    max_leaves=40,
)
JSON_READERS = ["x_v2", "x_v1", "mastodon", "bluesky", "telegram"]


@pytest.mark.parametrize("fmt", JSON_READERS)
@settings(max_examples=200, deadline=None, database=None)
@given(values=st.lists(json_values, min_size=1, max_size=4))
def test_arbitrary_json_never_raises(fmt, values):
    lines = [orjson.dumps(value) + b"\n" for value in values]
    if fmt == "telegram":
        lines = [orjson.dumps({"id": 1, "messages": values})]
    out = list(FORMATS[fmt](lines, "s"))
    assert all(isinstance(item, Record | Rejected) for item in out)


@pytest.mark.parametrize("fmt", [*JSON_READERS, "csv"])
@settings(max_examples=200, deadline=None, database=None)
@given(lines=st.lists(st.binary(max_size=120), max_size=6))
def test_arbitrary_bytes_never_raise(fmt, lines):
    lines = [line.replace(b"\n", b" ") + b"\n" for line in lines]
    if fmt == "csv":
        lines = [b"post_id,author_id,created_at,text\n", *lines]
    out = list(FORMATS[fmt](lines, "s"))
    assert all(isinstance(item, Record | Rejected) for item in out)
