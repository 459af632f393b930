"""Synpunkter: registration, diarienummer, deadlines, handling and visibility (operations)."""

from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from kvalitet.core import clock
from kvalitet.core.audit import AuditEntry
from kvalitet.core.errors import OperationError, WorkflowRefused
from kvalitet.core.permissions import can, visible_clause
from kvalitet.extensions import db
from kvalitet.items.models import Item, ListEntry
from kvalitet.items.queries import inbox_query
from kvalitet.notify.models import Notification
from kvalitet.synpunkter import operations as ops
from kvalitet.synpunkter.kinds import SPEC
from kvalitet.synpunkter.models import THEME_LIST, Synpunkt


def freeze(day: date) -> None:
    clock.freeze(datetime(day.year, day.month, day.day, 10, 0))


def register(org, actor=None, **kw):
    fields = dict(unit=org.a1, typ="klagomal", kalla="narstaende", kanal="brev",
                  description="Svårt att nå handläggaren på telefon.")  # fmt: skip
    fields.update(kw)
    return ops.register(actor or org.registrator, **fields)


def count(model=Synpunkt) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


# --- deadlines in Swedish working days ------------------------------------------------------


@pytest.mark.parametrize(
    ("received", "ack", "answer"),
    [
        # Friday: the weekend is skipped.
        (date(2026, 3, 13), date(2026, 3, 17), date(2026, 3, 27)),
        # Skärtorsdag: långfredag and annandag påsk are not working days.
        (date(2026, 4, 2), date(2026, 4, 8), date(2026, 4, 20)),
        # Before Christmas: julafton, juldagen, annandag jul and the weekend are skipped;
        # nyårsafton, nyårsdagen and trettondedag jul too.
        (date(2026, 12, 23), date(2026, 12, 29), date(2027, 1, 13)),
        # Received on a Saturday: counting starts on Monday.
        (date(2026, 3, 14), date(2026, 3, 17), date(2026, 3, 27)),
    ],
)
def test_deadlines_skip_weekends_and_holidays(app, received, ack, answer):
    assert ops.deadlines(received) == (ack, answer)


def test_health_care_answer_within_four_weeks_moved_past_midsommarafton(app):
    # 2026-05-22 + 4 weeks = midsommarafton 2026-06-19, so the next working day.
    ack, answer = ops.deadlines(date(2026, 5, 22), health_care=True)
    assert ack == date(2026, 5, 26)
    assert answer == date(2026, 6, 22)


def test_deadline_settings_are_configurable(app):
    app.config["SYNPUNKT_ACK_WORKDAYS"] = 1
    app.config["SYNPUNKT_ANSWER_WORKDAYS"] = 5
    assert ops.deadlines(date(2026, 3, 13)) == (date(2026, 3, 16), date(2026, 3, 20))


# --- registration ---------------------------------------------------------------------------


def test_register_assigns_diarienummer_deadlines_owner_and_notifies_chef(app, org):
    freeze(date(2026, 3, 13))
    item = register(org, received_date=date(2026, 3, 13))
    assert item.diarienummer == "SN 2026/0001"
    assert item.ref.startswith("SYN-2026-")
    assert item.status == "mottagen"
    assert item.owner_id == org.chef_a1.id
    assert (item.ack_due, item.answer_due) == (date(2026, 3, 17), date(2026, 3, 27))
    assert item.due_date == date(2026, 3, 17)
    assert register(org).diarienummer == "SN 2026/0002"
    note = db.session.scalar(select(Notification).where(Notification.user_id == org.chef_a1.id))
    assert note is not None and "SN 2026/0001" in note.message
    assert "telefon" not in note.message  # never the text itself


def test_diarienummer_format_is_configurable_and_restarts_each_year(app, org):
    app.config["SYNPUNKT_DIARIENUMMER_FORMAT"] = "KLA-{year}-{seq:03d}"
    freeze(date(2026, 12, 30))
    assert register(org).diarienummer == "KLA-2026-001"
    assert register(org).diarienummer == "KLA-2026-002"
    freeze(date(2027, 1, 4))
    assert register(org).diarienummer == "KLA-2027-001"


