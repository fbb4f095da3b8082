"""``make airflow``: Airflow 3 standalone on protestwatch's DAGs and database.

``python -m pipeline.airflow_local`` runs ``airflow standalone`` (scheduler,
dag-processor, triggerer and the API server with the UI, LocalExecutor) with

* ``AIRFLOW_HOME = $PROTESTWATCH_HOME/airflow`` (Airflow's own metadata is SQLite
  there, as standalone does by default),
* the project's ``dags/`` folder and Airflow's example DAGs off,
* the protestwatch database (``DATABASE_URL``, or the embedded Postgres, started if
  needed and migrated before Airflow starts) as the Airflow connection
  ``protestwatch_db`` (``AIRFLOW_CONN_PROTESTWATCH_DB``) and as ``DATABASE_URL`` of
  the tasks,
* ``PROTESTWATCH_INBOX = $PROTESTWATCH_HOME/inbox``; ``--demo`` drops a generated
  scenario there (the same one ``protestwatch demo`` uses),
* the API server on ``127.0.0.1`` (passwords are plain text: local use only) and
  the tasks' execution API URL on the chosen port,

then prints the UI address and the login once the API server reports the scheduler
and the dag-processor healthy. Ctrl-C stops every component. Any ``AIRFLOW__...``
setting already in the environment wins over these defaults, so the same command
works with another metadata database or port (``--port`` or ``AIRFLOW__API__PORT``).

The embedded Postgres listens on a unix socket only, so its URL carries the socket
directory as a ``host`` query parameter
(``postgresql://postgres@/protestwatch?host=/abs/.protestwatch/pgdata``): libpq,
SQLAlchemy and Airflow's ``Connection`` all parse that form, and
``Connection.get_uri()`` gives it back unchanged.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path

from pipeline.airflow_support import CONN_ID
from pipeline.config import Settings, get_settings
from pipeline.errors import ConfigError, PipelineError

__all__ = [
    "CONN_ENV",
    "CONN_ID",
    "DAGS_FOLDER",
    "airflow_env",
    "drop_demo",
    "health",
    "logins",
    "main",
    "password_file",
    "run",
]

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
#: The project's DAGs, served as Airflow's dags folder.
DAGS_FOLDER = ROOT / "dags"
#: Environment variable that defines that connection (Airflow's ``AIRFLOW_CONN_<ID>``).
CONN_ENV = f"AIRFLOW_CONN_{CONN_ID.upper()}"
DEFAULT_PORT = 8080
#: Seconds to wait for the API server, scheduler and dag-processor to report healthy.
READY_TIMEOUT = 600


def _say(message: str) -> None:
    print(message, flush=True)


def airflow_env(
    database_url: str,
    *,
    home: Path,
    airflow_home: Path | None = None,
    port: int | None = None,
    inbox: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The environment of Airflow processes serving protestwatch's DAGs.

    Parameters
    ----------
    database_url : str
        libpq URL of the protestwatch database (``postgresql://...``).
    home : Path
        ``PROTESTWATCH_HOME`` of the tasks (models cache, inbox).
    airflow_home : Path, optional
        ``AIRFLOW_HOME`` (default ``home / "airflow"``).
    port : int, optional
        API server port; default ``AIRFLOW__API__PORT`` from ``environ``, else 8080.
    inbox : Path, optional
        ``PROTESTWATCH_INBOX`` (default ``home / "inbox"``).
    environ : mapping, optional
        Base environment (default ``os.environ``); its ``AIRFLOW__*`` settings win.

    Returns
    -------
    dict of str to str
        A complete environment for ``subprocess``.
    """
    base = dict(os.environ if environ is None else environ)
    if port is None:
        port = int(base.get("AIRFLOW__API__PORT") or DEFAULT_PORT)
    bin_dir = str(Path(sys.executable).parent)
    defaults = {
        "AIRFLOW_HOME": str(airflow_home or home / "airflow"),
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_FOLDER),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        # A development server with plain-text passwords: local connections only.
        "AIRFLOW__API__HOST": "127.0.0.1",
        # Tasks reach the API server here; Airflow's default assumes port 8080.
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
        "PROTESTWATCH_INBOX": str(inbox or home / "inbox"),
    }
    env = {**defaults, **base}
    env.update(
        {
            "AIRFLOW__API__PORT": str(port),
            CONN_ENV: database_url,
            "DATABASE_URL": database_url,
            "PROTESTWATCH_HOME": str(home),
            # standalone starts its components as `airflow ...` from PATH
            "PATH": os.pathsep.join([bin_dir, base.get("PATH", os.defpath)]),
        }
    )
    if inbox is not None:
        env["PROTESTWATCH_INBOX"] = str(inbox)
    return env


