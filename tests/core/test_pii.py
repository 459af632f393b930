"""The personnummer guard, table-driven: every way of writing one that an attacker (or Word's
autocorrect, or a paste from another system) produces is found; numbers that are not
personnummer (phone numbers, diarienummer, dates, amounts) pass."""

import pytest

from kvalitet.core.errors import OperationError
from kvalitet.core.pii import check_text, find_personnummer, luhn_ok, normalise

# 811218-9876 is Skatteverket's example, 121212-1212 the classic test number, 701063-2391 a
# samordningsnummer (day 63 = the 3rd).
WRITTEN = [
    "811218-9876",
    "8112189876",
    "19811218-9876",
    "198112189876",
    "811218+9876",
    "811218 9876",
    "811218\u20139876",  # en dash (Word's autocorrect)
    "811218\u20149876",  # em dash
    "811218\u20109876",  # hyphen
    "811218\u20119876",  # non-breaking hyphen
    "811218\u20129876",  # figure dash
    "811218\u22129876",  # minus sign
    "811218\ufe639876",  # small hyphen-minus
    "811218\uff0d9876",  # fullwidth hyphen-minus
    "811218\u00a09876",  # no-break space
    "811218\t9876",  # tab
    "811218\n9876",  # newline
    "811218\r\n9876",  # CRLF
    "811218\u200b9876",  # zero-width space
    "8112\u200b18-98\u200d76",  # zero-width characters inside the groups
    "811218\u00ad9876",  # soft hyphen
    "811218\u20609876",  # word joiner
    "811218\ufeff9876",  # byte order mark
    "811218 - 9876",  # spaces around the dash
    "811218\u2009\u2013\u20099876",  # thin spaces around an en dash
    "811218\u202f9876",  # narrow no-break space
    "811218\u30009876",  # ideographic space
    "811218_9876",
    "811218.9876",
    "811218/9876",
    "811218:9876",
    "811218,9876",
    "811218 -- 9876",
    "81 12 18 98 76",  # digits in pairs
    "81 12 18-9876",
    "81-12-18-9876",
    "81.12.18.98.76",
    "1981-12-18-9876",
    "1981.12.18 9876",
    "1981 12 18 9876",
    "19 81 12 18 98 76",
    "\uff18\uff11\uff11\uff12\uff11\uff18-\uff19\uff18\uff17\uff16",  # fullwidth digits
    "\u0668\u0661\u0661\u0662\u0661\u0668-\u0669\u0668\u0667\u0666",  # Arabic-Indic digits
    "\u096e\u0967\u0967\u0968\u0967\u096e-\u096f\u096e\u096d\u096c",  # Devanagari digits
    "\u09ee\u09e7\u09e7\u09e8\u09e7\u09ee\u09ef\u09ee\u09ed\u09ec",  # Bengali digits
    "8\u03031\u03031218-9876",  # combining marks on the digits
    "121212-1212",
    "19121212-1212",
    "20121212 1212",
    "701063-2391",  # samordningsnummer
    "19701063\u20132391",  # samordningsnummer with an en dash
    "(811218-9876)",
    "pnr:811218-9876.",
]

INNOCENT = [
    "811218-9875",  # wrong check digit
    "8112189875",
    "81 12 18 98 75",
    "1234567890",  # ten digits failing Luhn
    "991332-1234",  # not a date
    "811318-9876",  # month 13
    "Telefon 070-123 45 67",
    "070 123 45 67",
    "0701234567",
    "+46 70 123 45 67",
    "Mobil 073-987 65 43",
    "08-123 456 78",
    "010-123 45 00",
    "Dnr SN 2026/0123 och AVV-2026-0042",
    "LSA-2025-0007",
    "IVO dnr 3.5.1-12345/2026",
    "Ärende 2026-0042 och 2026-0043",
    "2026-03-15",
    "2026-03-15 10:30",
    "2026-03-15T10:30:00",
    "15/3 2026",
    "kl. 14:30\u201315:45",
    "1981-12-18",
    "18 december 1981",
    "1 234 567 kr",
    "12 500,00 kr",
    "3\u00a0450\u00a0000 kronor",
    "0,5 mg två gånger dagligen",
    "212000-0142",  # organisationsnummer (month 20)
    "556677-8899",  # organisationsnummer
    "Bankgiro 5050-1055",
    "Plusgiro 4 77 06-3",
    "192.168.10.20",
    "Postnummer 123 45",
    "ISBN 978-91-7343-123-4",
    "Version 1.2.3",
    "2025\u20132026",
    "SOSFS 2011:9",
    "OSL 26 kap. 1 §",
    "vecka 12, 48 fall",
    "12345678901234",
    "811218-98765",  # eleven digits
    "Faktura 4711-0815",
    "UUID 550e8400-e29b-41d4-a716-446655440000",
    "Lägenhet 1102, port 4",
    "",
]


def test_tables_are_large_enough():
    assert len(WRITTEN) >= 40
    assert len(INNOCENT) >= 40


@pytest.mark.parametrize("written", WRITTEN, ids=lambda s: ascii(s))
def test_every_way_of_writing_a_personnummer_is_found(written):
    assert find_personnummer(f"Brukaren {written} fick fel beslut") is not None
    assert find_personnummer(written) is not None


@pytest.mark.parametrize("text", INNOCENT, ids=lambda s: ascii(s))
def test_innocent_numbers_pass(text):
    assert find_personnummer(text) is None


def test_normalise_folds_digits_dashes_and_invisibles():
    assert normalise("\u0668\u2013\u00a0\u200b1") == "8- 1"


def test_luhn():
    assert luhn_ok("8112189876")
    assert not luhn_ok("8112189875")


def test_check_text_raises_swedish_message():
    with pytest.raises(OperationError) as err:
        check_text("pnr 811218\u20139876", field="description")
    assert "personnummer" in err.value.message
    assert err.value.field == "description"


def test_flush_guard_refuses_any_freetext_column(app, org):
    from kvalitet.atgarder.models import Atgard
    from kvalitet.core.pii import PersonalDataError
    from kvalitet.extensions import db
    from kvalitet.items.operations import new_item

    with pytest.raises(PersonalDataError) as err:
        new_item(
            Atgard, org.chef_a1, title="Rutin", unit_id=org.a1.id, why="gäller 811218\u20149876"
        )
        db.session.flush()
    assert err.value.field == "why"
    db.session.rollback()
    assert db.session.query(Atgard).count() == 0
