"""URL handling and schema checks on real Postgres."""

import pytest
import sqlalchemy as sa

from pipeline.database import current_revision, ensure_schema, head_revision, resolve_url, upgrade
from pipeline.errors import ConfigError

pytestmark = pytest.mark.db


@pytest.mark.parametrize(
    "url",
    ["postgresql://user@host:5432/db", "postgres://user@host/db", "postgresql+psycopg://u@h/d"],
)
def test_libpq_urls_get_an_installed_driver(url):
    resolved = resolve_url(url)
    assert resolved.drivername in {"postgresql+psycopg", "postgresql+psycopg2"}
    assert resolved.database in {"db", "d"}


def test_garbage_url_is_a_config_error():
    with pytest.raises(ConfigError):
        resolve_url("::not a url::")


def test_upgrade_is_idempotent_and_at_head(engine):
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    ensure_schema(engine, auto_upgrade=False)
    with engine.connect() as conn:
        views = conn.scalars(sa.text("SELECT viewname FROM pg_views WHERE viewname LIKE 'mart_%'"))
        assert {"mart_emerging_opposition", "mart_movement_timeline"} <= set(views)
