"""Headless Chromium for the report's browser test.

``make test`` installs Chromium first (``scripts/ensure-chromium.sh``); when it is
missing anyway the test fails with that instruction instead of skipping.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "report"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
]


class Chromium:
    """Runs the browser binary with the test flags and a fresh profile each time."""

    def __init__(self, binary: str):
        self.binary = binary

    def run(self, *args: str, timeout: float = 180) -> subprocess.CompletedProcess:
        with tempfile.TemporaryDirectory(prefix="pw-chromium-") as profile:
            result = subprocess.run(
                [self.binary, *FLAGS, f"--user-data-dir={profile}", *args],
                capture_output=True,
                timeout=timeout,
                check=False,
            )
        if result.returncode != 0:
            tail = result.stderr.decode(errors="replace")[-2000:]
            raise AssertionError(f"chromium exited with {result.returncode}:\n{tail}")
        return result


@pytest.fixture(scope="session")
def chromium() -> Chromium:
    binary = os.environ.get("PROTESTWATCH_CHROMIUM") or shutil.which("chromium")
    binary = binary or "/usr/bin/chromium"
    if not Path(binary).is_file():
        pytest.fail(
            f"headless Chromium not found at {binary}: run scripts/ensure-chromium.sh "
            "(as root it installs the Debian 'chromium' package; `make test` runs it) "
            "or set PROTESTWATCH_CHROMIUM",
            pytrace=False,
        )
    return Chromium(binary)


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """``test-artifacts/report/`` (gitignored): the rendered report and screenshot."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
