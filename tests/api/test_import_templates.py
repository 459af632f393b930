"""The downloadable import templates: one per kind, Excel (header row, example row, allowed
values on a second sheet and as drop-down lists) and CSV, linked from the import page; each
downloaded file, opened with openpyxl, imports back through the import as it is."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from kvalitet.api import importer
from kvalitet.core.roles import Role
from kvalitet.extensions import db
from kvalitet.items.models import Item
from kvalitet.org.operations import grant_role

KINDS = ["avvikelser", "lexsarah", "synpunkter", "atgarder", "risker"]


def _count(code: str) -> int:
    return db.session.scalar(select(func.count(Item.id)).where(Item.kind == code)) or 0


@pytest.mark.parametrize("key", KINDS)
def test_each_template_opens_and_imports_back(org, login_as, key):
    grant_role(None, org.kvalitet, Role.SAS, org.forv)  # lex Sarah's steps are SAS's
    db.session.commit()
    web = login_as(org.kvalitet)
    page = web.get("/import").get_data(as_text=True)
    assert f"/import/mall/{key}.xlsx" in page and f"/import/mall/{key}.csv" in page
    assert "/mal/" in page  # goals and indikatorer: imported from the plan

    response = web.get(f"/import/mall/{key}.xlsx")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    data = response.get_data()
    book = load_workbook(io.BytesIO(data))
    kind = importer.import_kind(key)
    assert kind is not None
    sheet = book.worksheets[0]
    header = [c.value for c in sheet[1]]
    assert [re.sub(r" \*$", "", h) for h in header] == [t.label for t in kind.targets]
    required = {t.label for t in kind.targets if t.required}
    assert {h[:-2] for h in header if h.endswith(" *")} == required
    allowed = book["Tillåtna värden"]
    described = {row[0]: row[1] for row in allowed.iter_rows(min_row=2, values_only=True)}
    assert set(described) == {t.label for t in kind.targets}
    assert "Enhet A1" in described["Enhet"]
    # Every column with a fixed set of values has a drop-down list on the data sheet.
    lists = [t for t in kind.targets if t.convert in ("enum", "bool", "unit")
             or t.convert.startswith("list:")]  # fmt: skip
    assert len(sheet.data_validations.dataValidation) == len(lists)
    assert all(v.type == "list" for v in sheet.data_validations.dataValidation)

    # The downloaded file imports back as it is: the example row becomes one item.
    before = _count(kind.code)
    headers, rows = importer.read_table("mall.xlsx", data)
    mapping = importer.guess_mapping(kind, headers)
    assert all(mapping[t.name] is not None for t in kind.targets)
    created, results = importer.run_import(kind, org.kvalitet, headers, rows, mapping,
                                           "mall.xlsx")  # fmt: skip
    db.session.commit()
    assert len(created) == 1 and all(r.ok for r in results)
    assert _count(kind.code) == before + 1

    # The CSV template too.
    csv = web.get(f"/import/mall/{key}.csv")
    assert csv.status_code == 200 and csv.get_data().startswith(b"\xef\xbb\xbf")
    headers, rows = importer.read_table("mall.csv", csv.get_data())
    created, _ = importer.run_import(kind, org.kvalitet, headers, rows,
                                     importer.guess_mapping(kind, headers), "mall.csv")  # fmt: skip
    db.session.commit()
    assert len(created) == 1 and _count(kind.code) == before + 2


def test_templates_are_only_for_those_who_may_import(org, login_as):
    web = login_as(org.med_a1)
    assert web.get("/import/mall/avvikelser.xlsx").status_code in (403, 404)
    assert login_as(org.kvalitet).get("/import/mall/okand.xlsx").status_code == 404


def test_the_menu_offers_import_only_to_those_who_may_import(org, login_as):
    """The menu asks may_import(user) without a kind (the importing roles, read once per
    process): the kvalitetsutvecklare, an enhetschef (who may import avvikelser) and the
    admin see "Importera listor", a medarbetare and a läsare do not."""
    for user in (org.kvalitet, org.chef_a1, org.admin):
        assert 'href="/import"' in login_as(user).get("/").get_data(as_text=True), user.name
    for user in (org.med_a1, org.lasare):
        assert 'href="/import"' not in login_as(user).get("/").get_data(as_text=True), user.name
