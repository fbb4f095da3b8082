"""The protestwatch command: user errors are one line and a non-zero exit, no traceback."""

import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.db


def run_cli(*args, env=None):
    environment = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "pipeline.cli", *args],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
    )


def test_missing_input_file_is_one_clear_line(db_env, tmp_path):
    result = run_cli("ingest", str(tmp_path / "nope.jsonl"))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("protestwatch: error:")
    assert "nope.jsonl" in lines[0] and "Traceback" not in result.stderr


def test_unreachable_database_is_one_clear_line():
    result = run_cli("top", env={"DATABASE_URL": "postgresql://nobody@127.0.0.1:1/nowhere"})
    assert result.returncode == 3
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "cannot reach the database" in lines[0]
    assert "Traceback" not in result.stderr


def test_non_postgres_url_is_rejected():
    result = run_cli("top", env={"DATABASE_URL": "sqlite:///x.db"})
    assert result.returncode == 2
    assert "must be a Postgres URL" in result.stderr


def test_unknown_format_is_one_clear_line(db_env, tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_text('{"data": []}\n')
    result = run_cli("ingest", "--format", "myspace", str(path))
    assert result.returncode == 2
    assert "unknown format 'myspace'" in result.stderr and "Traceback" not in result.stderr


def test_db_url_prints_a_libpq_url(db_env):
    result = run_cli("db", "url")
    assert result.returncode == 0
    assert result.stdout.startswith("postgresql://") and "+psycopg" not in result.stdout


def test_maintain_runs_every_step(db_env):
    result = run_cli("maintain", "--retention-days", "36500", "--no-vacuum")
    assert result.returncode == 0, result.stderr
    steps = [line.split(":")[0] for line in result.stdout.strip().splitlines()]
    assert steps == ["dropped", "created", "purged", "stale", "vacuum"]
