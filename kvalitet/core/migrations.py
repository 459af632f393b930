"""Alembic, driven from the app: upgrade to head, autogenerate, and the drift check."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext

from kvalitet.extensions import db

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def upgrade(revision: str = "head") -> None:
    command.upgrade(alembic_config(), revision)


def revision(message: str) -> None:
    command.revision(alembic_config(), message=message, autogenerate=True)


# Tables kept outside the models: the full-text index (kvalitet.search.index), plain DDL
# per dialect (an FTS5 virtual table and its shadow tables on SQLite).
UNMODELLED_TABLE_PREFIX = "search_fts"


def include_name(name: str | None, type_: str, parent_names: dict) -> bool:
    """Autogenerate and the drift check leave the unmodelled tables alone."""
    return not (type_ == "table" and (name or "").startswith(UNMODELLED_TABLE_PREFIX))


def drift() -> list:
    """Differences between the models and the database (empty when migrations match)."""
    with db.engine.connect() as conn:
        context = MigrationContext.configure(
            conn,
            opts={
                "compare_type": True,
                "render_as_batch": conn.dialect.name == "sqlite",
                "include_name": include_name,
            },
        )
        return list(compare_metadata(context, db.metadata))
