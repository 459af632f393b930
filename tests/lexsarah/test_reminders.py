from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import func, select

from kvalitet.core import clock
from kvalitet.core.clock import STOCKHOLM
from kvalitet.extensions import db
from kvalitet.lexsarah import operations as ops
from kvalitet.notify.models import Notification
from tests.lexsarah.helpers import investigate, make_case


def _count() -> int:
    return db.session.scalar(
        select(func.count(Notification.id)).where(Notification.purpose.like("lexsarah-ivo-%"))
    )


def test_ivo_investigation_reminders_once_per_day(org):
    clock.freeze(datetime(2026, 3, 3, 10, 0, tzinfo=STOCKHOLM))
    case = make_case(org)
    ops.assess(case, org.sas, "missforhallande", "Utreds.")
    investigate(case, org.sas)
    ops.file_ivo(case, org.sas, filed_date=clock.today(), channel="post",
                 region="IVO Region Öst", attached=False)  # fmt: skip
    assert case.ivo_utredning_due == date(2026, 5, 3)
    assert ops.send_reminders(date(2026, 4, 1)) == 0  # far from the deadline
    assert ops.send_reminders(date(2026, 4, 28)) == 1
    assert ops.send_reminders(date(2026, 4, 28)) == 0  # never twice
    assert ops.send_reminders(date(2026, 5, 4)) == 1  # late
    assert _count() == 2
    note = db.session.scalars(select(Notification).order_by(Notification.id.desc())).first()
    assert note.user_id == org.sas.id and case.title not in note.message
    ops.investigation_sent(case, org.sas, date(2026, 3, 3))
    assert ops.send_reminders(date(2026, 5, 5)) == 0
