"""One exception hierarchy for every error a user can act on.

The CLI turns any :class:`PipelineError` into one line on stderr and a non-zero exit
status, without a traceback. Anything else is a bug and keeps its traceback.
"""

__all__ = [
    "ConfigError",
    "DatabaseUnavailable",
    "InputError",
    "PipelineError",
    "SchemaOutOfDate",
    "SourceUnavailable",
]


class PipelineError(Exception):
    """Base class of the errors a user can fix (bad path, bad URL, bad option)."""

    exit_code = 2


class ConfigError(PipelineError):
    """A setting is missing or has a value that cannot be used."""


class InputError(PipelineError):
    """An input path, format or file cannot be read at all (bad records are quarantined)."""


class DatabaseUnavailable(PipelineError):
    """The database cannot be reached; transient, so Airflow tasks retry it."""

    exit_code = 3


class SchemaOutOfDate(PipelineError):
    """The database schema is older than the code; run ``protestwatch db upgrade``."""


class SourceUnavailable(PipelineError):
    """A live source (HTTP API) cannot be reached; transient, retried."""

    exit_code = 3
