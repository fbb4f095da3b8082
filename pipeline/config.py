"""Settings, read once from the environment.

Every knob of protestwatch is an environment variable documented here and in
``docs/operations.md``; nothing else reads ``os.environ``.

==================================  =========================================  ==========
variable                            meaning                                    default
==================================  =========================================  ==========
``DATABASE_URL``                    libpq/SQLAlchemy URL of the Postgres to    embedded
                                    use; unset starts an embedded Postgres
``PROTESTWATCH_HOME``               working directory (embedded Postgres data, ``.protestwatch``
                                    model cache, demo data)
``PROTESTWATCH_WINDOW_HOURS``       trailing analysis window of a detect run   ``24``
``PROTESTWATCH_BASELINE_DAYS``      baseline period before the window          ``7``
``PROTESTWATCH_PSEUDONYMISE_KEY``   if set, author ids and handles are stored  unset
                                    as HMAC-SHA256 keyed hashes
``PROTESTWATCH_INSTITUTIONAL``      CSV of institutional accounts              shipped list
``PROTESTWATCH_CHUNK_SIZE``         records per loading chunk                  ``10000``
``PROTESTWATCH_STANCE_MODEL``       stance model file (``train-stance``        shipped default
                                    output); unset uses the default model
``PROTESTWATCH_STANCE_CORPUS``      labeled CSV the retrain DAG trains on      shipped corpus
``PROTESTWATCH_SOURCES``            JSON list of sources the ingest DAG reads, none
                                    e.g. ``[{"kind": "files", "path":
                                    "/data/inbox"}, {"kind": "mastodon",
                                    "instance": "piaille.fr", "hashtags":
                                    ["pigeons"]}, {"kind": "bluesky", "query":
                                    "#pigeons"}]``
``PROTESTWATCH_INBOX``              without ``PROTESTWATCH_SOURCES``: one      unset
                                    ``files`` source reading this directory
``PROTESTWATCH_FAILURE_WEBHOOK``    URL that failed Airflow tasks POST a JSON  unset
                                    message to
==================================  =========================================  ==========
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.errors import ConfigError

__all__ = ["Settings", "get_settings"]


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from None
    if value <= 0:
        raise ConfigError(f"{name} must be positive, got {value}")
    return value


@dataclass(frozen=True)
class Settings:
    """All settings of one process; build it with :func:`get_settings`."""

    database_url: str | None
    home: Path
    window_hours: int = 24
    baseline_days: int = 7
    pseudonymise_key: bytes | None = field(default=None, repr=False)
    institutional_accounts: Path | None = None
    chunk_size: int = 10_000
    stance_model: Path | None = None
    stance_corpus: Path | None = None
    sources: tuple[dict, ...] = ()
    failure_webhook: str | None = None

    @property
    def uses_embedded_database(self) -> bool:
        """True when no ``DATABASE_URL`` is given and the embedded Postgres is used."""
        return not self.database_url


def _sources() -> tuple[dict, ...]:
    raw = os.environ.get("PROTESTWATCH_SOURCES") or ""
    if not raw.strip():
        inbox = os.environ.get("PROTESTWATCH_INBOX") or ""
        return ({"kind": "files", "path": inbox},) if inbox else ()
    try:
        sources = json.loads(raw)
    except ValueError as exc:
        raise ConfigError(f"PROTESTWATCH_SOURCES is not valid JSON: {exc}") from None
    if not isinstance(sources, list) or not all(isinstance(s, dict) for s in sources):
        raise ConfigError("PROTESTWATCH_SOURCES must be a JSON list of objects")
    return tuple(sources)


def get_settings() -> Settings:
    """Read the settings from the environment.

    Returns
    -------
    Settings
        The frozen settings object.

    Raises
    ------
    ConfigError
        If a variable has a value that cannot be used.
    """
    key = os.environ.get("PROTESTWATCH_PSEUDONYMISE_KEY") or None
    institutional = os.environ.get("PROTESTWATCH_INSTITUTIONAL") or None
    if institutional and not Path(institutional).is_file():
        raise ConfigError(f"PROTESTWATCH_INSTITUTIONAL points to a missing file: {institutional}")
    stance_model = os.environ.get("PROTESTWATCH_STANCE_MODEL") or None
    if stance_model and not Path(stance_model).is_file():
        raise ConfigError(f"PROTESTWATCH_STANCE_MODEL points to a missing file: {stance_model}")
    corpus = os.environ.get("PROTESTWATCH_STANCE_CORPUS") or None
    if corpus and not Path(corpus).is_file():
        raise ConfigError(f"PROTESTWATCH_STANCE_CORPUS points to a missing file: {corpus}")
    return Settings(
        database_url=os.environ.get("DATABASE_URL") or None,
        home=Path(os.environ.get("PROTESTWATCH_HOME") or ".protestwatch").absolute(),
        window_hours=_int("PROTESTWATCH_WINDOW_HOURS", 24),
        baseline_days=_int("PROTESTWATCH_BASELINE_DAYS", 7),
        pseudonymise_key=key.encode() if key else None,
        institutional_accounts=Path(institutional) if institutional else None,
        chunk_size=_int("PROTESTWATCH_CHUNK_SIZE", 10_000),
        stance_model=Path(stance_model) if stance_model else None,
        stance_corpus=Path(corpus) if corpus else None,
        sources=_sources(),
        failure_webhook=os.environ.get("PROTESTWATCH_FAILURE_WEBHOOK") or None,
    )
