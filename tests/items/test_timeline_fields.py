"""The timeline's "Ändrade fält" speaks the user's language: the form's labels, names for
what ids stand for, choices' labels and Ja/Nej, never the column names and codes."""

import re

from kvalitet.avvikelser import operations as ops
from kvalitet.extensions import db
from tests.avvikelser.helpers import category, report


def _changed_fields(page: str) -> list[str]:
    blocks = re.findall(r"<summary>Ändrade fält</summary>\s*<ul>(.*?)</ul>", page, re.S)
    return [
        re.sub(r"\s+", " ", li).strip()
        for b in blocks
        for li in re.findall(r"<li>(.*?)</li>", b, re.S)
    ]


def test_an_edit_shows_labels_names_and_choices(app, org, login_as):
    item = report(org.med_a1, unit=org.a1, category_id=category("Dokumentation").id)
    db.session.commit()
    other = category("Bemötande")
    ops.update_avvikelse(
        org.chef_a1, item, category_id=other.id, health_care=True, sex="kvinna",
        description="Beslutet skickades en vecka för sent.",
    )  # fmt: skip
    db.session.commit()
    page = login_as(org.chef_a1).get(f"/avvikelser/{item.ref}").get_data(as_text=True)
    rows = _changed_fields(page)
    assert "Kategori: Dokumentation → Bemötande" in rows
    assert "Gäller hälso- och sjukvård (går till MAS): Nej → Ja" in rows
    assert "Den enskildes kön (frivilligt): – → Flicka/kvinna" in rows
    assert (
        "Vad hände?: Beslut skickades inte ut i tid. → Beslutet skickades en vecka för sent."
        in rows
    )
    shown = " ".join(rows)
    for raw in ("category_id", "health_care", "kvinna:", "True", "False"):
        assert raw not in shown
