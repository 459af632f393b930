"""The committed Alembic migrations bring an empty database to head, and match the models."""

import os

import pytest
from sqlalchemy import inspect

from kvalitet import create_app
from kvalitet.core import migrations
from kvalitet.extensions import db
from tests.conftest import BASE_CONFIG, PG_URL, _pg_admin_engine, _pg_url


@pytest.fixture
def empty_app(tmp_path):
    if PG_URL:
        from sqlalchemy import text

        name = f"kvtest_migr_{os.getpid()}"
        admin = _pg_admin_engine()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = _pg_url(name)
    else:
        url = f"sqlite:///{tmp_path / 'empty.sqlite'}"
    os.environ["KVALITET_INSTANCE_PATH"] = str(tmp_path)
    app = create_app({**BASE_CONFIG, "DATABASE_URL": url})
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()
    if PG_URL:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_upgrade_from_empty_and_no_drift(empty_app):
    migrations.upgrade()
    tables = set(inspect(db.engine).get_table_names())
    assert {"item", "unit", "user_account", "audit_entry"} <= tables
    assert migrations.drift() == []


def test_migrate_db_command_seeds_reference_data(empty_app):
    result = empty_app.test_cli_runner().invoke(args=["migrate-db"])
    assert result.exit_code == 0, result.output
    from sqlalchemy import func, select

    from kvalitet.items.models import QualityArea

    assert db.session.scalar(select(func.count(QualityArea.id))) == 7


def test_items_gallrade_before_the_fix_leave_the_search_index(empty_app):
    """Revision e4a7c1f9d3b2: a gallrad item's old texts were still in search_fts (the
    scrub's UPDATEs passed the flush hook). The upgrade writes its row as what is left."""
    from datetime import datetime

    from sqlalchemy import text

    from kvalitet.org.models import UnitKind
    from kvalitet.org.operations import create_unit
    from kvalitet.search import index

    migrations.upgrade("b5d2e8f1a7c3")
    unit = create_unit(None, "Nämnd", UnitKind.NAMND, None)
    db.session.commit()
    conn = db.session.connection()
    at = datetime(2020, 1, 1)
    rows = [(1, "SYN-2020-0001", "(gallrad)"), (2, "SYN-2020-0002", "Gunnelbrita har kvar")]
    for item_id, ref, title in rows:
        conn.execute(
            text(
                "INSERT INTO item (id, kind, ref, ref_year, ref_seq, title, description, unit_id,"
                " status, version, created_at, updated_at) VALUES (:id, 'SYN', :ref, 2020, :id,"
                " :title, '', :unit, 'avslutad', 1, :at, :at)"
            ),
            {"id": item_id, "ref": ref, "title": title, "unit": unit.id, "at": at},
        )
        # The index row as the old gallring left it: the texts from before the scrub.
        old = f"{ref}\nGunnelbrita Söderholm föll\nGunnelbrita fick fel dos."
        if db.engine.dialect.name == "postgresql":
            conn.execute(
                text(
                    "INSERT INTO search_fts (item_id, body, kind, unit_id, created_at)"
                    " VALUES (:id, :body, 'SYN', :unit, :at)"
                ),
                {"id": item_id, "body": old, "unit": unit.id, "at": at},
            )
        else:
            conn.execute(text("INSERT INTO search_fts (rowid, body) VALUES (:id, :body)"),
                         {"id": item_id, "body": old})  # fmt: skip
    log_id = conn.execute(
        text(
            "INSERT INTO gallring_log (run_at, kind, years, item_count, attachment_count,"
            " skipped_count, refs) VALUES (:at, 'SYN', 2, 1, 0, 0, '[\"SYN-2020-0001\"]')"
            " RETURNING id"
        ),
        {"at": at},
    ).scalar()
    conn.execute(
        text("INSERT INTO gallrad_item (item_id, log_id, gallrad_at) VALUES (1, :log, :at)"),
        {"log": log_id, "at": at},
    )
    db.session.commit()

    def found(q: str) -> set[int]:
        return set(db.session.scalars(index.matching_ids(q)))

    assert found("Söderholm") == {1, 2}
    db.session.remove()  # its read's lock would hold up c8f3e5a1d7b4's ALTER of the index
    migrations.upgrade()
    db.session.remove()
    assert found("Söderholm") == {2} and found("dos") == {2} and found("gunnelbrita") == {2}
    assert found("gallrad") == {1} and found("SYN-2020-0001") == {1}


