"""The egenkontroll pages from the outside: plans and controls, performing, findings,
permissions, statistics."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import func, select

from kvalitet.core import clock
from kvalitet.core.periods import quality_year
from kvalitet.core.recurrence import Rule
from kvalitet.egenkontroll import operations as ops
from kvalitet.egenkontroll.models import Egenkontroll, EgenkontrollPlan, EgkStatus, Fynd, Kontroll
from kvalitet.egenkontroll.stats import statistics
from kvalitet.extensions import db
from kvalitet.items.models import ItemLink
from tests.egenkontroll.helpers import make_plan


def _freeze(day: date) -> None:
    clock.freeze(datetime(day.year, day.month, day.day, 9, 0))


def _occurrence(unit) -> Egenkontroll:  # type: ignore[no-untyped-def]
    return db.session.scalars(
        select(Egenkontroll).where(Egenkontroll.unit_id == unit.id).order_by(Egenkontroll.id)
    ).first()


def test_plan_and_control_through_the_ui(app, org, login_as):
    _freeze(date(2026, 1, 10))
    web = login_as(org.kvalitet)
    page = web.get("/egenkontroll/planer/ny")
    assert page.status_code == 200
    response = web.post(
        "/egenkontroll/planer/ny",
        data={"year": "2025", "scope_unit_id": str(org.avd_a.id), "name": "Plan Avdelning A"},
    )
    assert response.status_code == 302
    plan_url = response.headers["Location"]
    plan_id = int(plan_url.rstrip("/").split("/")[-1])

    # bad input: re-rendered with messages, nothing saved
    bad = web.post(
        f"/egenkontroll/planer/{plan_id}/kontroller/ny",
        data={"title": "", "method": "aktgranskning", "sample_size": "300", "freq": "monthly",
              "start": "2025-09-01", "responsible_role": "enhetschef", "questions": ""},
    )  # fmt: skip
    assert bad.status_code == 422
    text = bad.get_data(as_text=True)
    assert "Ange vad som kontrolleras." in text and "Ange 1–200." in text
    outside = web.post(
        f"/egenkontroll/planer/{plan_id}/kontroller/ny",
        data={"title": "Aktgranskning", "method": "aktgranskning", "sample_size": "5",
              "freq": "quarterly", "start": "2025-09-01", "day": "20", "month": "3",
              "responsible_role": "enhetschef", "due_working_days": "10",
              "unit_ids": [str(org.b1.id)], "questions": "Är planen aktuell?"},
    )  # fmt: skip
    assert outside.status_code == 422
    assert "utanför planens omfattning" in outside.get_data(as_text=True)
    assert db.session.scalar(select(Kontroll.id)) is None

    ok = web.post(
        f"/egenkontroll/planer/{plan_id}/kontroller/ny",
        data={"title": "Aktgranskning genomförandeplaner", "method": "aktgranskning",
              "sample_size": "5", "freq": "quarterly", "start": "2025-09-01", "day": "20",
              "month": "3", "responsible_role": "enhetschef", "due_working_days": "10",
              "unit_ids": [str(org.a1.id), str(org.a2.id)], "active": "y",
              "questions": "Är genomförandeplanen aktuell?\nFramgår den enskildes delaktighet?\n"
                           "Är barnets synpunkter dokumenterade?"},
    )  # fmt: skip
    assert ok.status_code == 302, ok.get_data(as_text=True)
    kontroll = db.session.scalar(select(Kontroll))
    assert kontroll.rule == Rule("quarterly", date(2025, 9, 1), day=20, month=3)
    assert len(kontroll.active_fragor) == 3
    detail = web.get(plan_url).get_data(as_text=True)
    assert "Varje kvartal den 20:e (mar, jun, sep, dec)" in detail

    adopted = web.post(f"/egenkontroll/planer/{plan_id}/faststall", data={})
    assert adopted.status_code == 302
    # adopted 10 Jan: nothing before; 30 days ahead reaches no quarter date (20 Mar) yet
    _freeze(date(2026, 2, 20))
    ops.generate_occurrences()
    items = db.session.scalars(select(Egenkontroll).order_by(Egenkontroll.unit_id)).all()
    assert [(i.unit_id, i.planned_date) for i in items] == [
        (org.a1.id, date(2026, 3, 20)),
        (org.a2.id, date(2026, 3, 20)),
    ]
    # editing: a removed question is deactivated, answers would keep it
    web.post(
        f"/egenkontroll/kontroller/{kontroll.id}/redigera",
        data={"title": "Aktgranskning genomförandeplaner", "method": "aktgranskning",
              "sample_size": "5", "freq": "quarterly", "start": "2025-09-01", "day": "20",
              "month": "3", "responsible_role": "enhetschef", "due_working_days": "10",
              "unit_ids": [str(org.a1.id), str(org.a2.id)], "active": "y",
              "questions": "Är genomförandeplanen aktuell?"},
    )  # fmt: skip
    db.session.expire_all()
    assert [f.text for f in kontroll.active_fragor] == ["Är genomförandeplanen aktuell?"]
    assert len(kontroll.fragor) == 3


def test_perform_with_answers_summary_and_findings(app, org, login_as):
    _freeze(date(2026, 1, 10))
    make_plan(org, units=[org.a1], adopt_on=date(2026, 1, 10))
    item = _occurrence(org.a1)
    q1, q2 = item.kontroll.active_fragor
    web = login_as(org.chef_a1)
    url = f"/egenkontroll/{item.ref}"
    assert web.get(url).status_code == 200

    draft = {"case_count": "3", "summary": "", "action": "spara", "version": str(item.version),
             f"svar-{q1.id}-1": "ja", f"svar-{q1.id}-2": "nej"}  # fmt: skip
    assert web.post(url + "/utfor", data=draft).status_code == 302
    db.session.expire_all()
    assert item.status == EgkStatus.PAGAENDE

    # completing with answers missing: 422, message, nothing half-saved
    incomplete = {**draft, "action": "slutfor", "version": str(item.version),
                  "summary": "Två brister"}  # fmt: skip
    response = web.post(url + "/utfor", data=incomplete)
    assert response.status_code == 422
    assert "svar saknas" in response.get_data(as_text=True)
    db.session.expire_all()
    assert item.status == EgkStatus.PAGAENDE and item.summary == ""

    full = {"case_count": "3", "summary": "Loggen visar en åtkomst utan skäl.",
            "action": "slutfor", "version": str(item.version),
            f"svar-{q1.id}-1": "ja", f"svar-{q1.id}-2": "nej", f"svar-{q1.id}-3": "ja",
            f"svar-{q2.id}-1": "ja", f"svar-{q2.id}-2": "ej_aktuellt",
            f"svar-{q2.id}-3": "ja"}  # fmt: skip
    assert web.post(url + "/utfor", data=full).status_code == 302
    db.session.expire_all()
    assert item.status == EgkStatus.GENOMFORD and item.performed_by_id == org.chef_a1.id
    results = {r["fraga"].id: (r["n"], r["N"]) for r in ops.results(item)}
    assert results == {q1.id: (2, 3), q2.id: (2, 2)}
    page = web.get(url).get_data(as_text=True)
    assert "2/3" in page and "2/2" in page

    # a personnummer in a finding is refused at the field
    pnr = web.post(url + "/fynd", data={"text": "Gäller 19121212-1212"})
    assert pnr.status_code == 422
    assert db.session.scalar(select(Fynd.id)) is None
    assert (
        web.post(url + "/fynd", data={"text": "Åtkomst utan dokumenterat skäl"}).status_code == 302
    )
    assert web.post(url + "/fynd", data={"text": "Rutinen är inte känd"}).status_code == 302
    f1, f2 = db.session.scalars(select(Fynd).order_by(Fynd.id)).all()

    made = web.post(url + f"/fynd/{f1.id}/atgard", data={})
    assert made.status_code == 302
    db.session.expire_all()
    atgard = f1.result_item
    assert atgard is not None and atgard.kind == "ATG" and atgard.unit_id == org.a1.id
    assert atgard.description == "Åtkomst utan dokumenterat skäl"
    assert db.session.scalar(
        select(ItemLink).where(ItemLink.source_id == item.id, ItemLink.target_id == atgard.id)
    )
    # one click only: a second click makes nothing new
    web.post(url + f"/fynd/{f1.id}/atgard", data={})
    assert db.session.scalars(select(ItemLink).where(ItemLink.source_id == item.id)).all()

    avv = web.post(url + f"/fynd/{f2.id}/avvikelse", data={})
    assert avv.status_code == 302
    db.session.expire_all()
    avvikelse = f2.result_item
    assert avvikelse is not None and avvikelse.kind == "AVV"
    links = db.session.scalars(select(ItemLink).where(ItemLink.source_id == item.id)).all()
    assert {link.target_id for link in links} == {atgard.id, avvikelse.id}


def test_due_date_edit_keeps_planned_date_and_revives_missed(app, org, login_as):
    _freeze(date(2026, 1, 10))
    make_plan(org, units=[org.a1], adopt_on=date(2026, 1, 10), due_days=1)
    item = _occurrence(org.a1)
    _freeze(date(2026, 1, 20))
    ops.mark_missed()
    db.session.expire_all()
    assert item.status == EgkStatus.MISSAD
    web = login_as(org.chef_a1)
    bad = web.post(f"/egenkontroll/{item.ref}/sista-datum",
                   data={"due_date": "2026-01-01", "version": str(item.version)})  # fmt: skip
    assert bad.status_code == 422
    assert "före planerat datum" in bad.get_data(as_text=True)
    ok = web.post(f"/egenkontroll/{item.ref}/sista-datum",
                  data={"due_date": "2026-01-30", "version": str(item.version)})  # fmt: skip
    assert ok.status_code == 302
    db.session.expire_all()
    assert item.due_date == date(2026, 1, 30) and item.planned_date == date(2026, 1, 15)
    assert item.status == EgkStatus.PLANERAD


def test_other_units_get_404_and_see_no_titles(app, org, login_as):
    _freeze(date(2026, 1, 10))
    plan, _ = make_plan(org, units=[org.a1], adopt_on=None)
    ops.save_kontroll(org.kvalitet, plan, title="Hemlig kontroll Zeta", rule=Rule(
        "monthly", date(2025, 9, 1), day=15), units=[org.a1], questions=["Fråga"])  # fmt: skip
    ops.adopt_plan(org.kvalitet, plan, on=date(2026, 1, 10))
    item = db.session.scalar(
        select(Egenkontroll).join(Kontroll).where(Kontroll.title == "Hemlig kontroll Zeta")
    )
    for user in (org.chef_b1, org.med_a1, org.lasare):
        web = login_as(user)
        response = web.get(f"/egenkontroll/{item.ref}")
        assert response.status_code == 404
        assert "Zeta" not in response.get_data(as_text=True)
        assert "Zeta" not in web.get("/egenkontroll/").get_data(as_text=True)
        assert web.post(f"/egenkontroll/{item.ref}/fynd", data={"text": "x"}).status_code == 404
    # the owner and the avdelningschef above see it
    for user in (org.chef_a1, org.avdchef_a, org.kvalitet):
        assert "Zeta" in login_as(user).get("/egenkontroll/").get_data(as_text=True)
    # a chef of another unit cannot add controls to a förvaltning plan
    assert (
        login_as(org.chef_b1).get(f"/egenkontroll/planer/{plan.id}/kontroller/ny").status_code
        == 403
    )


def test_statistics_planned_performed_missed_and_n_of_N(app, org, login_as):
    _freeze(date(2026, 1, 5))
    make_plan(org, units=[org.a1, org.b1], adopt_on=date(2026, 1, 5), due_days=2)
    a1 = _occurrence(org.a1)
    q1, q2 = a1.kontroll.active_fragor
    answers = {(q1.id, 1): "ja", (q1.id, 2): "nej", (q1.id, 3): "ja",
               (q2.id, 1): "ja", (q2.id, 2): "ja", (q2.id, 3): "ej_aktuellt"}  # fmt: skip
    ops.save_answers(org.chef_a1, a1, case_count=3, answers=answers, summary="ok", complete=True)
    _freeze(date(2026, 1, 25))
    ops.mark_missed()
    year = quality_year(2025)
    stats = statistics(org.forv, year)
    assert stats["planerade"] == 2
    assert stats["genomforda"] == 1 and stats["genomforda_i_tid"] == 1
    assert stats["missade"] == 1
    assert stats["andel_genomforda"] == 50
    assert [(r["fraga"], r["n"], r["N"]) for r in stats["fragor"]] == [
        (q1.text, 2, 3),
        (q2.text, 2, 2),
    ]
    assert stats["fragor_per_enhet"][0]["enhet"] == "Enhet A1"
    # subtree: avdelning B has only the missed one
    b = statistics(org.avd_b, year)
    assert (b["planerade"], b["genomforda"], b["missade"]) == (1, 0, 1)
    assert statistics(org.forv, year.previous_year())["planerade"] == 0
    # performed late counts as late
    b1 = _occurrence(org.b1)
    ops.save_answers(org.chef_b1, b1, case_count=1,
                     answers={(q1.id, 1): "ja", (q2.id, 1): "ja"}, summary="sent",
                     complete=True)  # fmt: skip
    stats = statistics(org.forv, year)
    assert (stats["genomforda"], stats["genomforda_sent"], stats["missade"]) == (2, 1, 0)
    page = login_as(org.kvalitet).get("/egenkontroll/statistik?ar=2025/26")
    assert page.status_code == 200
    assert "2/3" in page.get_data(as_text=True)
    # A read-only role sees the same table with groups under five suppressed (one rule).
    page = login_as(org.lasare).get("/egenkontroll/statistik?ar=2025/26")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "2/3" not in body and "&lt;5/&lt;5" in body
    assert login_as(org.med_a1).get("/egenkontroll/statistik").status_code == 403


def test_copy_plan_to_next_year(app, org, login_as):
    _freeze(date(2026, 5, 1))
    plan, kontroll = make_plan(org, rule=Rule("weeks", date(2025, 9, 1), interval=2,
                                              until=date(2026, 6, 30)))  # fmt: skip
    web = login_as(org.kvalitet)
    response = web.post(f"/egenkontroll/planer/{plan.id}/kopiera", data={})
    assert response.status_code == 302
    copy = db.session.scalar(select(EgenkontrollPlan).where(EgenkontrollPlan.year == 2026))
    assert copy.status == "utkast" and copy.scope_unit_id == plan.scope_unit_id
    (copied,) = copy.kontroller
    assert copied.rule == Rule("weeks", date(2026, 9, 1), interval=2, until=date(2027, 6, 30))
    assert [f.text for f in copied.active_fragor] == [f.text for f in kontroll.active_fragor]
    assert {u.id for u in copied.units} == {org.a1.id, org.b1.id}
    # copying again: the name is taken for that year
    again = web.post(f"/egenkontroll/planer/{plan.id}/kopiera", data={})
    assert again.status_code == 302
    assert (
        db.session.scalar(
            select(func.count(EgenkontrollPlan.id)).where(EgenkontrollPlan.year == 2026)
        )
        == 1
    )
