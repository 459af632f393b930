import pytest

from kvalitet.core.errors import OperationError
from kvalitet.core.pii import check_text, find_personnummer, luhn_ok

VALID = [
    "811218-9876",  # the Skatteverket example number
    "8112189876",
    "19811218-9876",
    "198112189876",
    "811218+9876",
    "701063-2391",  # samordningsnummer (day 63 = 3rd)
]


@pytest.mark.parametrize("number", VALID)
def test_valid_numbers_are_found(number):
    assert find_personnummer(f"Brukaren {number} fick fel beslut") is not None


@pytest.mark.parametrize(
    "text",
    [
        "811218-9875",  # wrong check digit
        "8112189875",
        "1234567890",  # random ten digits failing Luhn
        "Telefon 070-123 45 67",
        "Dnr SN 2026/0123 och AVV-2026-0042",
        "991332-1234",  # not a date
        "",
    ],
)
def test_invalid_numbers_are_accepted(text):
    assert find_personnummer(text) is None


def test_luhn():
    assert luhn_ok("8112189876")
    assert not luhn_ok("8112189875")


def test_check_text_raises_swedish_message():
    with pytest.raises(OperationError) as err:
        check_text("pnr 811218-9876", field="description")
    assert "personnummer" in err.value.message
    assert err.value.field == "description"


def test_flush_guard_refuses_any_freetext_column(app, org):
    from kvalitet.atgarder.models import Atgard
    from kvalitet.core.pii import PersonalDataError
    from kvalitet.extensions import db
    from kvalitet.items.operations import new_item

    with pytest.raises(PersonalDataError) as err:
        new_item(Atgard, org.chef_a1, title="Rutin", unit_id=org.a1.id, why="gäller 8112189876")
        db.session.flush()
    assert err.value.field == "why"
    db.session.rollback()
    assert db.session.query(Atgard).count() == 0
