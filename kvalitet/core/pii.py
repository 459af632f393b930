"""The personal data guard: Swedish personnummer and samordningsnummer must not be written in
free text. A number is refused only when its Luhn check digit is valid and its date part is a
real date (a samordningsnummer adds 60 to the day), so a random ten-digit number passes.

The text is normalised before matching, so the way a number is typed or pasted does not let
it through: digits of every script become ASCII digits, every Unicode dash and minus becomes
"-", every space-like character (no-break space, tab, newline, ideographic space) becomes a
space, and zero-width and other invisible format characters are removed.

Accepted shapes (after normalisation), with or without the century (19/20):
- YYMMDD NNNN with any separator between date and tail: nothing, "-", "+", " - ", "_", ".",
  "/", ":", "," ... (up to two punctuation marks, spaces around them);
- the date grouped as YY MM DD (or CC YY MM DD, or YYYY MM DD) with one separator used
  consistently, and the tail either whole or as NN NN with that same separator (so
  "81 12 18 98 76" and "1981.12.18-9876" are found, while a time stamp such as
  "2026-03-15 10:30" is not a personnummer).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from kvalitet.core.base import FreeText
from kvalitet.core.errors import OperationError

PII_MESSAGE = (
    "Texten innehåller ett personnummer eller samordningsnummer. Skriv aldrig personnummer "
    "eller namn på den enskilde här: uppgifterna omfattas av sekretess och ska bara finnas i "
    "verksamhetssystemet. Beskriv händelsen utan att peka ut personen."
)

# Characters that are dashes or minus signs without being in Unicode's "Pd" category.
_EXTRA_DASHES = {
    "\u2212",  # minus sign
    "\u2043",  # hyphen bullet
    "\u02d7",  # modifier letter minus sign
    "\u2796",  # heavy minus sign
    "\u2012",  # figure dash (Pd, listed for clarity)
    "\u00af",  # macron, sometimes pasted as a dash
}
_EXTRA_SLASHES = {"\u2044", "\u2215", "\u29f8", "\uff0f"}
_EXTRA_SPACES = {"\u2800", "\u180e"}  # braille blank, mongolian vowel separator

# Separator characters between the groups of a number (after normalisation).
_PUNCT = r"\-+_./:,;|\\~*#"
_GAP = rf"[ ]*[{_PUNCT}]{{0,2}}[ ]*"  # between the date and the tail
_SEP = rf"(?:[ ]*[{_PUNCT}][ ]*|[ ]+)"  # between the groups of a grouped date

_PLAIN = re.compile(rf"(?<!\d)((?:19|20)?\d{{6}}){_GAP}(\d{{4}})(?!\d)")
_GROUPED = re.compile(
    rf"(?<!\d)(?:(?P<cc>19|20)(?P<s0>{_SEP})?)?(?P<yy>\d\d)(?P<s>{_SEP})(?P<mm>\d\d)(?P=s)"
    rf"(?P<dd>\d\d){_GAP}(?P<tail>\d{{4}}|\d\d(?P=s)\d\d)(?!\d)"
)


def _normalise_char(char: str) -> str:
    if char.isascii():
        if char in "\t\n\r\v\f":
            return " "
        return char
    if char.isdecimal():
        return str(unicodedata.decimal(char))
    category = unicodedata.category(char)
    if category == "Pd" or char in _EXTRA_DASHES:
        return "-"
    if char in _EXTRA_SLASHES:
        return "/"
    if category in ("Zs", "Zl", "Zp") or char in _EXTRA_SPACES:
        return " "
    if category in ("Cf", "Mn", "Me", "Cc"):
        # zero-width spaces and joiners, soft hyphen, bidi marks, combining marks, controls
        return ""
    return char


def normalise(text: str) -> str:
    """`text` as the guard reads it: compatibility forms folded (NFKC), digits of every script
    as ASCII, dashes as "-", space-likes as " ", invisible characters removed."""
    folded = unicodedata.normalize("NFKC", text)
    return "".join(_normalise_char(c) for c in folded)


def luhn_ok(digits: str) -> bool:
    total = 0
    for index, char in enumerate(digits):
        value = int(char) * (2 if index % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def _valid_date(yymmdd: str) -> bool:
    year, month, day = int(yymmdd[0:2]), int(yymmdd[2:4]), int(yymmdd[4:6])
    if day > 60:  # samordningsnummer
        day -= 60
    for century in (1900, 2000):
        try:
            date(century + year, month, day)
        except ValueError:
            continue
        return True
    return False


def _is_number(yymmdd: str, tail: str) -> bool:
    return _valid_date(yymmdd) and luhn_ok(yymmdd + tail)


def find_personnummer(text: str | None) -> str | None:
    """The first personnummer or samordningsnummer in `text` (as normalised), or None."""
    if not text:
        return None
    clean = normalise(text)
    for match in _PLAIN.finditer(clean):
        if _is_number(match.group(1)[-6:], match.group(2)):
            return match.group(0)
    for match in _GROUPED.finditer(clean):
        tail = re.sub(r"\D", "", match.group("tail"))
        if _is_number(match.group("yy") + match.group("mm") + match.group("dd"), tail):
            return match.group(0)
    return None


def contains_personnummer(text: str | None) -> bool:
    return find_personnummer(text) is not None


def check_text(value: str | None, field: str | None = None) -> None:
    """Raise OperationError with the guard's message if `value` holds a personnummer."""
    if find_personnummer(value):
        raise OperationError(PII_MESSAGE, field=field)


class PersonalDataError(OperationError):
    pass


# Columns that are not FreeText but still carry text a person or a file supplies.
# (table name, column name)
CHECKED_COLUMNS = {("attachment", "filename")}


def _checked(column: object) -> bool:
    if isinstance(getattr(column, "type", None), FreeText):
        return True
    table = getattr(getattr(column, "table", None), "name", None)
    return (table, getattr(column, "name", None)) in CHECKED_COLUMNS


def _check_flush(session: Session, flush_context: object, instances: object) -> None:
    for obj in list(session.new) + list(session.dirty):
        mapper = inspect(obj).mapper
        for column_attr in mapper.column_attrs:
            for column in column_attr.columns:
                if _checked(column):
                    value = getattr(obj, column_attr.key, None)
                    if isinstance(value, str) and find_personnummer(value):
                        raise PersonalDataError(PII_MESSAGE, field=column_attr.key)


def install_guard() -> None:
    """Check every FreeText column of every object before each flush, on every session."""
    if not event.contains(Session, "before_flush", _check_flush):
        event.listen(Session, "before_flush", _check_flush)
