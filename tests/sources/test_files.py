"""Opening inputs: paths, directories, globs, transparent decompression, errors."""

from __future__ import annotations

import bz2
import gzip
import os

import pytest
import zstandard

from pipeline.errors import InputError
from pipeline.sources import files

pytestmark = pytest.mark.unit

LINES = [b'{"a": 1}\n', b'{"b": "\xc3\xa9"}\n', b"last line without newline"]
DATA = b"".join(LINES)


def compress_zst_in_two_frames(data: bytes) -> bytes:
    half = len(data) // 2
    compressor = zstandard.ZstdCompressor()
    return compressor.compress(data[:half]) + compressor.compress(data[half:])


@pytest.fixture
def tree(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "deep").mkdir()
    (tmp_path / ".hidden").mkdir()
    (tmp_path / "a.jsonl").write_bytes(DATA)
    (tmp_path / "b" / "c.jsonl.gz").write_bytes(gzip.compress(DATA))
    (tmp_path / "b" / "deep" / "d.jsonl.bz2").write_bytes(bz2.compress(DATA))
    (tmp_path / "b" / "e.jsonl.zst").write_bytes(compress_zst_in_two_frames(DATA))
    (tmp_path / ".hidden" / "x.jsonl").write_bytes(DATA)
    (tmp_path / "b" / ".DS_Store").write_bytes(b"junk")
    return tmp_path


@pytest.mark.parametrize("name", ["a.jsonl", "b/c.jsonl.gz", "b/deep/d.jsonl.bz2", "b/e.jsonl.zst"])
def test_every_compression_reads_the_same_lines(tree, name):
    stream = files.open_binary(tree / name)
    assert files.read_head(stream, name, 10) == DATA[:10]
    assert list(files.iter_lines(stream, name)) == LINES
    assert stream.closed


def test_chunks_cover_the_whole_stream(tree):
    stream = files.open_binary(tree / "b" / "e.jsonl.zst")
    assert b"".join(files.iter_chunks(stream, "e", size=5)) == DATA


def test_directory_is_read_recursively_in_sorted_order_without_hidden_files(tree):
    assert [p.relative_to(tree).as_posix() for p in files.expand_paths(tree)] == [
        "a.jsonl",
        "b/c.jsonl.gz",
        "b/deep/d.jsonl.bz2",
        "b/e.jsonl.zst",
    ]


def test_globs_and_lists_are_expanded_once_each(tree):
    found = files.expand_paths([str(tree / "**" / "*.jsonl*"), tree / "a.jsonl"])
    assert [p.name for p in found] == ["a.jsonl", "c.jsonl.gz", "d.jsonl.bz2", "e.jsonl.zst"]


def test_open_inputs_yields_absolute_source_names_and_lines(tree, monkeypatch):
    monkeypatch.chdir(tree)
    [(name, lines)] = list(files.open_inputs("a.jsonl"))
    assert name == str(tree / "a.jsonl")
    assert list(lines) == LINES


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("nope.jsonl", "nope.jsonl: no such file or directory"),
        ("*.nothing", r"\*.nothing: no file matches this pattern"),
        ([], "no input given"),
    ],
)
def test_missing_inputs_are_clear_input_errors(tree, spec, message, monkeypatch):
    monkeypatch.chdir(tree)
    with pytest.raises(InputError, match=message):
        files.expand_paths(spec)


def test_empty_directory_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="directory holds no input file"):
        files.expand_paths(tmp_path)


def test_unopenable_file_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="cannot open"):
        files.open_binary(tmp_path)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_unreadable_file_is_an_input_error(tmp_path):
    path = tmp_path / "secret.jsonl"
    path.write_bytes(DATA)
    path.chmod(0)
    with pytest.raises(InputError, match="cannot open"):
        files.open_binary(path)


@pytest.mark.parametrize("suffix", [".gz", ".bz2", ".zst"])
def test_corrupt_compressed_file_is_an_input_error(tmp_path, suffix):
    path = tmp_path / f"bad.jsonl{suffix}"
    path.write_bytes(b"this is not compressed data at all" * 10)
    with pytest.raises(InputError, match="corrupt or truncated"):
        stream = files.open_binary(path)
        files.read_head(stream, str(path))
        list(files.iter_lines(stream, str(path)))


def test_truncated_gzip_fails_after_the_lines_it_could_read(tmp_path):
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(gzip.compress(DATA * 2000)[:-20])
    read = []
    with pytest.raises(InputError, match=r"cut\.jsonl\.gz: cannot read"):
        for line in files.iter_lines(files.open_binary(path), str(path)):
            read.append(line)
    assert len(read) > 1000


def test_strip_compression():
    assert files.strip_compression("a/result.JSON.GZ") == "a/result.JSON"
    assert files.strip_compression("a.csv") == "a.csv"