def test_anonymous_owes_no_answer_and_drops_contact_details(app, org):
    item = register(org, anonymous=True, contact_name="Någon", contact_info="070-1234567")
    assert item.ack_due is None and item.answer_due is None and item.due_date is None
    assert item.contact_name == "" and item.contact_info == ""


def test_bad_input_saves_nothing(app, org):
    with pytest.raises(OperationError) as exc:
        register(org, description="Gäller 19121212-1212 som fick fel beslut")
    assert exc.value.field == "description"
    with pytest.raises(OperationError) as exc:
        register(org, typ="skvaller")
    assert exc.value.field == "typ"
    with pytest.raises(OperationError) as exc:
        register(org, received_date=date(2099, 1, 1))
    assert exc.value.field == "received_date"
    with pytest.raises(OperationError):
        register(org, description="   ")
    assert count() == 0
    assert count(Item) == 0
    assert not db.session.scalar(
        select(func.count(AuditEntry.id)).where(AuditEntry.item_id.is_not(None))
    )
    # The diarienummer series has no holes after refused registrations.
    assert register(org).diarienummer.endswith("/0001")


def test_theme_must_be_from_the_theme_list(app, org):
    theme = db.session.scalar(select(ListEntry).where(ListEntry.list_key == THEME_LIST))
    assert register(org, theme_id=theme.id).theme.label == theme.label
    other = ListEntry(list_key="avvikelse_kategori_x", label="X")
    db.session.add(other)
    db.session.commit()
    with pytest.raises(OperationError):
        register(org, theme_id=other.id)


def test_oral_registration_by_any_employee(app, org):
    item = ops.register_oral(org.med_a1, unit=org.a1, typ="forslag",
                             description="Föräldrarna vill ha fler kvällstider.")  # fmt: skip
    assert item.kanal == "muntligt" and item.anonymous
    assert item.reporter_id == org.med_a1.id
    assert can(org.med_a1, "view", item)  # the reporter sees what they registered
    assert not can(org.med_a2, "view", item)


# --- public e-tjänst ------------------------------------------------------------------------


def test_public_submit_lands_in_registrators_queue(app, org):
    item = ops.public_submit(unit_id=org.b1.id, typ="synpunkt", description="Lång väntetid.")
    assert item.status == "inkommen" and item.public_submission and item.anonymous
    assert item.reporter_id is None and item.kanal == "e_tjanst"
    queue = db.session.scalars(inbox_query(org.registrator)).all()
    assert item in queue
    note = db.session.scalar(select(Notification).where(Notification.user_id == org.registrator.id))
    assert note is not None


def test_public_submit_refuses_units_not_public(app, org):
    with pytest.raises(OperationError) as exc:
        ops.public_submit(unit_id=org.avd_a.id, typ="synpunkt", description="Hej")
    assert exc.value.field == "unit_id"
    assert count() == 0


def test_public_submit_unknown_unit_goes_to_common_parent(app, org):
    item = ops.public_submit(unit_id="", typ="berom", description="Tack för hjälpen!",
                             name="Anna", contact="anna@example.se")  # fmt: skip
    assert item.unit_id == org.forv.id
    assert not item.anonymous and item.ack_due is not None


def test_public_submit_text_limit(app, org):
    app.config["SYNPUNKT_PUBLIC_MAX_CHARS"] = 50
    with pytest.raises(OperationError) as exc:
        ops.public_submit(unit_id=org.a1.id, typ="synpunkt", description="x" * 51)
    assert exc.value.field == "description"
    assert count() == 0


# --- handling -------------------------------------------------------------------------------


