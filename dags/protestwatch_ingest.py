"""protestwatch_ingest: every hour, ingest each configured source in its own mapped task.

Sources are the ``sources`` param, else ``PROTESTWATCH_SOURCES`` (a JSON list), else
``PROTESTWATCH_INBOX`` as one files source::

    [{"kind": "files", "path": "/data/inbox"},
     {"kind": "mastodon", "instance": "piaille.fr", "hashtags": ["pigeons"]},
     {"kind": "bluesky", "query": "#pigeons"}]

``files`` loads the files of the path (files loaded before are skipped by checksum);
``mastodon``/``bluesky`` fetch what is new since the source's stored cursor. Other
keys of a spec are options of the reader or collector. A source that loads posts
emits an update of the ``postgres://protestwatch/posts`` asset, with the loaded time
range in its extra (which protestwatch_detect turns into window ends); a source with
nothing new is skipped and emits nothing. Rerunning a task loads nothing twice.
"""

from __future__ import annotations

from airflow.sdk import Asset, Param, dag, task

from pipeline.airflow_support import DEFAULT_ARGS

POSTS = Asset("postgres://protestwatch/posts")


@dag(
    schedule="@hourly",
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["protestwatch"],
    params={
        "sources": Param(
            [],
            type="array",
            items={"type": "object"},
            description="source specs; empty: PROTESTWATCH_SOURCES (or PROTESTWATCH_INBOX)",
        ),
    },
    doc_md=__doc__,
)
def protestwatch_ingest():
    @task
    def list_sources(params=None) -> list[dict]:
        from pipeline.airflow_support import task_errors
        from pipeline.operations import configured_sources

        with task_errors():
            return configured_sources(params["sources"])

    @task(outlets=[POSTS], map_index_template="{{ source_name }}")
    def ingest_source(source: dict, outlet_events=None) -> dict:
        from airflow.sdk import get_current_context
        from airflow.sdk.exceptions import AirflowSkipException

        from pipeline import operations
        from pipeline.airflow_support import task_engine, task_errors

        get_current_context()["source_name"] = operations.source_name(source)
        with task_errors():
            summary = operations.ingest_source(task_engine(), source)
        if not summary["loaded"]:
            raise AirflowSkipException(f"{summary['source']}: nothing new ({summary})")
        outlet_events[POSTS].extra = summary["asset"]
        return summary

    ingest_source.expand(source=list_sources())


protestwatch_ingest()
