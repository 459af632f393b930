"""Swedish number formats, one helper for the web (the `tal` and `procent` filters), Word
and PDF: decimal comma, a no-break space as thousands separator (so a number never wraps
over two lines), a real minus sign.

    >>> format_number(1234567)
    '1\\xa0234\\xa0567'
    >>> format_number(0.8)
    '0,8'
    >>> format_number(50.0)
    '50'
    >>> format_percent(0.667)
    '67\\xa0%'
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

THOUSANDS = "\u00a0"  # no-break space
MINUS = "\u2212"


def format_number(value: Any, decimals: int | None = None, *, sign: bool = False) -> str:
    """`value` in Swedish notation. Integers (and floats with nothing after the point) get
    no decimals; other floats one decimal unless `decimals` says otherwise. Rounding is
    half up (2,25 → 2,3), as people round. `sign` writes a plus in front of positive values.
    None gives "–"; non-numbers are returned as text."""
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "Ja" if value else "Nej"
    if not isinstance(value, int | float | Decimal):
        return str(value)
    number = Decimal(str(value))
    if decimals is None:
        decimals = 0 if number == number.to_integral_value() else 1
    quantum = Decimal(1).scaleb(-decimals)
    number = number.quantize(quantum, rounding=ROUND_HALF_UP)
    negative = number < 0
    whole, _, fraction = f"{abs(number):f}".partition(".")
    groups: list[str] = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    text = THOUSANDS.join(groups) + ("," + fraction if fraction else "")
    if negative and number != 0:
        return MINUS + text
    if sign and number > 0:
        return "+" + text
    return text


def format_percent(share: Any, decimals: int = 0) -> str:
    """A share 0–1 as percent: 0.667 → "67 %" (Swedish style, space before the sign)."""
    if share is None:
        return "–"
    if not isinstance(share, int | float | Decimal) or isinstance(share, bool):
        return str(share)
    return format_number(float(share) * 100, decimals) + THOUSANDS + "%"
