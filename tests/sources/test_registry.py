"""Format registry: detection, read_path over files, directories and compression."""

from __future__ import annotations

import bz2
import gzip
import shutil

import orjson
import pytest
import zstandard

from pipeline.errors import InputError
from pipeline.sources import FORMATS, detect_format, read_path
from pipeline.sources.base import Record
from tests.sources.conftest import split

pytestmark = pytest.mark.unit

FIXTURE_FORMATS = {
    "x_v2/pages.jsonl": "x_v2",
    "x_v2/flat.jsonl": "x_v2",
    "x_v1/tweets.jsonl": "x_v1",
    "mastodon/statuses.jsonl": "mastodon",
    "mastodon/tag_timeline.json": "mastodon",
    "bluesky/feed.jsonl": "bluesky",
    "telegram/result.json": "telegram",
    "csv/posts.csv": "csv",
}


def run(spec, **options):
    return {source: split(items) for source, _fmt, items in read_path(spec, **options)}


def test_registry_names_every_format():
    assert set(FORMATS) == {"x_v2", "x_v1", "mastodon", "bluesky", "telegram", "csv"}


@pytest.mark.parametrize(("name", "fmt"), FIXTURE_FORMATS.items())
def test_detection_picks_each_format(fixtures, name, fmt):
    path = fixtures / name
    assert detect_format(path, path.read_bytes()[:65536]) == fmt


@pytest.mark.parametrize(("name", "fmt"), FIXTURE_FORMATS.items())
def test_detection_works_from_a_truncated_head(fixtures, name, fmt):
    path = fixtures / name
    assert detect_format(path, path.read_bytes()[:300]) == fmt


def test_detection_of_a_renamed_telegram_export(fixtures, tmp_path):
    target = tmp_path / "export.json"
    shutil.copy(fixtures / "telegram" / "result.json", target)
    assert detect_format(target, target.read_bytes()[:2000]) == "telegram"


def test_undetectable_file_names_the_file_and_the_formats(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("hello world\n")
    with pytest.raises(InputError, match=r"cannot tell the format of .*notes.txt; pass --format"):
        list(read_path(path))


def test_unknown_format_is_an_input_error(fixtures):
    with pytest.raises(InputError, match="unknown format 'tiktok'; use one of x_v2"):
        list(read_path(fixtures / "x_v2", format="tiktok"))


def test_unknown_option_is_an_input_error(fixtures):
    with pytest.raises(InputError, match="option 'column_map' does not apply to format x_v2"):
        list(read_path(fixtures / "x_v2", column_map={}))


def test_each_fixture_reads_through_read_path_with_detection(fixtures):
    results = run(sorted(str(fixtures / name) for name in FIXTURE_FORMATS))
    assert len(results) == len(FIXTURE_FORMATS)
    assert all(records for records, _ in results.values())


def test_options_reach_the_reader(fixtures):
    column_map = {"id": "post_id", "user_id": "author_id", "timestamp_utc": "created_at"}
    [(records, rejected)] = run(
        fixtures / "csv" / "gazouilloire.csv", column_map=column_map
    ).values()
    assert rejected == []
    assert [r.post_id for r in records] == ["255000000000000001", "255000000000000003"]


@pytest.mark.parametrize(
    ("suffix", "compress"),
    [
        (".gz", gzip.compress),
        (".bz2", bz2.compress),
        (".zst", zstandard.ZstdCompressor().compress),
    ],
)
@pytest.mark.parametrize("name", ["x_v2/pages.jsonl", "telegram/result.json", "csv/posts.csv"])
def test_compressed_inputs_read_the_same_records(fixtures, tmp_path, name, suffix, compress):
    plain = fixtures / name
    packed = tmp_path / (plain.name + suffix)
    packed.write_bytes(compress(plain.read_bytes()))
    [(records, rejected)] = run(plain).values()
    [(packed_records, packed_rejected)] = run(packed).values()

    def strip(items):
        return [
            (type(i).__name__, i.line, i.post_id if isinstance(i, Record) else i.reason)
            for i in items
        ]

    assert strip(packed_records) == strip(records)
    assert strip(packed_rejected) == strip(rejected)
    assert all(r.source == str(packed) for r in packed_records)


def test_directory_and_glob_give_one_iterator_per_file(fixtures):
    by_dir = run(fixtures / "x_v2")
    assert [s.rsplit("/", 1)[1] for s in by_dir] == ["flat.jsonl", "pages.jsonl"]
    by_glob = run(str(fixtures / "*" / "*.jsonl"))
    assert len(by_glob) == 5


def test_empty_file_yields_an_empty_iterator(tmp_path):
    (tmp_path / "empty.jsonl").write_bytes(b"")
    (tmp_path / "empty.jsonl.gz").write_bytes(gzip.compress(b""))
    results = run(tmp_path)
    assert list(results.values()) == [([], []), ([], [])]


def test_each_file_comes_with_its_format(fixtures, tmp_path):
    (tmp_path / "empty.csv").write_bytes(b"")
    (tmp_path / "empty.jsonl").write_bytes(b"")
    specs = [fixtures / "bluesky", fixtures / "telegram", tmp_path]
    assert [(source.rsplit("/", 1)[1], fmt) for source, fmt, _ in read_path(specs)] == [
        ("feed.jsonl", "bluesky"),
        ("result.json", "telegram"),
        ("empty.csv", "csv"),
        ("empty.jsonl", "empty"),
    ]


def test_explicit_format_skips_detection(tmp_path):
    path = tmp_path / "odd.data"
    path.write_bytes(orjson.dumps({"id": "1", "author_id": "2", "created_at": "2012", "text": "t"}))
    [(records, _)] = run(path, format="x_v2").values()
    assert isinstance(records[0], Record)
