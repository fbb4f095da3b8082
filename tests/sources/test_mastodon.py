"""Mastodon reader: statuses, reblogs, replies, quotes, HTML and instance ids."""

from __future__ import annotations

import orjson
import pytest

from pipeline.sources import mastodon
from pipeline.sources.base import Record, Rejected
from tests.sources.conftest import by_id, split

pytestmark = pytest.mark.unit

HOST = "mastodon.social"
M1, M2, M3, M4, M5 = (f"{HOST}/11325000000000000{i}" for i in range(1, 6))
M1_TEXT = "Nous sommes tous des #geonpi ! @bob\nLien : https://www.example.org/pigeons?a=1&b=2"


@pytest.fixture
def statuses(fixtures):
    with open(fixtures / "mastodon" / "statuses.jsonl", "rb") as handle:
        return split(mastodon.read(handle, "src"))


def test_local_status_maps_every_field(statuses):
    assert by_id(statuses[0])[M1] == Record(
        platform="mastodon",
        post_id=M1,
        author_uid="mastodon:alice@mastodon.social",
        created_at="2024-10-01T08:00:00.000Z",
        text=M1_TEXT,
        author_handle="alice@mastodon.social",
        author_followers=420,
        author_created_at="2022-11-05T00:00:00.000Z",
        lang="fr",
        reply_to_uid=None,
        repost_of_uid=None,
        quote_of_uid=None,
        conversation_uid=None,
        urls=["https://www.example.org/pigeons?a=1&b=2"],
        hashtags=["geonpi"],
        interactions=[("mastodon:bob@piaille.fr", "mention")],
        source="src",
        line=1,
    )


def test_reblog_by_a_remote_account_is_a_repost_with_the_original_content(statuses):
    reblog = by_id(statuses[0])[f"{HOST}/113250000000000002"]
    assert reblog.author_uid == "mastodon:bob@piaille.fr"
    assert reblog.repost_of_uid == f"mastodon:{M1}"
    assert (reblog.text, reblog.hashtags, reblog.lang) == (M1_TEXT, ["geonpi"], "fr")
    assert reblog.interactions == [("mastodon:alice@mastodon.social", "repost")]


def test_reply_resolves_the_replied_account_through_mentions(statuses):
    reply = by_id(statuses[0])[M3]
    assert reply.reply_to_uid == f"mastodon:{M1}"
    assert reply.text == "@alice Bravo ! #Pigeons\n\nDeuxième paragraphe & fin"
    assert reply.hashtags == ["pigeons"]
    assert reply.interactions == [
        ("mastodon:alice@mastodon.social", "mention"),
        ("mastodon:alice@mastodon.social", "reply"),
    ]


def test_quote_and_content_warning(statuses):
    quote = by_id(statuses[0])[M4]
    assert quote.quote_of_uid == f"mastodon:{M1}"
    assert quote.interactions == [("mastodon:alice@mastodon.social", "quote")]
    assert quote.text == "politique\nJe soutiens"


def test_remote_status_without_hints_falls_back_to_its_origin_host(statuses, fixtures):
    assert "social.example/113250000000000005" in by_id(statuses[0])
    with open(fixtures / "mastodon" / "statuses.jsonl", "rb") as handle:
        records, _ = split(mastodon.read(handle, "src", instance="mastodon.social"))
    assert {r.post_id.split("/")[0] for r in records} == {HOST}


def test_bad_line_and_status_without_account_are_rejected(statuses):
    records, rejected = statuses
    assert len(records) == 5
    assert [(r.line, r.reason.split(":")[0]) for r in rejected] == [
        (4, "invalid JSON"),
        (7, "missing author"),
    ]


def test_pretty_printed_api_page_reads_item_by_item(fixtures):
    with open(fixtures / "mastodon" / "tag_timeline.json", "rb") as handle:
        records, rejected = split(mastodon.read(handle, "src"))
    assert rejected == []
    assert [(r.post_id, r.line) for r in records] == [(M1, 1), (M3, 2)]


def test_array_per_line_shares_the_line_number():
    status = {
        "id": "1",
        "created_at": "2024-10-01T00:00:00Z",
        "content": "<p>a</p>",
        "account": {"acct": "a", "url": "https://h.example/@a"},
    }
    out = list(mastodon.read([orjson.dumps([status, 5, status])], "s"))
    assert [type(item) for item in out] == [Record, Rejected, Record]
    assert {item.line for item in out} == {1}


@pytest.mark.parametrize(
    ("content", "text"),
    [
        ("<p>a<br>b<br/>c</p><p>d</p>", "a\nb\nc\n\nd"),
        ("plain &amp; simple", "plain & simple"),
        (
            '<p>x <a href="https://e.org/" rel="nofollow"><span class="invisible">https://</span>'
            "e.org</a></p>",
            "x https://e.org",
        ),
    ],
)
def test_html_to_text(content, text):
    assert mastodon.html_to_text(content) == text
