"""Helpers for tests that run real Airflow servers as subprocesses.

Every process is started in its own session (process group) and registered with a
:class:`Processes` group that stops them all — SIGTERM to each group, then SIGKILL to
whatever is left, descendants included — at fixture teardown and, as a last resort,
at interpreter exit, so a failing or timed-out test leaves nothing running.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import psutil
import pytest

ROOT = Path(__file__).resolve().parents[2]
DAGS = ROOT / "dags"


def _die_with_parent() -> None:  # pragma: no cover - runs in the child
    """Linux: SIGTERM this process when the test process dies, even by SIGKILL."""
    with contextlib.suppress(OSError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def protestwatch_dag_ids() -> set[str]:
    """The DAG ids of the project (one DAG per file, file name = dag_id)."""
    return {path.stem for path in DAGS.glob("*.py") if not path.name.startswith("_")}


class Processes:
    """Subprocesses started in their own process groups, stopped together."""

    def __init__(self, log_dir: Path):
        self.log_dir = log_dir
        self.procs: dict[str, subprocess.Popen] = {}
        self.logs: dict[str, Path] = {}
        atexit.register(self.stop)

    def start(self, name: str, argv: list[str], env: dict[str, str]) -> subprocess.Popen:
        log = self.log_dir / f"{name}.log"
        with log.open("ab") as out:
            proc = subprocess.Popen(
                argv,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                preexec_fn=_die_with_parent if sys.platform == "linux" else None,
                cwd=self.log_dir,
            )
        self.procs[name] = proc
        self.logs[name] = log
        return proc

    def check_alive(self) -> None:
        """Fail with the tail of its log if a process has exited."""
        for name, proc in self.procs.items():
            if proc.poll() is not None:
                pytest.fail(f"{name} exited with status {proc.returncode}:\n{self.tail(name)}")

    def tail(self, name: str, chars: int = 4000) -> str:
        try:
            return self.logs[name].read_text(errors="replace")[-chars:]
        except FileNotFoundError:
            return ""

    def stop(self, timeout: float = 30.0) -> None:
        """SIGTERM every process group, wait, then SIGKILL what is left."""
        family: list[psutil.Process] = []
        for proc in self.procs.values():
            with contextlib.suppress(psutil.NoSuchProcess):
                parent = psutil.Process(proc.pid)
                family += [parent, *parent.children(recursive=True)]
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGTERM)
        _, alive = psutil.wait_procs(family, timeout=timeout)
        for proc in self.procs.values():
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
        for leftover in alive:
            with contextlib.suppress(psutil.NoSuchProcess):
                leftover.kill()
        psutil.wait_procs(alive, timeout=5)
        for proc in self.procs.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=5)

    def running(self) -> list[int]:
        """Pids of the started processes (and their process groups) still alive."""
        alive = []
        for proc in self.procs.values():
            try:
                os.killpg(proc.pid, 0)
                alive.append(proc.pid)
            except ProcessLookupError:
                pass
        return alive


@pytest.fixture
def processes(tmp_path):
    """A :class:`Processes` group whose members are all stopped after the test."""
    group = Processes(tmp_path)
    yield group
    group.stop()
    atexit.unregister(group.stop)


class Api:
    """A minimal client of Airflow 3's REST API with a JWT from ``/auth/token``."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.token: str | None = None

    def request(self, method: str, path: str, body: dict | None = None, timeout: float = 30):
        data = None if body is None else json.dumps(body).encode()
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        req = urllib.request.Request(self.base_url + path, data, headers, method=method)
        with urllib.request.urlopen(req, timeout=timeout) as response:
            raw = response.read()
            return response.status, (json.loads(raw) if raw else None)

    def get(self, path: str):
        return self.request("GET", path)[1]

    def post(self, path: str, body: dict):
        return self.request("POST", path, body)[1]

    def patch(self, path: str, body: dict):
        return self.request("PATCH", path, body)[1]

    def login(self, username: str, password: str) -> str:
        status, answer = self.request(
            "POST", "/auth/token", {"username": username, "password": password}
        )
        assert status in (200, 201), answer
        self.token = answer["access_token"]
        return self.token

    def health(self) -> dict | None:
        try:
            return self.request("GET", "/api/v2/monitor/health", timeout=5)[1]
        except (urllib.error.URLError, OSError, ValueError):
            return None


def wait_for(predicate, timeout: float, what: str, interval: float = 1.0, check=None):
    """Poll ``predicate`` until it returns a truthy value; fail after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if check is not None:
            check()
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)
