"""docs/schema.md documents every table and view with exactly its columns and types."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from pipeline.database import SQL_DIR

pytestmark = pytest.mark.db

DOC = SQL_DIR.parent / "docs" / "schema.md"
HEADING = re.compile(r"^### `(\w+)`", re.MULTILINE)
# internal bookkeeping, not part of the data
UNDOCUMENTED = {"alembic_version"}


def documented_columns(text: str) -> dict[str, dict[str, str]]:
    """``{relation: {column: type}}`` from each "### `name`" section's first table."""
    sections = {}
    matches = list(HEADING.finditer(text))
    for match, following in zip(matches, [*matches[1:], None], strict=True):
        body = text[match.end() : following.start() if following else len(text)]
        body = body.split("\n## ", 1)[0]
        columns = {}
        for line in body.splitlines():
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if not line.startswith("|") or len(cells) < 2 or cells[0] in {"column", "---"}:
                continue
            names = [n.strip().strip("`") for n in cells[0].split(",")]
            types = [t.strip() for t in cells[1].split(",")]
            if len(types) != len(names):
                types = types[:1] * len(names)
            columns.update(zip(names, types, strict=True))
        sections[match.group(1)] = columns
    return sections


def schema_columns(engine) -> dict[str, dict[str, str]]:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod) "
                "FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace "
                "JOIN pg_attribute AS a ON a.attrelid = c.oid "
                "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm') "
                "AND NOT c.relispartition AND a.attnum > 0 AND NOT a.attisdropped "
                "ORDER BY c.relname, a.attnum"
            )
        ).all()
    schema: dict[str, dict[str, str]] = {}
    for relation, column, type_ in rows:
        type_ = type_.replace("timestamp with time zone", "timestamptz")
        schema.setdefault(relation, {})[column] = type_
    return schema


def test_every_table_and_view_is_documented_with_its_columns_and_types(engine):
    documented = documented_columns(DOC.read_text())
    schema = {k: v for k, v in schema_columns(engine).items() if k not in UNDOCUMENTED}
    missing = sorted(set(schema) - set(documented))
    assert missing == [], f"add a '### `name`' section to docs/schema.md for {missing}"
    mismatched = {
        relation: {
            "undocumented": {c: t for c, t in columns.items() if c not in documented[relation]},
            "not in the schema": sorted(set(documented[relation]) - set(columns)),
            "wrong type": {
                c: (documented[relation][c], t)
                for c, t in columns.items()
                if c in documented[relation] and documented[relation][c] != t
            },
        }
        for relation, columns in schema.items()
        if documented[relation] != columns
    }
    assert mismatched == {}


def test_every_documented_relation_exists(engine):
    documented = documented_columns(DOC.read_text())
    assert sorted(set(documented) - set(schema_columns(engine))) == []
