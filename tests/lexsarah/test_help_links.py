"""The lex Sarah help page (/hjalp/lexsarah) is linked from the report form, the case page
and the avvikelse page's transfer, and the link works."""

from __future__ import annotations

from kvalitet.extensions import db
from tests.lexsarah.helpers import make_case

HELP = 'href="/hjalp/lexsarah"'


def test_help_is_linked_from_the_form_and_the_case(org, login_as):
    case = make_case(org)
    db.session.commit()
    med = login_as(org.med_a1)
    assert HELP in med.get("/lexsarah/ny").get_data(as_text=True)
    assert "Lex Sarah" in med.get("/hjalp/lexsarah").get_data(as_text=True)
    sas = login_as(org.sas)
    assert HELP in sas.get(f"/lexsarah/{case.ref}").get_data(as_text=True)
