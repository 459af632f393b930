"""The IVO summary of a lex Sarah case (the underlag for IVO's e-tjänst or a letter) as a
document in the kvalitetsberättelse's block format, printed as PDF or Word by the shared
document machinery (kvalitet.items.documents): the same title page, numbered headings,
fitted tables and page numbers as every other document of Kvalitet."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from kvalitet.core import clock
from kvalitet.items import documents
from kvalitet.lagrum.lookup import lagrum
from kvalitet.lexsarah.models import LexSarahArende, Sektion

if TYPE_CHECKING:
    from kvalitet.org.models import User

COLUMNS = ["Uppgift", "Uppgifter i ärendet"]


def _when(value: datetime | date | None, empty: str = "–") -> str:
    if value is None:
        return empty
    if isinstance(value, datetime):
        local = clock.to_local(value)
        return local.strftime("%Y-%m-%d %H:%M") if local else empty
    return value.isoformat()


def _day(value: datetime | None) -> str:
    local = clock.to_local(value)
    return local.date().isoformat() if local else "–"


def _h(level: int, text: str, anchor: str) -> dict[str, Any]:
    return {"t": "h", "level": level, "text": text, "id": anchor}


def _table(caption: str, rows: list[tuple[str, str]]) -> dict[str, Any]:
    return {
        "t": "table",
        "caption": caption,
        "columns": COLUMNS,
        "rows": [[label, value or "–"] for label, value in rows],
    }


def document(item: LexSarahArende, printed_by: User, huvudman: str) -> dict[str, Any]:
    contact = ", ".join(x for x in (printed_by.name, printed_by.title, printed_by.email) if x)
    allvarligt = "–" if item.allvarligt is None else ("Ja" if item.allvarligt else "Nej")
    attached = "Ja" if item.ivo_utredning_attached else "Nej"
    if item.ivo_utredning_due:
        attached += f"; ska nå IVO senast {_when(item.ivo_utredning_due)}"
    blocks: list[dict[str, Any]] = [
        {
            "t": "note",
            "text": f"SEKRETESS enligt {lagrum('osl_sekretess')}. Skickas inte med "
            "e-post. Underlag för IVO:s e-tjänst eller anmälan per post.",
        },
        {"t": "p", "text": f"Lagrum: {lagrum('lex_sarah', clock.to_local(item.reported_at))}"},
        _h(1, "Uppgifter om huvudman och verksamhet", "huvudman"),
        _table(
            "Huvudman och verksamhet",
            [
                ("Huvudman", huvudman),
                ("Verksamhet/enhet", item.unit.name),
                ("Kontaktperson", contact),
            ],
        ),
        _h(1, "Missförhållandet", "missforhallandet"),
        _table(
            "Missförhållandet",
            [
                ("Rubrik", item.title),
                ("Vad har hänt", item.description),
                ("När det inträffade", _when(item.happened_at, "Okänt")),
                (
                    "När och hur det uppmärksammades",
                    _when(item.noticed_at, "Okänt")
                    + (f": {item.noticed_how}" if item.noticed_how else ""),
                ),
                ("Konsekvenser för den enskilde", item.consequences),
                ("Rapporten inkom", _when(item.reported_at)),
                (
                    "Omedelbara åtgärder",
                    item.immediate_measures
                    + (
                        f" ({_when(item.immediate_measures_at)})"
                        if item.immediate_measures_at
                        else ""
                    ),
                ),
            ],
        ),
        _h(1, "Bedömning och beslut", "beslut"),
        _table(
            "Bedömning och beslut",
            [
                (
                    "SAS första bedömning",
                    item.assessment_label
                    + (f" ({_day(item.assessed_at)})" if item.assessed_at else ""),
                ),
                ("Beslut", item.outcome_label),
                ("Allvarligt", allvarligt),
                ("Beslutsfattare", item.decision_maker.display if item.decision_maker else "–"),
                ("Beslutsdatum", _when(item.decision_date)),
                ("Motivering", item.decision_reason),
            ],
        ),
        _h(1, "Anmälan till IVO", "anmalan"),
        _table(
            "Anmälan till IVO",
            [
                ("Datum", _when(item.ivo_filed_date, "Ej anmäld ännu")),
                ("Kanal", item.channel_label),
                ("IVO-region", item.ivo_region or "–"),
                ("Utredningen bifogas", attached),
            ],
        ),
        _h(1, "Utredning", "utredning"),
    ]
    for section in Sektion:
        blocks.append(_h(2, section.label, f"utredning-{section.value}"))
        entries = item.entries_in(section)
        if not entries:
            blocks.append({"t": "p", "text": "Inget skrivet."})
        for e in entries:
            author = e.author_name + (f", {e.author_title}" if e.author_title else "")
            blocks.append({"t": "p", "text": e.text})
            blocks.append(
                {
                    "t": "note",
                    "text": f"{_when(e.entry_date)} · {e.karaktar_label} · "
                    f"Källa: {e.source} · {author}",
                }
            )
    blocks.append(_h(1, "Spridning", "spridning"))
    blocks.append({"t": "p", "text": item.spread_text or "–"})
    printed = f"{_when(clock.now())} av {printed_by.name}"
    return {
        "title": f"Anmälan enligt lex Sarah – sammanställning {item.ref}",
        "unit": item.unit.name,
        "facts": [("Huvudman", huvudman), ("Ärende", item.ref), ("Utskriven", printed)],
        "options": {"numbered": True, "toc": False, "compact": True},
        "compiled_at": clock.now().isoformat(),
        "compiled_by": printed_by.name,
        "blocks": blocks,
    }


def render(item: LexSarahArende, printed_by: User, huvudman: str, fmt: str) -> bytes:
    return documents.render(document(item, printed_by, huvudman), fmt)
