"""The benchmark database: an app on a fresh database at a URL (SQLite file or PostgreSQL
database, emptied first), with the schema and the reference lists."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from kvalitet import create_app
from kvalitet.demo import seed_reference_data
from kvalitet.extensions import db


def normalised(url: str) -> str:
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def recreate(url: str) -> None:
    """Empty the database at `url`: delete the SQLite file, or drop and create the
    PostgreSQL database."""
    parsed = make_url(normalised(url))
    if parsed.get_backend_name() == "sqlite":
        if parsed.database:
            for suffix in ("", "-wal", "-shm"):
                Path(parsed.database + suffix).unlink(missing_ok=True)
        return
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    admin.dispose()


def app_for(url: str, **config: Any) -> Any:
    """The app on an existing benchmark database."""
    os.environ.setdefault("KVALITET_INSTANCE_PATH", tempfile.mkdtemp(prefix="kvalitet-bench-"))
    return create_app({"SECRET_KEY": "bench", "DATABASE_URL": normalised(url),
                       "SERVER_NAME": None, **config})  # fmt: skip


def fresh_app(url: str) -> Any:
    """The app on an emptied database with the schema and the reference lists."""
    recreate(url)
    app = app_for(url)
    with app.app_context():
        db.create_all()
        seed_reference_data()
        db.session.commit()
    return app
