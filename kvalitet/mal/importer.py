"""Import of a plan's goals and indikatorer, and of utfall, from CSV or Excel: all rows or
none. Every row goes through the same operation as the web form and the API; the errors are
collected per row and column and, if there is any, nothing is saved.

The file is read by the API module's import reader (kvalitet.api.importer.read_table) and
each row is an operation (its own savepoint); the unit of work commits the import once, and
on any error the whole import is rolled back. Notifications are dropped (no_notices): an
import is not news.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field

from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy import select

from kvalitet.api.importer import ImportFailed, no_notices, read_table
from kvalitet.core import audit
from kvalitet.core.db_setup import fold, folded
from kvalitet.core.errors import OperationError
from kvalitet.extensions import db
from kvalitet.mal import operations as ops
from kvalitet.mal.models import Indikator, Mal, Verksamhetsplan
from kvalitet.org.models import User

# Column names (normalised) → field, per import.
UTFALL_COLUMNS = {
    "indikator": "indikator",
    "nr": "indikator",
    "period": "period",
    "värde": "value",
    "varde": "value",
    "utfall": "value",
    "kvinnor": "value_k",
    "flickor": "value_k",
    "män": "value_m",
    "man": "value_m",
    "pojkar": "value_m",
    "antal kvinnor": "n_k",
    "antal flickor": "n_k",
    "antal män": "n_m",
    "antal man": "n_m",
    "antal pojkar": "n_m",
    "kommentar": "comment",
    "indikatornummer": "indikator",
    "indikator nr": "indikator",
    "nummer": "indikator",
    "resultat": "value",
    "analys": "comment",
}
STRUKTUR_COLUMNS = {
    "typ": "typ",
    "nr": "nr",
    "namn": "name",
    "mål": "name",
    "indikator": "name",
    "överordnat": "parent",
    "overordnat": "parent",
    "beskrivning": "description",
    "enhet": "unit_of_measure",
    "riktning": "direction",
    "målvärde": "target",
    "malvarde": "target",
    "högsta": "target_high",
    "utgångsläge": "baseline",
    "mäts": "periods",
    "ansvarig": "responsible",
    "per kön": "by_sex",
    "källa": "source",
    "metod": "method",
    "mått": "measure",
    "nummer": "nr",
    "rubrik": "name",
    "överordnat mål": "parent",
    "hör till": "parent",
    "måttenhet": "unit_of_measure",
    "mätperioder": "periods",
    "perioder": "periods",
    "ansvarig e post": "responsible",
    "könsuppdelad": "by_sex",
}

# The columns of the templates (GET /mal/plan/<id>/import/mall.xlsx), in their order.
TEMPLATE_HEADERS = {
    "utfall": ["Indikator", "Period", "Värde", "Kvinnor", "Män", "Antal kvinnor", "Antal män",
               "Kommentar"],
    "struktur": ["Typ", "Nr", "Namn", "Överordnat", "Beskrivning", "Enhet", "Riktning",
                 "Målvärde", "Högsta", "Mäts", "Ansvarig", "Per kön", "Källa"],
}  # fmt: skip
TEMPLATE_HELP = [
    ("Kolumnerna", "Rubrikraden avgör vad en kolumn är, inte ordningen. Kolumner som "
     "inte känns igen hoppas över."),
    ("Period", "T1, T2, T3, H1, H2, M01–M12 eller AR (helår)."),
    ("Typ", "mål eller indikator."),
    ("Enhet", "procent, antal, dagar, ja/nej eller skala."),
    ("Riktning", "högre, lägre, exakt eller intervall. Ett målvärde kräver en riktning."),
    ("Mäts", "Perioderna indikatorn mäts i, t.ex. T1, T2, T3."),
    ("Ansvarig", "E-postadressen till den som ansvarar för mätningen."),
    ("Per kön", "ja eller nej. Kvinnor/Män och Antal kvinnor/Antal män fylls i för de "
     "indikatorer som redovisas per kön."),
    ("Allt eller inget", "Finns ett fel importeras ingen rad; felen visas per rad och kolumn."),
]  # fmt: skip
# Values people write, mapped to the stored values.
UNIT_WORDS = {
    "procent": "procent",
    "%": "procent",
    "andel": "procent",
    "antal": "antal",
    "dagar": "dagar",
    "ja/nej": "janej",
    "janej": "janej",
    "skala": "skala",
}
DIRECTION_WORDS = {
    "högre": "hogre",
    "hogre": "hogre",
    "öka": "hogre",
    "lägre": "lagre",
    "lagre": "lagre",
    "minska": "lagre",
    "exakt": "exakt",
    "intervall": "intervall",
    "inom intervall": "intervall",
}
FIELD_LABELS = {
    "indikator": "Indikator",
    "period": "Period",
    "value": "Värde",
    "value_k": "Kvinnor",
    "value_m": "Män",
    "n_k": "Antal kvinnor",
    "n_m": "Antal män",
    "comment": "Kommentar",
    "name": "Namn",
    "nr": "Nr",
    "parent": "Överordnat",
    "parent_id": "Överordnat",
    "typ": "Typ",
    "unit_of_measure": "Enhet",
    "direction": "Riktning",
    "target": "Målvärde",
    "target_high": "Högsta",
    "periods": "Mäts",
    "responsible": "Ansvarig",
    "responsible_id": "Ansvarig",
    "measure": "Mått",
    "method": "Metod",
    "baseline": "Utgångsläge",
    "source": "Källa",
    "description": "Beskrivning",
}


@dataclass
class RowError:
    row: int  # row number in the file, the header being row 1
    column: str
    message: str


@dataclass
class ImportResult:
    created: int = 0
    errors: list[RowError] = field(default_factory=list)


class MalImportFailed(ImportFailed):
    def __init__(self, message: str, errors: list[RowError]):
        super().__init__(message, field="file")
        self.row_errors = errors


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", (text or "").strip().lower())


def _header(text: str) -> str:
    """A column name as people write it, normalised: "VÄRDE (%)", "Målvärde*", "Nr:" read
    as "värde", "målvärde", "nr"; the columns may come in any order."""
    text = re.sub(r"\([^)]*\)", " ", text or "")
    text = re.sub(r"[*:;.,!?_\-]+", " ", text)
    return _norm(text)


def _records(
    headers: list[str], rows: list[list[str]], columns: dict[str, str]
) -> tuple[list[tuple[int, dict[str, str]]], dict[str, str]]:
    index: dict[str, int] = {}
    names: dict[str, str] = {}
    for i, header in enumerate(headers):
        key = columns.get(_norm(header)) or columns.get(_header(header))
        if key and key not in index:
            index[key] = i
            names[key] = header
    records = []
    for number, row in enumerate(rows, start=2):
        if any(c.strip() for c in row):
            records.append((number, {k: row[i].strip() for k, i in index.items()}))
    return records, names


def _column(names: dict[str, str], name: str | None) -> str:
    if name is None:
        return "–"
    key = {"owner_id": "responsible", "responsible_id": "responsible", "parent_id": "parent"}.get(
        name, name
    )
    return names.get(key) or FIELD_LABELS.get(key, key)


def _utfall_row(
    actor: User, plan: Verksamhetsplan, values: dict[str, str], by_nr: dict[str, Indikator]
) -> None:
    nr = values.get("indikator", "")
    ind = by_nr.get(nr)
    if ind is None:
        raise OperationError(
            f"Planen har ingen indikator med nummer {nr or '(tomt)'}.", field="indikator"
        )
    ops.save_utfall(
        actor,
        ind,
        values.get("period", ""),
        **{k: values.get(k) for k in ("value", "value_k", "value_m", "n_k", "n_m", "comment")},
    )


def _struktur_row(
    actor: User, plan: Verksamhetsplan, values: dict[str, str], goals: dict[str, Mal]
) -> None:
    typ = _norm(values.get("typ", ""))
    parent_nr = values.get("parent", "")
    parent = goals.get(parent_nr) if parent_nr else None
    if parent_nr and parent is None:
        raise OperationError(f"Det finns inget mål med nummer {parent_nr}.", field="parent")
    if typ in ("mål", "mal"):
        goal = ops.create_goal(
            actor,
            plan,
            parent,
            nr=values.get("nr"),
            name=values.get("name"),
            description=values.get("description"),
        )
        goals[goal.nr] = goal
        return
    if typ != "indikator":
        raise OperationError("Skriv mål eller indikator.", field="typ")
    if parent is None:
        raise OperationError("Ange numret på målet som indikatorn hör till.", field="parent")
    responsible = None
    email = values.get("responsible", "")
    if email:
        responsible = db.session.scalar(
            select(User).where(folded(User.email) == fold(email.strip()))
        )
        if responsible is None:
            raise OperationError(
                f"Ingen användare har e-postadressen {email}.", field="responsible"
            )
    uom = values.get("unit_of_measure", "")
    direction = values.get("direction", "")
    ops.create_indikator(
        actor,
        parent,
        nr=values.get("nr"),
        name=values.get("name"),
        description=values.get("description"),
        source=values.get("source"),
        unit_of_measure=UNIT_WORDS.get(_norm(uom), uom),
        direction=DIRECTION_WORDS.get(_norm(direction), direction),
        target=values.get("target"),
        target_high=values.get("target_high"),
        baseline=values.get("baseline"),
        periods=values.get("periods", ""),
        responsible_id=responsible.id if responsible else None,
        by_sex=_norm(values.get("by_sex", "")) in ("ja", "j", "1", "x"),
        measure=values.get("measure") or None,
        method=values.get("method") or None,
    )


def template(plan: Verksamhetsplan, what: str) -> bytes:
    """An Excel file to fill in: the column headers of the import and, for utfall, one row
    per indikator and period the plan measures (the number and the period filled in)."""
    book = Workbook()
    sheet = book.active
    sheet.title = "Utfall" if what == "utfall" else "Mål och indikatorer"
    headers = TEMPLATE_HEADERS["utfall" if what == "utfall" else "struktur"]
    sheet.append(headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    if what == "utfall":
        for goal in sorted(plan.goals, key=lambda g: (g.level, g.sort_order, g.id)):
            for ind in goal.indikatorer:
                for code in ind.periods:
                    sheet.append([ind.nr, code])
    for i, header in enumerate(headers, start=1):
        sheet.column_dimensions[sheet.cell(1, i).column_letter].width = max(12, len(header) + 4)
    sheet.freeze_panes = "A2"
    notes = book.create_sheet("Förklaring")
    for row in TEMPLATE_HELP:
        notes.append(list(row))
    notes.column_dimensions["A"].width = 18
    notes.column_dimensions["B"].width = 90
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def run(actor: User, plan: Verksamhetsplan, what: str, filename: str, data: bytes) -> ImportResult:
    """Import `data` into `plan`. Raises MalImportFailed with every row error and saves
    nothing when any row is wrong."""
    if what not in ("utfall", "struktur"):
        raise ImportFailed("Välj vad filen innehåller.", field="what")
    headers, rows = read_table(filename, data)
    columns = UTFALL_COLUMNS if what == "utfall" else STRUKTUR_COLUMNS
    records, names = _records(headers, rows, columns)
    needed = ("indikator", "period") if what == "utfall" else ("typ", "name")
    missing = [FIELD_LABELS[n] for n in needed if n not in names]
    if missing:
        raise ImportFailed("Filen saknar kolumnen: " + ", ".join(missing) + ".", field="file")
    result = ImportResult()
    goals = {g.nr: g for g in plan.goals if g.nr}
    by_nr = {i.nr: i for g in plan.goals for i in g.indikatorer if i.nr}
    # One savepoint for the whole file: any error rolls back every row, and only the rows
    # (what the caller's unit did before stays for its boundary to commit or roll back).
    with db.session.begin_nested(), no_notices():
        for number, values in records:
            try:
                if what == "utfall":
                    _utfall_row(actor, plan, values, by_nr)
                else:
                    _struktur_row(actor, plan, values, goals)
                result.created += 1
            except OperationError as error:
                result.errors.append(RowError(number, _column(names, error.field), error.message))
        if result.errors:
            raise MalImportFailed(
                f"Inget importerades: {len(result.errors)} fel i filen.", result.errors
            )
        audit.record(
            actor,
            "import",
            target=f"mal_plan:{plan.id}",
            summary=f"Importerade {result.created} rader ({what}) från {filename}",
        )
    return result
