"""An årshjul activity done as an egenkontroll (the monthly loggkontroll): where an adopted
plan covers the unit and month, the egenkontroll occurrence is the one task in the inbox,
and the year view shows the activity with that occurrence, done when it is performed."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select

from kvalitet.arshjul.models import ArshjulUppgift
from kvalitet.arshjul.operations import create_activity, generate_occurrences, make_rule
from kvalitet.core import clock
from kvalitet.core.recurrence import Rule
from kvalitet.core.roles import Role
from kvalitet.egenkontroll import operations as egk
from kvalitet.egenkontroll.models import Egenkontroll, Svar
from kvalitet.extensions import db
from kvalitet.items.queries import inbox_query
from tests.egenkontroll.helpers import make_plan


def _log_check(org, metod="loggkontroll", start=date(2026, 1, 1)):
    return create_activity(
        org.kvalitet, title="Loggkontroll skyddade personuppgifter", description="",
        rule=make_rule("last_working_day", start), responsible_role=Role.ENHETSCHEF,
        units=[org.forv], scope_kind="enhet", lead_days=7, egk_metod=metod,
    )  # fmt: skip


def _run_both():
    # Either order, twice: safe to repeat.
    for _ in range(2):
        generate_occurrences()
        egk.generate_occurrences()
        egk.generate_occurrences()
        generate_occurrences()


def _inbox_titles(user):
    """The kinds of January's loggkontroll tasks in the user's inbox."""
    return [
        i.kind
        for i in db.session.scalars(inbox_query(user))
        if "oggkontroll" in i.title and i.due_date.month == 1
    ]


def test_the_inbox_has_the_loggkontroll_once(app, org, login_as):
    clock.freeze(datetime(2026, 1, 2, 8, 0))
    make_plan(org, rule=Rule("monthly", date(2025, 9, 1), day=15), units=[org.a1, org.b1])
    _log_check(org)
    clock.freeze(datetime(2026, 1, 26, 8, 0))
    _run_both()
    db.session.commit()
    # Enhet A1 and B1 are covered by the plan: one task each, the egenkontroll.
    assert _inbox_titles(org.chef_a1) == ["EGK"]
    assert _inbox_titles(org.chef_b1) == ["EGK"]
    # Enhet A2 is not in the plan: the årshjul still makes its task there.
    assert _inbox_titles(org.chef_a2) == ["ARS"]
    ars_units = set(db.session.scalars(select(ArshjulUppgift.unit_id)))
    assert ars_units == {org.a2.id}
    page = login_as(org.chef_a1).get("/").get_data(as_text=True)
    # The inbox page lists January's and February's occurrence, nothing twice.
    assert page.count("Loggkontroll skyddade personuppgifter") == 2


def test_year_view_shows_the_activity_done_when_the_egenkontroll_is_performed(app, org, login_as):
    clock.freeze(datetime(2026, 1, 2, 8, 0))
    _, kontroll = make_plan(org, units=[org.a1])
    _log_check(org)
    clock.freeze(datetime(2026, 1, 26, 8, 0))
    _run_both()
    item = db.session.scalars(
        select(Egenkontroll).where(
            Egenkontroll.unit_id == org.a1.id, Egenkontroll.planned_date == date(2026, 1, 15)
        )
    ).one()
    db.session.commit()
    chef = login_as(org.chef_a1)
    january = chef.get("/arshjul/?ar=2025/26").get_data(as_text=True)
    january = january.split("Januari 2026")[1].split("Februari 2026")[0]
    assert "Loggkontroll skyddade personuppgifter" in january
    assert "Genomförs som egenkontroll" in january
    assert f'href="/egenkontroll/{item.ref}"' in january
    assert "0/1 genomförda" in january
    answers = {(f.id, n): Svar.JA for f in kontroll.active_fragor for n in (1, 2, 3)}
    egk.save_answers(org.chef_a1, item, case_count=3, answers=answers, summary="Inga brister.",
                     complete=True)  # fmt: skip
    db.session.commit()
    january = chef.get("/arshjul/?ar=2025/26").get_data(as_text=True)
    january = january.split("Januari 2026")[1].split("Februari 2026")[0]
    assert "1/1 genomförda" in january and "Genomförd" in january
    # Another unit's chef sees neither the occurrence nor its reference.
    other = login_as(org.chef_b1).get("/arshjul/?ar=2025/26").get_data(as_text=True)
    assert item.ref not in other


def test_without_a_plan_the_arshjul_makes_its_own_task(app, org):
    clock.freeze(datetime(2026, 1, 2, 8, 0))
    make_plan(org, units=[org.a1], adopt_on=None)  # a draft covers nothing
    _log_check(org)
    clock.freeze(datetime(2026, 1, 26, 8, 0))
    _run_both()
    assert org.a1.id in set(db.session.scalars(select(ArshjulUppgift.unit_id)))


def test_activity_form_offers_the_method(app, org, login_as):
    kv = login_as(org.kvalitet)
    page = kv.get("/arshjul/aktiviteter/ny").get_data(as_text=True)
    assert 'name="egk_metod"' in page and ">Loggkontroll<" in page
    response = kv.post("/arshjul/aktiviteter/ny", {
        "title": "Loggkontroll", "freq": "monthly", "start": "2026-01-01", "interval": "1",
        "responsible_role": "enhetschef", "units": [str(org.forv.id)], "scope_kind": "enhet",
        "lead_days": "7", "active": "y", "egk_metod": "loggkontroll",
    })  # fmt: skip
    assert response.status_code == 302
    from kvalitet.arshjul.models import ArshjulAktivitet

    assert db.session.scalars(select(ArshjulAktivitet.egk_metod)).all() == ["loggkontroll"]


def test_catch_up_never_reaches_into_a_closed_year_or_before_a_unit_existed(app, org):
    """The scheduler's first start once made a new unit's tasks for every month since the
    activity began, also in the closed quality year whose report was frozen."""
    from kvalitet.org.models import UnitKind
    from kvalitet.org.operations import create_unit

    clock.freeze(datetime(2025, 9, 25, 8, 0))  # quality year 2025/26 began 1 September
    akt = _log_check(org, metod=None, start=date(2025, 1, 1))
    akt.created_at = datetime(2025, 1, 2, 8, 0, tzinfo=clock.UTC)  # activity from 2024/25
    generate_occurrences()
    planned = set(db.session.scalars(select(ArshjulUppgift.planned_date)))
    assert planned and min(planned) >= date(2025, 9, 1)  # nothing in 2024/25
    # A unit added in November gets tasks from November on, not September's and October's.
    clock.freeze(datetime(2025, 11, 24, 8, 0))
    new = create_unit(None, "Enhet A3", UnitKind.ENHET, org.avd_a)
    generate_occurrences()
    mine = sorted(
        db.session.scalars(
            select(ArshjulUppgift.planned_date).where(ArshjulUppgift.unit_id == new.id)
        )
    )
    assert mine == [date(2025, 11, 28)]
    # By hand, with `since`, the past can still be filled in (the demo does).
    generate_occurrences(since=date(2025, 9, 1))
    assert db.session.scalar(
        select(ArshjulUppgift.id).where(
            ArshjulUppgift.unit_id == new.id, ArshjulUppgift.planned_date == date(2025, 9, 30)
        )
    )
