"""In the demo organisation no escalation goes to nobody: each reaches a person up the tree,
or the admins' page of undeliverable notices (and the admins' bell list)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from kvalitet.core import clock
from kvalitet.extensions import db
from kvalitet.notify.models import Notification, ReminderKey, UndeliverableNotice
from kvalitet.notify.operations import admins, escalate_overdue


@pytest.mark.slow
@pytest.mark.long
def test_every_demo_escalation_reaches_someone(app):
    import kvalitet.demo as demo

    demo.build()
    clock.freeze(clock.now() + timedelta(days=400))  # everything open is long overdue
    made = escalate_overdue()
    db.session.commit()
    assert made > 10
    keys = db.session.scalar(
        select(func.count(ReminderKey.id)).where(ReminderKey.purpose == "eskalering")
    )
    told = set(
        db.session.scalars(select(Notification.item_id).where(Notification.purpose == "eskalering"))
    )
    undeliverable = list(db.session.scalars(select(UndeliverableNotice)))
    assert keys == made == len(told) + len(undeliverable)
    assert not told & {n.item_id for n in undeliverable}
    # Those that found no one person are on the admins' page and in every admin's bell list.
    admin_ids = {a.id for a in admins()}
    assert admin_ids
    bells = db.session.scalar(
        select(func.count(Notification.id)).where(Notification.purpose == "utan_mottagare")
    )
    assert bells == len(undeliverable) * len(admin_ids)
