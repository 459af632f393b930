"""The personal data guard: Swedish personnummer and samordningsnummer must not be written in
free text. A number is refused only when its Luhn check digit is valid and its date part is a
real date (a samordningsnummer adds 60 to the day), so a random ten-digit number passes.

Accepted shapes: YYMMDD-NNNN, YYMMDD+NNNN, YYMMDDNNNN, YYYYMMDD-NNNN, YYYYMMDDNNNN
(also with a space as separator).
"""

from __future__ import annotations

import re
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

_PATTERN = re.compile(r"(?<![\d])((?:19|20)?\d{6})[-+ ]?(\d{4})(?![\d])")


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


def find_personnummer(text: str | None) -> str | None:
    """The first personnummer or samordningsnummer in `text`, or None."""
    if not text:
        return None
    for match in _PATTERN.finditer(text):
        date_part, tail = match.group(1), match.group(2)
        short = date_part[-6:]
        if _valid_date(short) and luhn_ok(short + tail):
            return match.group(0)
    return None


def check_text(value: str | None, field: str | None = None) -> None:
    """Raise OperationError with the guard's message if `value` holds a personnummer."""
    if find_personnummer(value):
        raise OperationError(PII_MESSAGE, field=field)


class PersonalDataError(OperationError):
    pass


def _check_flush(session: Session, flush_context: object, instances: object) -> None:
    for obj in list(session.new) + list(session.dirty):
        mapper = inspect(obj).mapper
        for column_attr in mapper.column_attrs:
            for column in column_attr.columns:
                if isinstance(column.type, FreeText):
                    value = getattr(obj, column_attr.key, None)
                    if isinstance(value, str) and find_personnummer(value):
                        raise PersonalDataError(PII_MESSAGE, field=column_attr.key)


def install_guard() -> None:
    """Check every FreeText column of every object before each flush, on every session."""
    if not event.contains(Session, "before_flush", _check_flush):
        event.listen(Session, "before_flush", _check_flush)