def password_file(env: Mapping[str, str]) -> Path:
    """Where Airflow's simple auth manager keeps the generated passwords."""
    configured = env.get("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE")
    if configured:
        return Path(configured)
    return Path(env["AIRFLOW_HOME"]) / "simple_auth_manager_passwords.json.generated"


def logins(env: Mapping[str, str]) -> dict[str, str]:
    """User name to password of the standalone's users (empty until generated)."""
    path = password_file(env)
    try:
        content = path.read_text().strip()
    except FileNotFoundError:
        return {}
    return json.loads(content) if content else {}


def health(base_url: str, timeout: float = 5.0) -> dict | None:
    """The API server's ``/api/v2/monitor/health`` answer, or None if it does not answer."""
    try:
        with urllib.request.urlopen(f"{base_url}/api/v2/monitor/health", timeout=timeout) as r:
            return json.loads(r.read())
    except (urllib.error.URLError, OSError, ValueError):
        return None


def _ready(answer: dict | None) -> bool:
    if not answer:
        return False
    parts = ("metadatabase", "scheduler", "dag_processor")
    return all((answer.get(p) or {}).get("status") == "healthy" for p in parts)


def _check_port(port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            raise ConfigError(
                f"port {port} is already in use: stop what runs there or choose another "
                "port with --port (or AIRFLOW__API__PORT)"
            ) from None


def drop_demo(settings: Settings, inbox: Path, seed: int = 7, posts: int = 60_000) -> int:
    """Copy the demo scenario's post files into ``inbox`` (simulating it if missing).

    Only ``posts-*.jsonl`` files are copied (not the ground truth). Returns the
    number of files in the inbox afterwards.
    """
    from pipeline.simulate import simulate

    data = settings.home / "demo" / f"seed{seed}-{posts}"
    if not (data / "truth.json").exists():
        _say(f"simulating the demo scenario ({posts:,} posts, seed {seed}) into {data}")
        simulate(data, seed=seed, posts=posts)
    inbox.mkdir(parents=True, exist_ok=True)
    for path in sorted(data.glob("posts-*.jsonl")):
        target = inbox / path.name
        if not target.exists():
            shutil.copy2(path, target)
    return len(list(inbox.glob("posts-*.jsonl")))


def _default_sigint() -> None:
    """In the child: take SIGINT (Ctrl-C) even if this process was started ignoring it
    (a background job), so standalone can stop its components."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _shutdown(proc: subprocess.Popen) -> None:
    """Stop standalone the way Ctrl-C does (it then stops its components), else kill it."""
    for action, wait in ((signal.SIGINT, 60), (signal.SIGTERM, 10), (signal.SIGKILL, 5)):
        if proc.poll() is not None:
            return
        proc.send_signal(action)
        try:
            proc.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            continue


def _banner(base_url: str, env: Mapping[str, str], seconds: float) -> list[str]:
    users = logins(env)
    if env.get("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS", "").lower() == "true":
        login = "no login needed (simple_auth_manager_all_admins)"
    elif users:
        login = ", ".join(f"{user} / {password}" for user, password in users.items())
    else:
        login = f"see {password_file(env)}"
    return [
        "",
        f"protestwatch Airflow is up: {base_url}  (ready in {seconds:.0f} s)",
        f"  login:        {login}",
        f"  DAGs folder:  {env['AIRFLOW__CORE__DAGS_FOLDER']}",
        f"  database:     connection {CONN_ID} = {env[CONN_ENV]}",
        f"  inbox:        {env['PROTESTWATCH_INBOX']}",
        f"  AIRFLOW_HOME: {env['AIRFLOW_HOME']}",
        "  run:          unpause protestwatch_ingest and protestwatch_detect, then trigger",
        "                protestwatch_ingest: it loads the inbox, and detection follows",
        "  stop:         Ctrl-C",
        "",
    ]


def run(
    port: int | None = None,
    demo: bool = False,
    ready_timeout: float = READY_TIMEOUT,
    settings: Settings | None = None,
) -> int:
    """Start ``airflow standalone`` for protestwatch and wait until it exits.

    Parameters
    ----------
    port : int, optional
        API server port (default ``AIRFLOW__API__PORT`` or 8080).
    demo : bool
        Drop the demo scenario into the inbox first.
    ready_timeout : float
        Seconds to wait for Airflow to become healthy before giving up.
    settings : Settings, optional
        Default: from the environment.

    Returns
    -------
    int
        Exit status of ``airflow standalone`` (0 after Ctrl-C).

    Raises
    ------
    PipelineError
        The port is taken, the database is unreachable, or Airflow did not come up.
    """
    from pipeline.database import database_url, ensure_schema, get_engine, libpq_url

    settings = settings or get_settings()
    if port is None:
        port = int(os.environ.get("AIRFLOW__API__PORT") or DEFAULT_PORT)
    _check_port(port)
    url = libpq_url(database_url(settings))
    ensure_schema(get_engine(settings))  # migrate once here, not concurrently in tasks
    env = airflow_env(url, home=settings.home, port=port)
    Path(env["AIRFLOW_HOME"]).mkdir(parents=True, exist_ok=True)
    inbox = Path(env["PROTESTWATCH_INBOX"])
    inbox.mkdir(parents=True, exist_ok=True)
    if demo:
        files = drop_demo(settings, inbox)
        _say(f"demo scenario: {files} post files in {inbox}")
    base_url = f"http://127.0.0.1:{port}"
    _say(f"starting airflow standalone (AIRFLOW_HOME={env['AIRFLOW_HOME']}, port {port})")
    started = time.monotonic()
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "airflow"), "standalone"],
        env=env,
        preexec_fn=_default_sigint,
    )

    stopping = []

    def _stop(signum, frame):
        stopping.append(signum)
        proc.send_signal(signal.SIGINT)  # standalone stops its components on SIGINT

    previous = signal.signal(signal.SIGTERM, _stop)
    try:
        deadline = time.monotonic() + ready_timeout
        while not _ready(health(base_url)):
            if proc.poll() is not None:
                if stopping:
                    return 0
                raise PipelineError(f"airflow standalone exited with status {proc.returncode}")
            if time.monotonic() > deadline:
                raise PipelineError(f"Airflow did not become healthy in {ready_timeout:.0f} s")
            time.sleep(1)
        while not logins(env) and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.5)
        for line in _banner(base_url, env, time.monotonic() - started):
            _say(line)
        return proc.wait()
    except KeyboardInterrupt:
        # Ctrl-C reached the whole process group; standalone shuts its components down.
        proc.wait()
        return 0
    finally:
        signal.signal(signal.SIGTERM, previous)
        _shutdown(proc)


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m pipeline.airflow_local`` (``make airflow``)."""
    parser = argparse.ArgumentParser(
        prog="python -m pipeline.airflow_local",
        description="Run Airflow standalone with protestwatch's DAGs and database.",
    )
    parser.add_argument("--port", type=int, help="API server / UI port (default 8080)")
    parser.add_argument(
        "--demo", action="store_true", help="drop the demo scenario's post files into the inbox"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    try:
        return run(port=args.port, demo=args.demo)
    except PipelineError as exc:
        print(f"protestwatch: error: {exc}", file=sys.stderr)
        return exc.exit_code


if __name__ == "__main__":
    sys.exit(main())
