"""Administrators administer: users, units, lists and settings. They see no item contents,
report drafts included, unless they also hold a role that grants it."""

from __future__ import annotations

from sqlalchemy import func, select

from kvalitet.core.permissions import visible_clause
from kvalitet.core.registry import all_kinds
from kvalitet.core.roles import Role
from kvalitet.extensions import db
from kvalitet.items.models import Item
from kvalitet.org.operations import grant_role
from kvalitet.rapport import operations as ops
from tests.rapport.helpers import YEAR, dataset, fake_synpunkter, use_only


def test_no_kind_grants_admins_item_contents():
    for spec in all_kinds():
        assert Role.ADMIN not in spec.view_roles, spec.code


def test_admin_sees_no_items_and_no_report_draft(app, org, login_as, monkeypatch):
    dataset(org)
    use_only(monkeypatch, synpunkter=fake_synpunkter)
    report = ops.start_report(org.kvalitet, org.forv, YEAR)
    item = db.session.scalars(select(Item)).first()
    assert db.session.scalar(select(func.count(Item.id)).where(visible_clause(org.admin))) == 0
    admin = login_as(org.admin)
    assert admin.get(f"/atgarder/{item.ref}").status_code == 404
    assert admin.get(f"/kvalitetsberattelse/{report.id}").status_code == 404
    for fmt in ("pdf", "docx"):
        assert admin.get(f"/kvalitetsberattelse/{report.id}/utkast.{fmt}").status_code in (403, 404)
    page = admin.get("/kvalitetsberattelse/").get_data(as_text=True)
    assert item.title not in page
    # Administration itself still works.
    assert admin.get("/admin/anvandare").status_code == 200
    # With a role that grants it (kvalitetsutvecklare), the same person sees the draft.
    grant_role(None, org.admin, Role.KVALITETSUTVECKLARE, org.forv)
    assert login_as(org.admin).get(f"/kvalitetsberattelse/{report.id}").status_code == 200