def test_route_acknowledge_answer(app, org):
    freeze(date(2026, 3, 13))
    item = ops.public_submit(unit_id=org.a1.id, typ="klagomal", description="Otrevligt bemötande",
                             contact="070-111")  # fmt: skip
    with pytest.raises(WorkflowRefused):
        ops.acknowledge(item, org.chef_a1, method="telefon")  # still with the registrator
    item = db.session.get(Synpunkt, item.id)
    ops.route(item, org.registrator)
    assert item.status == "mottagen"
    assert item in db.session.scalars(inbox_query(org.chef_a1)).all()
    freeze(date(2026, 3, 17))
    ops.acknowledge(item, org.chef_a1, method="telefon")
    assert item.status == "bekraftad" and item.ack_in_time
    assert item.due_date == date(2026, 3, 27)
    freeze(date(2026, 3, 30))
    ops.answer(item, org.chef_a1, text="Vi ber om ursäkt.", method="brev",
               explanation="Rutin för bemötande ses över på APT.")  # fmt: skip
    assert item.status == "besvarad" and item.closed_at is not None
    assert item.answered_in_time is False  # due 27 March
    assert item.answer_days == 17
    actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.item_id == item.id))
    assert list(actions).count("transition") == 3


def test_answer_without_acknowledgement_counts_as_acknowledgement(app, org):
    freeze(date(2026, 3, 16))
    item = register(org, received_date=date(2026, 3, 13))
    ops.answer(item, org.chef_a1, text="Tack", method="e_post")
    assert item.acknowledged_date == date(2026, 3, 16) and item.ack_in_time


def test_answer_refused_without_text_or_with_future_date_changes_nothing(app, org):
    item = register(org)
    with pytest.raises(OperationError) as exc:
        ops.answer(item, org.chef_a1, text="  ", method="brev")
    assert exc.value.field == "answer_text"
    with pytest.raises(OperationError) as exc:
        ops.answer(item, org.chef_a1, text="Svar", method="brev", on=date(2099, 1, 1))
    assert exc.value.field == "answered_date"
    db.session.expire_all()
    item = db.session.get(Synpunkt, item.id)
    assert item.status == "mottagen" and item.answer_text == "" and item.answered_date is None


def test_other_units_chef_cannot_answer_or_see(app, org):
    item = register(org)
    assert not can(org.chef_b1, "view", item)
    with pytest.raises(OperationError):
        ops.answer(item, org.chef_b1, text="Svar", method="brev")
    assert db.session.get(Synpunkt, item.id).status == "mottagen"


def test_visibility(app, org):
    item = register(org)
    visible = {
        u.email: bool(db.session.scalar(
            select(func.count(Item.id)).where(Item.id == item.id, visible_clause(u, [SPEC]))))
        for u in (org.registrator, org.chef_a1, org.avdchef_a, org.kvalitet, org.chef_b1,
                  org.chef_a2, org.med_a1, org.sas, org.lasare)
    }  # fmt: skip
    assert visible == {
        org.registrator.email: True, org.chef_a1.email: True, org.avdchef_a.email: True,
        org.kvalitet.email: True, org.chef_b1.email: False, org.chef_a2.email: False,
        org.med_a1.email: False, org.sas.email: False, org.lasare.email: False,
    }  # fmt: skip


def test_classify_moves_unit_and_recomputes_deadlines(app, org):
    freeze(date(2026, 3, 20))
    item = register(org, received_date=date(2026, 3, 13))
    ops.classify(item, org.registrator, unit_id=org.b1.id, health_care=True)
    assert item.unit_id == org.b1.id and item.owner_id == org.chef_b1.id
    assert item.answer_due == date(2026, 4, 10)  # 13 March + 4 weeks
    assert not can(org.chef_a1, "view", item)
    # The flag is item's as well (the patientsäkerhetsberättelse's klagomål count it).
    db.session.expire_all()
    stored = db.session.execute(
        select(Item.__table__.c.health_care, Synpunkt.__table__.c.health_care)
        .join(Synpunkt.__table__, Synpunkt.__table__.c.id == Item.__table__.c.id)
        .where(Item.__table__.c.id == item.id)
    ).one()
    assert tuple(stored) == (True, True)


def test_link_to_improvement_action(app, org):
    from kvalitet.atgarder.models import Atgard
    from kvalitet.items.operations import new_item

    item = register(org)
    action = new_item(Atgard, org.chef_a1, title="Telefontider", unit_id=org.a1.id,
                      owner_id=org.chef_a1.id)  # fmt: skip
    db.session.commit()
    link = ops.link(item, action.ref.lower(), org.chef_a1)
    assert link.target_id == action.id
    with pytest.raises(OperationError):
        ops.link(item, "ATG-1999-0001", org.chef_a1)