def test_health_care_flag_is_copied_to_item(empty_app):
    """Revision a6d9c3f1b7e2: the health-care flag of existing avvikelser and synpunkter is
    copied to item.health_care (what MAS's branch of the policy asks); the others keep
    false. On PostgreSQL revision c8f3e5a1d7b4 copies it on to the search index's rows."""
    from datetime import date, datetime

    from sqlalchemy import text

    from kvalitet.org.models import UnitKind
    from kvalitet.org.operations import create_unit

    migrations.upgrade("f2b8d4a6c1e9")
    unit = create_unit(None, "Nämnd", UnitKind.NAMND, None)
    db.session.commit()
    conn = db.session.connection()
    at = datetime(2025, 3, 1)
    rows = [(1, "AVV", True), (2, "AVV", False), (3, "SYN", True), (4, "SYN", False)]
    for item_id, kind, health_care in rows:
        conn.execute(
            text(
                "INSERT INTO item (id, kind, ref, ref_year, ref_seq, title, description, unit_id,"
                " status, version, created_at, updated_at) VALUES (:id, :kind, :ref, 2025, :id,"
                " 'x', '', :unit, 'rapporterad', 1, :at, :at)"
            ),
            {"id": item_id, "kind": kind, "ref": f"{kind}-2025-{item_id}", "unit": unit.id,
             "at": at},
        )  # fmt: skip
        if kind == "AVV":
            conn.execute(
                text(
                    "INSERT INTO avvikelse (id, noticed_how, noticed_how_text, external_party,"
                    " consequence_actual, consequence_possible, immediate_action, health_care,"
                    " analysis) VALUES (:id, '', '', '', '', '', '', :hc, '')"
                ),
                {"id": item_id, "hc": health_care},
            )
        else:
            conn.execute(
                text(
                    "INSERT INTO synpunkt (id, diarienummer, diarie_year, diarie_seq,"
                    " received_date, typ, kalla, kanal, anonymous, contact_name, contact_info,"
                    " health_care, public_submission, ack_method, answer_method, answer_text,"
                    " explanation) VALUES (:id, :nr, 2025, :id, :day, 'klagomal', 'brukare',"
                    " 'brev', :no, '', '', :hc, :no, '', '', '', '')"
                ),
                {"id": item_id, "nr": f"SYN-2025-{item_id}", "day": date(2025, 3, 1),
                 "hc": health_care, "no": False},
            )  # fmt: skip
    postgresql = conn.dialect.name == "postgresql"
    if postgresql:  # the search index's rows, as the flush hook wrote them before c8f3e5a1d7b4
        conn.execute(
            text(
                "INSERT INTO search_fts (item_id, body, kind, unit_id, created_at)"
                " SELECT id, title, kind, unit_id, created_at FROM item"
            )
        )
    db.session.commit()
    migrations.upgrade()
    copied = dict(db.session.execute(text("SELECT id, health_care FROM item ORDER BY id")).all())
    assert {k: bool(v) for k, v in copied.items()} == {1: True, 2: False, 3: True, 4: False}
    if postgresql:
        # Revision c8f3e5a1d7b4: and from item to the search index (MAS's search walk).
        indexed = db.session.execute(text("SELECT item_id, health_care FROM search_fts")).all()
        assert dict(indexed) == {1: True, 2: False, 3: True, 4: False}
