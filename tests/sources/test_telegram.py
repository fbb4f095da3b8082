"""Telegram Desktop export reader: streamed messages, entities, replies, damage."""

from __future__ import annotations

import io

import orjson
import pytest

from pipeline.sources import telegram
from pipeline.sources.base import Record, Rejected
from tests.sources.conftest import by_id, split

pytestmark = pytest.mark.unit

CHAT = "1500000001"


@pytest.fixture
def export(fixtures):
    return (fixtures / "telegram" / "result.json").read_bytes()


def read_bytes(data, **options):
    return split(telegram.read(io.BytesIO(data), "src", **options))


def test_message_maps_every_field(export):
    records, _ = read_bytes(export)
    assert by_id(records)[f"{CHAT}:2"] == Record(
        platform="telegram",
        post_id=f"{CHAT}:2",
        author_uid="telegram:user111",
        created_at=1348952580,
        text="Nous sommes tous des #geonpi ! Page : https://www.facebook.com/DefensePigeons",
        author_handle="Alice",
        author_followers=None,
        author_created_at=None,
        lang=None,
        reply_to_uid=None,
        repost_of_uid=None,
        quote_of_uid=None,
        conversation_uid=f"telegram:{CHAT}:2",
        urls=["https://www.facebook.com/DefensePigeons"],
        hashtags=["geonpi"],
        interactions=[],
        source="src",
        line=2,
    )


def test_reply_and_mentions_become_edges(export):
    reply = by_id(read_bytes(export)[0])[f"{CHAT}:3"]
    assert reply.text == "@Carol_TG et Dan venez vite"
    assert reply.reply_to_uid == f"telegram:{CHAT}:2"
    assert reply.interactions == [
        ("telegram:@carol_tg", "mention"),
        ("telegram:user444", "mention"),
        ("telegram:user111", "reply"),
    ]


def test_reply_chain_keeps_the_conversation_root(export):
    answer = by_id(read_bytes(export)[0])[f"{CHAT}:6"]
    assert answer.reply_to_uid == f"telegram:{CHAT}:3"
    assert answer.conversation_uid == f"telegram:{CHAT}:2"
    assert answer.interactions == [("telegram:user222", "reply")]


def test_forward_text_link_and_hashtag(export):
    forward = by_id(read_bytes(export)[0])[f"{CHAT}:4"]
    assert forward.text == "Lire cet article #PLF2013"
    assert forward.urls == ["https://www.lemonde.fr/pigeons.html"]
    assert forward.hashtags == ["PLF2013"]


def test_forward_with_sender_id_gets_a_repost_edge():
    doc = {
        "id": 1,
        "messages": [
            {
                "id": 1,
                "type": "message",
                "date_unixtime": "1348952580",
                "from_id": "user1",
                "forwarded_from": "Le Monde",
                "forwarded_from_id": "channel9",
                "text": "x",
            }
        ],
    }
    (record,) = telegram.read([orjson.dumps(doc)], "s")
    assert record.interactions == [("telegram:channel9", "repost")]


def test_desktop_hex_escapes_are_repaired(export):
    message = by_id(read_bytes(export)[0])[f"{CHAT}:7"]
    assert message.text == "cloche\x07 #geonpi"
    assert message.hashtags == ["geonpi"]


def test_service_and_authorless_messages_are_rejected(export):
    records, rejected = read_bytes(export)
    assert [r.post_id for r in records] == [f"{CHAT}:{i}" for i in (2, 3, 4, 6, 7)]
    assert [(r.line, r.reason) for r in rejected] == [(1, "service message"), (5, "missing author")]


def test_truncated_export_keeps_what_was_read_and_reports_the_damage(export):
    cut = export[: export.index(b'"id": 6')]
    records, rejected = read_bytes(cut)
    assert [r.post_id for r in records] == [f"{CHAT}:{i}" for i in (2, 3, 4)]
    assert rejected[-1].reason.startswith("invalid JSON document: unexpected end of document")
    assert rejected[-1].line == 6


@pytest.mark.parametrize("chunk", [1, 7, 4096])
def test_any_chunking_of_the_stream_gives_the_same_records(export, chunk):
    whole = read_bytes(export)
    pieces = [export[i : i + chunk] for i in range(0, len(export), chunk)]
    assert split(telegram.read(pieces, "src")) == whole


def test_full_account_export_reads_every_chat():
    chat = {
        "name": "A",
        "type": "public_channel",
        "id": 7,
        "messages": [
            {
                "id": 1,
                "type": "message",
                "date_unixtime": "1348952580",
                "from": "A",
                "from_id": "channel7",
                "text": "un",
            }
        ],
    }
    other = dict(chat, id=8, messages=[dict(chat["messages"][0], from_id="channel8")])
    doc = {
        "about": "...",
        "personal_information": {"user_id": 1},
        "chats": {"about": "...", "list": [chat, other]},
        "left_chats": {"about": "...", "list": []},
    }
    records, rejected = read_bytes(orjson.dumps(doc, option=orjson.OPT_INDENT_2))
    assert rejected == []
    assert [(r.post_id, r.author_uid, r.line) for r in records] == [
        ("7:1", "telegram:channel7", 1),
        ("8:1", "telegram:channel8", 2),
    ]


def test_chat_id_after_messages_is_rejected_per_message():
    doc = (
        b'{"messages": [{"id": 1, "from_id": "user1", "date": "2012-10-01T00:00:00", "text": ""}]}'
    )
    (item,) = telegram.read([doc], "s")
    assert isinstance(item, Rejected)
    assert item.reason.startswith("chat id unknown")


def test_old_export_with_numeric_from_id_and_local_date():
    doc = {
        "id": 3,
        "messages": [
            {
                "id": 1,
                "type": "message",
                "date": "2012-10-01T10:00:00",
                "from": "Old",
                "from_id": 42,
                "text": "x",
            }
        ],
    }
    (record,) = telegram.read([orjson.dumps(doc)], "s")
    assert (record.author_uid, record.created_at) == ("telegram:user42", "2012-10-01T10:00:00")


def test_reply_memory_is_bounded(export):
    records = by_id(read_bytes(export, reply_memory=1)[0])
    # message 3 replies to the message just before it, which is remembered...
    assert ("telegram:user111", "reply") in records[f"{CHAT}:3"].interactions
    # ...but message 6 replies to message 3, forgotten once message 4 was read
    assert records[f"{CHAT}:6"].interactions == []
    assert records[f"{CHAT}:6"].reply_to_uid == f"telegram:{CHAT}:3"


def test_empty_document_yields_nothing():
    assert list(telegram.read([b""], "s")) == []
