"""Two registrators at once never get the same diarienummer (the counter row is locked).
PostgreSQL only: SQLite serialises writers with its database lock."""

import threading

import pytest
from sqlalchemy import select

from kvalitet.core import uow
from kvalitet.extensions import db
from kvalitet.org.models import Unit, User
from kvalitet.synpunkter import operations as ops
from kvalitet.synpunkter.models import Synpunkt
from tests.conftest import PG_URL

pytestmark = pytest.mark.skipif(not PG_URL, reason="needs PostgreSQL row locks")


def test_parallel_registrations_get_unique_numbers(app, org):
    unit_id, user_id = org.a1.id, org.registrator.id
    db.session.commit()
    errors: list[Exception] = []
    barrier = threading.Barrier(4)

    def work() -> None:
        with app.app_context():
            try:
                unit = db.session.get(Unit, unit_id)
                user = db.session.get(User, user_id)
                barrier.wait()
                for _ in range(5):
                    with uow.unit_of_work():  # each registration is its own unit, committed
                        ops.register(user, unit=unit, typ="synpunkt", kalla="brukare",
                                     kanal="telefon", description="Samtidigt")  # fmt: skip
            except Exception as exc:  # pragma: no cover - reported below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    numbers = db.session.scalars(select(Synpunkt.diarienummer)).all()
    assert len(numbers) == 20 and len(set(numbers)) == 20
    assert max(numbers).endswith("/0020")
