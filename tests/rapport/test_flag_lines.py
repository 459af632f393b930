"""The report's "Att uppmärksamma" lines read as Swedish for one and for many."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from kvalitet.rapport.document import flag_lines


def _lines(atgarder: dict[str, Any], lexsarah: dict[str, Any]) -> list[str]:
    unit = SimpleNamespace(id=1)
    sources: list[Any] = [("atgarder", "", object()), ("lexsarah", "", object())]
    cache: dict[Any, Any] = {("atgarder", 1): (atgarder, None), ("lexsarah", 1): (lexsarah, None)}
    return flag_lines(unit, None, sources, cache)  # type: ignore[arg-type]


def test_one_late_action_and_one_ivo_report_are_singular(app) -> None:
    with app.test_request_context():
        lines = _lines({"overdue_at_end": 1}, {"anmalda_ivo": 1})
    assert "1 förbättringsåtgärd var försenad vid årets slut." in lines
    assert "1 lex Sarah-ärende anmäldes till IVO." in lines


def test_several_are_plural(app) -> None:
    with app.test_request_context():
        lines = _lines({"overdue_at_end": 3}, {"anmalda_ivo": 2})
    assert "3 förbättringsåtgärder var försenade vid årets slut." in lines
    assert "2 lex Sarah-ärenden anmäldes till IVO." in lines
