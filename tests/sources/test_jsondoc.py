"""Streaming items out of one JSON document, whatever the chunking."""

from __future__ import annotations

import orjson
import pytest

from pipeline.sources.jsondoc import JSONDocumentError, iter_items

pytestmark = pytest.mark.unit

TRICKY = [
    {"text": 'brackets ] } [ { and "quotes" and \\ backslashes \\"', "n": -1.5e3},
    {"deep": [[[[[[[[{"x": "]"}]]]]]]]]},
    "a string item ]}",
    42,
    None,
    [],
]


def chunked(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


@pytest.mark.parametrize("size", [1, 2, 3, 5, 64, 1 << 20])
@pytest.mark.parametrize("indent", [False, True])
def test_array_items_survive_any_chunking(size, indent):
    data = orjson.dumps(TRICKY, option=orjson.OPT_INDENT_2 if indent else 0)
    items = [orjson.loads(raw) for _, raw in iter_items(chunked(data, size))]
    assert items == TRICKY


@pytest.mark.parametrize("size", [1, 7, 1 << 20])
def test_keyed_arrays_come_with_the_scalars_of_their_object(size):
    doc = {
        "about": "x",
        "chats": {"list": [{"name": "A", "id": 1, "messages": [1, 2]}, {"id": 2, "messages": [3]}]},
        "messages": [{"nested": {"messages": ["not walked into"]}}],
    }
    data = orjson.dumps(doc, option=orjson.OPT_INDENT_2)
    items = [
        (context, orjson.loads(raw))
        for context, raw in iter_items(chunked(data, size), ["messages"])
    ]
    assert items == [
        ({"name": "A", "id": 1}, 1),
        ({"name": "A", "id": 1}, 2),
        ({"id": 2}, 3),
        ({"about": "x"}, {"nested": {"messages": ["not walked into"]}}),
    ]


def test_top_level_object_is_one_item():
    assert [raw for _, raw in iter_items([b' {"a": [1]} \n'])] == [b'{"a": [1]}']


def test_empty_input_yields_nothing():
    assert list(iter_items([b"", b"  \n"])) == []


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b'[{"a": 1}, {"b": ', "unexpected end of document"),
        (b'[{"a": "unterminated', "unterminated string"),
        (b"[1 2]", "expected ',' or a closing bracket"),
        (b"[1] x", "unexpected data after the document"),
        (b"@", "unexpected character"),
    ],
)
def test_broken_documents_raise_after_the_good_items(data, message):
    items = []
    with pytest.raises(JSONDocumentError, match=message):
        for _, raw in iter_items([data]):
            items.append(raw)
    if data.startswith(b'[{"a": 1}'):
        assert items == [b'{"a": 1}']
