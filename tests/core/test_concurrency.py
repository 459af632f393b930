"""Concurrency from the outside: requests in parallel threads, each with its own session and
connection as on a real server, on SQLite (BEGIN IMMEDIATE, busy timeout) and PostgreSQL."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from typing import Any

from sqlalchemy import select

from kvalitet.atgarder.models import Atgard
from kvalitet.avvikelser.models import Avvikelse
from kvalitet.core.audit import AuditEntry
from kvalitet.extensions import db
from kvalitet.items.operations import new_item
from tests.avvikelser.helpers import category


def _parallel(calls: list[Any]) -> list[Any]:
    barrier = threading.Barrier(len(calls))

    def run(call: Any) -> Any:
        barrier.wait()
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def test_twenty_parallel_reports_all_succeed_with_unique_gap_free_numbers(org, login_as):
    clients = [login_as(org.med_a1) for _ in range(20)]
    tokens = [c.token("/avvikelser/ny") for c in clients]
    cat, unit_id = category().id, org.a1.id
    db.session.commit()

    def report(i: int) -> Any:
        return lambda: clients[i].raw.post("/avvikelser/ny", data={
            "csrf_token": tokens[i], "unit_id": str(unit_id), "category_id": str(cat),
            "description": f"Parallell rapport {i}", "event_at": "2026-11-20T10:00",
        })  # fmt: skip

    responses = _parallel([report(i) for i in range(20)])
    assert [r.status_code for r in responses] == [302] * 20, [
        r.get_data(as_text=True)[:300] for r in responses if r.status_code != 302
    ]
    db.session.expire_all()
    items = db.session.scalars(select(Avvikelse).order_by(Avvikelse.ref_seq)).all()
    assert sorted(i.ref_seq for i in items) == list(range(1, 21))
    assert len({i.ref for i in items}) == 20
    created = db.session.scalars(
        select(AuditEntry.item_id).where(AuditEntry.action == "created")
    ).all()
    assert sorted(created) == sorted(i.id for i in items)  # every create has its audit row


def test_two_parallel_takes_of_one_step_give_one_success_and_one_conflict(org, login_as):
    item = new_item(Atgard, org.chef_a1, title="Rutin", unit_id=org.a1.id,
                    owner_id=org.chef_a1.id, due_date=date(2026, 12, 1))  # fmt: skip
    db.session.commit()
    first, second = login_as(org.chef_a1), login_as(org.avdchef_a)
    tokens = [first.token(), second.token()]
    version, item_id = item.version, item.id
    db.session.commit()

    def take(client: Any, token: str) -> Any:
        return lambda: client.raw.post(
            f"/arende/{item_id}/steg/paborja", data={"csrf_token": token, "version": version}
        )

    responses = _parallel([take(first, tokens[0]), take(second, tokens[1])])
    codes = sorted(r.status_code for r in responses)
    assert codes == [302, 409], [r.get_data(as_text=True)[:300] for r in responses]
    conflict = next(r for r in responses if r.status_code == 409).get_data(as_text=True)
    assert "Någon annan har sparat ärendet" in conflict
    db.session.expire_all()
    steps = db.session.scalars(
        select(AuditEntry).where(AuditEntry.item_id == item_id, AuditEntry.action == "transition")
    ).all()
    assert len(steps) == 1  # the losing request saved nothing
