"""Årshjul: activities, occurrences as tasks on the right days, the year view, permissions."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import func, select

from kvalitet.arshjul.models import ArshjulAktivitet, ArshjulUppgift, ArsStatus
from kvalitet.arshjul.operations import (
    create_activity,
    generate_occurrences,
    make_rule,
    seed_typical_year,
)
from kvalitet.arshjul.reference import TYPICAL_YEAR
from kvalitet.core import clock
from kvalitet.core.roles import Role
from kvalitet.core.workflow import run_transition
from kvalitet.extensions import db
from kvalitet.items.queries import inbox_query


def _monthly_log_check(org, start=date(2026, 1, 1)):
    return create_activity(
        org.kvalitet, title="Loggkontroll skyddade personuppgifter", description="",
        rule=make_rule("last_working_day", start), responsible_role=Role.ENHETSCHEF,
        units=[org.avd_a], scope_kind="enhet", lead_days=7,
    )  # fmt: skip


def _tasks():
    return list(
        db.session.scalars(
            select(ArshjulUppgift).order_by(ArshjulUppgift.planned_date, ArshjulUppgift.unit_id)
        )
    )


def test_occurrences_appear_lead_days_ahead_per_unit_for_role_holder(app, org):
    clock.freeze(datetime(2026, 1, 2, 8, 0))
    _monthly_log_check(org)
    created_on: dict[date, list] = {}
    for _ in range(85):
        if generate_occurrences():
            created_on[clock.today()] = [(t.planned_date, t.unit_id) for t in _tasks()]
        generate_occurrences()  # idempotent
        clock.advance(timedelta(days=1))
    # last working days: Fri 30 Jan, Fri 27 Feb, Tue 31 Mar 2026; tasks come 7 days ahead.
    assert list(created_on) == [date(2026, 1, 23), date(2026, 2, 20), date(2026, 3, 24)]
    tasks = _tasks()
    assert [t.planned_date for t in tasks[::2]] == [
        date(2026, 1, 30),
        date(2026, 2, 27),
        date(2026, 3, 31),
    ]
    by_unit = {t.unit_id: t.owner_id for t in tasks}
    assert by_unit == {org.a1.id: org.chef_a1.id, org.a2.id: org.chef_a2.id}
    assert all(t.due_date == t.planned_date and t.status == ArsStatus.PLANERAD for t in tasks)


def test_tasks_are_in_mina_arenden_and_catch_up_after_downtime(app, org):
    clock.freeze(datetime(2026, 1, 2, 8, 0))
    _monthly_log_check(org)
    clock.freeze(datetime(2026, 3, 25, 8, 0))  # nothing ran since January
    assert generate_occurrences() == 6
    mine = db.session.scalars(inbox_query(org.chef_a1)).all()
    assert len([i for i in mine if i.kind == "ARS"]) == 3
    # A missed occurrence stays visible as missed (open and overdue).
    january = db.session.scalars(
        select(ArshjulUppgift).where(ArshjulUppgift.planned_date == date(2026, 1, 30))
    ).first()
    assert january.is_overdue


def test_two_runs_never_duplicate_an_occurrence(app, org):
    clock.freeze(datetime(2026, 3, 25, 8, 0))
    akt = _monthly_log_check(org)
    generate_occurrences(since=date(2026, 1, 1))
    assert db.session.scalar(select(func.count(ArshjulUppgift.id))) == 6
    generate_occurrences(since=date(2026, 1, 1))
    assert db.session.scalar(select(func.count(ArshjulUppgift.id))) == 6
    # The database itself refuses a second task for the same activity, unit and date.
    import pytest
    from sqlalchemy.exc import IntegrityError

    from kvalitet.items.operations import new_item

    new_item(
        ArshjulUppgift,
        None,
        title=akt.title,
        unit_id=org.a1.id,
        plan_unit_id=org.a1.id,
        aktivitet_id=akt.id,
        planned_date=date(2026, 1, 30),
        due_date=date(2026, 1, 30),
    )
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_typical_year_seeded_once(app, org):
    assert seed_typical_year(org.kvalitet) == len(TYPICAL_YEAR)
    titles = set(db.session.scalars(select(ArshjulAktivitet.title)))
    assert "Ledningens genomgång" in titles and "Kvalitetsberättelsen till nämnden" in titles
    import pytest

    from kvalitet.core.errors import Forbidden, OperationError

    with pytest.raises(OperationError):
        seed_typical_year(org.kvalitet)
    with pytest.raises(Forbidden):
        seed_typical_year(org.chef_a1)


def test_year_view_shows_status_per_month(app, org, login_as):
    clock.freeze(datetime(2026, 3, 25, 8, 0))
    _monthly_log_check(org)
    generate_occurrences(since=date(2026, 1, 1))
    jan_a1 = db.session.scalars(
        select(ArshjulUppgift).where(
            ArshjulUppgift.planned_date == date(2026, 1, 30), ArshjulUppgift.unit_id == org.a1.id
        )
    ).one()
    run_transition(jan_a1, "genomford", org.chef_a1)
    c = login_as(org.avdchef_a)
    page = c.get(f"/arshjul/?enhet={org.avd_a.id}&ar=2025/26").get_data(as_text=True)
    assert "Årshjul 2025/26" in page
    january = page.split("Januari 2026")[1].split("Februari 2026")[0]
    assert "1/2 genomförda" in january and "Försenad" in january
    april = page.split("April 2026")[1].split("Maj 2026")[0]
    assert "Kommande" in april and "2 enheter" in april
    # A single unit's chef sees only their own unit's task.
    c = login_as(org.chef_a1)
    page = c.get("/arshjul/?ar=2025/26").get_data(as_text=True)
    january = page.split("Januari 2026")[1].split("Februari 2026")[0]
    assert "Genomförd" in january and jan_a1.ref in january


def test_task_of_other_unit_is_404_and_due_date_editable(app, org, login_as):
    clock.freeze(datetime(2026, 3, 25, 8, 0))
    _monthly_log_check(org)
    generate_occurrences(since=date(2026, 1, 1))
    task = db.session.scalars(
        select(ArshjulUppgift)
        .where(ArshjulUppgift.unit_id == org.a1.id)
        .order_by(ArshjulUppgift.planned_date)
    ).first()
    other = login_as(org.chef_b1)
    response = other.get(f"/arshjul/uppgift/{task.ref}")
    assert response.status_code == 404 and task.title not in response.get_data(as_text=True)
    assert other.get(f"/arende/{task.ref}").status_code == 404
    chef = login_as(org.chef_a1)
    assert chef.get(f"/arshjul/uppgift/{task.ref}").status_code == 200
    bad = chef.post(
        f"/arshjul/uppgift/{task.ref}", {"due_date": "inte ett datum", "version": task.version}
    )
    assert bad.status_code == 422
    ok = chef.post(
        f"/arshjul/uppgift/{task.ref}", {"due_date": "2026-04-10", "version": task.version}
    )
    assert ok.status_code == 302
    db.session.refresh(task)
    assert task.due_date == date(2026, 4, 10) and task.planned_date == date(2026, 1, 30)


def test_activity_form_validation_and_permissions(app, org, login_as):
    chef = login_as(org.chef_a1)
    assert chef.get("/arshjul/aktiviteter/ny").status_code == 403
    kv = login_as(org.kvalitet)
    assert kv.get("/arshjul/aktiviteter/ny").status_code == 200
    bad = kv.post("/arshjul/aktiviteter/ny", {
        "title": "", "freq": "yearly", "start": "2026-13-01", "responsible_role": "enhetschef",
        "lead_days": "30",
    })  # fmt: skip
    assert bad.status_code == 422
    assert db.session.scalar(select(func.count(ArshjulAktivitet.id))) == 0
    bad = kv.post("/arshjul/aktiviteter/ny", {
        "title": "Ledningens genomgång", "freq": "yearly", "start": "2026-11-30",
        "until": "2025-01-01", "responsible_role": "kvalitetsutvecklare", "lead_days": "30",
        "units": [str(org.forv.id)], "active": "y",
    })  # fmt: skip
    assert bad.status_code == 422
    assert "Slutdatum" in bad.get_data(as_text=True)
    ok = kv.post("/arshjul/aktiviteter/ny", {
        "title": "Ledningens genomgång", "freq": "yearly", "start": "2026-11-30",
        "responsible_role": "kvalitetsutvecklare", "lead_days": "30",
        "units": [str(org.forv.id)], "active": "y",
    })  # fmt: skip
    assert ok.status_code == 302
    akt = db.session.scalars(select(ArshjulAktivitet)).one()
    assert akt.rule.freq == "yearly" and [u.id for u in akt.units] == [org.forv.id]
    edit = kv.get(f"/arshjul/aktiviteter/{akt.id}")
    assert edit.status_code == 200 and "Ledningens genomgång" in edit.get_data(as_text=True)
    ok = kv.post(f"/arshjul/aktiviteter/{akt.id}", {
        "title": "Ledningens genomgång (höst)", "freq": "yearly", "start": "2026-11-30",
        "responsible_role": "kvalitetsutvecklare", "lead_days": "20",
        "units": [str(org.forv.id)], "active": "y",
    })  # fmt: skip
    assert ok.status_code == 302
    db.session.refresh(akt)
    assert akt.title == "Ledningens genomgång (höst)" and akt.lead_days == 20
    assert "Ledningens genomgång (höst)" in kv.get("/arshjul/aktiviteter").get_data(as_text=True)


def test_report_draft_compiled_once_at_year_close(app, org, monkeypatch):
    import types

    from kvalitet.arshjul.operations import compile_report_at_year_close

    calls = []
    fake = types.SimpleNamespace(compile_scheduled_draft=lambda period: calls.append(period))
    monkeypatch.setitem(__import__("sys").modules, "kvalitet.rapport.operations", fake)
    clock.freeze(datetime(2026, 8, 31, 12, 0))
    compile_report_at_year_close()  # the year 2024/25 closed long ago: compiled once
    calls.clear()
    clock.freeze(datetime(2026, 9, 1, 6, 0))
    assert compile_report_at_year_close() is True
    assert compile_report_at_year_close() is False
    assert [p.label for p in calls] == ["2025/26"]


def test_statistics_for_subtree_and_period(app, org):
    from kvalitet.arshjul.stats import statistics
    from kvalitet.core.periods import quality_year

    clock.freeze(datetime(2026, 3, 25, 8, 0))
    _monthly_log_check(org)
    generate_occurrences(since=date(2026, 1, 1))
    first = db.session.scalars(
        select(ArshjulUppgift).where(ArshjulUppgift.unit_id == org.a1.id)
    ).first()
    run_transition(first, "genomford", org.chef_a1)
    stats = statistics(org.avd_a, quality_year(2025))
    assert stats["planned"] == 6 and stats["done"] == 1 and stats["open"] == 5
    assert stats["overdue"] == 3  # January and February at both units, minus the done one
    assert stats["per_activity"][0]["title"] == "Loggkontroll skyddade personuppgifter"
    assert statistics(org.avd_b, quality_year(2025))["planned"] == 0
    assert statistics(org.avd_a, quality_year(2024))["planned"] == 0


def test_personnummer_in_activity_title_is_refused_at_the_field(app, org, login_as):
    kv = login_as(org.kvalitet)
    response = kv.post("/arshjul/aktiviteter/ny", {
        "title": "Kontroll 19121212-1212", "freq": "yearly", "start": "2026-11-30",
        "responsible_role": "kvalitetsutvecklare", "lead_days": "30",
        "units": [str(org.forv.id)], "active": "y",
    })  # fmt: skip
    assert response.status_code == 422
    assert "title-fel" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(ArshjulAktivitet.id))) == 0
