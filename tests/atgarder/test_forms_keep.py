"""The åtgärd case page: a refused form keeps what was typed, the others the item's values
and today's date (issue 19 point 4)."""

from __future__ import annotations

import re

from kvalitet.atgarder.operations import create_atgard, update_atgard
from kvalitet.core import clock
from kvalitet.extensions import db


def _input(page: str, name: str) -> str:
    tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', page)
    assert tag is not None, name
    return tag.group(0)


def test_refused_effect_and_done_keep_their_input(org, login_as):  # type: ignore[no-untyped-def]
    item = create_atgard(org.chef_a1, title="Ny rutin för schemaändring", unit=org.a1,
                         owner=org.chef_a1.id)  # fmt: skip
    update_atgard(org.chef_a1, item, done_text="Rutinen är skriven.")
    db.session.commit()
    chef = login_as(org.chef_a1)
    # The effect follow-up without a text: refused at the field, its date kept; the "done"
    # form keeps the item's text.
    response = chef.post(f"/atgarder/{item.ref}/effekt", {
        "effekt-effect_text": "", "effekt-effect_date": "2026-10-01",
        "version": str(item.version)})  # fmt: skip
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Beskriv effekten." in page.split('id="effekt-effect_text-fel"')[1][:200]
    assert 'value="2026-10-01"' in _input(page, "effekt-effect_date")
    done = re.search(r'<textarea[^>]*name="gjort-done_text"[^>]*>(.*?)</textarea>', page, re.S)
    assert done is not None and done.group(1).strip() == "Rutinen är skriven."
    # The "done" text too long: refused, the typed text kept; the effect date is today.
    long_text = "x" * 10001
    response = chef.post(f"/atgarder/{item.ref}/gjort", {
        "gjort-done_text": long_text, "version": str(item.version)})  # fmt: skip
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert long_text in page
    assert f'value="{clock.today().isoformat()}"' in _input(page, "effekt-effect_date")
    db.session.refresh(item)
    assert item.done_text == "Rutinen är skriven." and item.effect_date is None
