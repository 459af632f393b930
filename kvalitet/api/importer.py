"""Import of existing lists (avvikelser, synpunkter/klagomål, förbättringsåtgärder) from CSV
or Excel: read the file, map columns to fields, preview with row-level errors, then import
every valid row or nothing.

Each row is created by the kind's own operation (the same as the web form and the API), so
the same validation, reference numbers and personnummer guard apply. The whole import runs
in one transaction: by default a single bad row means nothing is imported. Every imported
item gets an audit entry "Importerad från <fil> (rad N)". Notifications the operations
would send for new items are left out: an import is history, not news.
"""

from __future__ import annotations

import csv
import io
import json
import re
import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from datetime import time as dtime
from functools import cache
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import event, select
from sqlalchemy.exc import SQLAlchemyError

from kvalitet.atgarder.models import AtgardTyp
from kvalitet.atgarder.operations import CREATORS, create_atgard
from kvalitet.avvikelser.models import CATEGORY_LIST
from kvalitet.avvikelser.operations import report_avvikelse
from kvalitet.core import audit, clock, uow
from kvalitet.core.db_setup import fold, folded
from kvalitet.core.errors import OperationError
from kvalitet.core.permissions import holds_role_over
from kvalitet.core.registry import kind_spec
from kvalitet.core.roles import Role
from kvalitet.core.workflow import import_transition, run_system_transition
from kvalitet.egenkontroll import operations as egenkontroll
from kvalitet.egenkontroll.models import Egenkontroll, Svar
from kvalitet.extensions import db
from kvalitet.items import history
from kvalitet.items.models import TITLE_MAX, Item, ListEntry, QualityArea
from kvalitet.items.provenance import Karaktar
from kvalitet.lexsarah import operations as lexsarah
from kvalitet.lexsarah.models import REQUIRED_SECTIONS, Bedomning, LexSarahArende, Sektion, Utfall
from kvalitet.lexsarah.models import Kanal as LexSarahKanal
from kvalitet.notify.models import DigestEntry, Notification, OutboxMail
from kvalitet.notify.operations import silenced
from kvalitet.org.models import Unit, User
from kvalitet.risker.kinds import MANAGERS as RISK_MANAGERS
from kvalitet.risker.models import Anledning
from kvalitet.risker.operations import create_risk
from kvalitet.synpunkter.models import THEME_LIST, Kalla, Kanal, SynpunktTyp
from kvalitet.synpunkter.operations import register

MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 20000
EXTENSIONS = ("csv", "xlsx")


@dataclass
class Target:
    """A field an import column can be mapped to."""

    name: str
    label: str
    convert: str = "text"  # text, date, datetime, unit, list:<key>, enum, bool, int, areas
    required: bool = False
    aliases: tuple[str, ...] = ()
    choices: dict[str, str] = field(default_factory=dict)  # value -> label, for enum
    max_length: int = 10000
    op_fields: tuple[str, ...] = ()  # field names the operation uses in its errors


@dataclass
class ImportKind:
    key: str
    code: str
    label: str
    roles: tuple[str, ...]
    targets: list[Target]
    create: Callable[[User, dict[str, Any]], Item]
    # The field that says when the row happened, when not the "registered" column.
    history_date: str | None = None
    # Later steps of the item (lex Sarah: bedömning, utredning, beslut, IVO, avslut), each run
    # as history on its own date after the item is created: steps(actor, item, values, source)
    # gets the values of `step_fields`, which the creating operation does not take.
    steps: Callable[[User, Item, dict[str, Any], str], None] | None = None
    step_fields: tuple[str, ...] = ()
    # Values of the template's example row that differ from the generic ones.
    examples: dict[str, str] = field(default_factory=dict)


@dataclass
class RowResult:
    number: int  # row number in the file (the header is row 1)
    values: dict[str, Any]
    errors: list[tuple[str, str]] = field(default_factory=list)  # (column, message)
    title: str = ""

    @property
    def ok(self) -> bool:
        return not self.errors


class ImportFailed(OperationError):
    pass


# --- the kinds --------------------------------------------------------------------------------


def _state_choices(code: str) -> dict[str, str]:

    return dict(kind_spec(code).workflow.states)


HISTORY_TAIL = lambda code: [  # noqa: E731
    Target("closed", "Avslutad (datum)", "date",
           aliases=("avslutad", "avslutat", "stängd", "klar", "avslutsdatum")),
    Target("source_ref", "Källans nummer", "text",
           aliases=("källans nummer", "ärendenummer", "diarienummer", "löpnummer"),
           max_length=40),
    Target("status", "Status", "enum", choices=_state_choices(code), aliases=("status",)),
]  # fmt: skip

COMMON_TAIL = lambda code: [  # noqa: E731
    Target("registered", "Registrerad (datum)", "date",
           aliases=("registrerad", "registrerat", "skapad", "datum", "inkom"),
           op_fields=("created_at",)),
    *HISTORY_TAIL(code),
]  # fmt: skip


def _avvikelser() -> ImportKind:

    def create(actor: User, values: dict[str, Any]) -> Item:
        return report_avvikelse(actor, **values)

    return ImportKind("avvikelser", "AVV", "Avvikelser",
                      (Role.ENHETSCHEF, Role.AVDELNINGSCHEF, Role.KVALITETSUTVECKLARE, Role.ADMIN),
                      [
        Target("unit", "Enhet", "unit", True, ("enhet", "verksamhet"), op_fields=("unit_id",)),
        Target("description", "Vad hände", "text", True,
               ("beskrivning", "vad hände", "händelse", "handelse")),
        Target("category_id", "Kategori", f"list:{CATEGORY_LIST}", True, ("kategori", "typ")),
        Target("title", "Rubrik", "text", aliases=("rubrik", "titel"), max_length=TITLE_MAX),
        Target("event_at", "När det hände", "datetime",
               aliases=("händelsedatum", "när det hände", "datum för händelsen")),
        Target("immediate_action", "Omedelbar åtgärd", aliases=("omedelbar åtgärd", "åtgärd")),
        Target("consequence_actual", "Konsekvens", aliases=("konsekvens",)),
        Target("external_party", "Extern part", aliases=("extern part",)),
        *COMMON_TAIL("AVV"),
    ], create)  # fmt: skip


def _synpunkter() -> ImportKind:

    def create(actor: User, values: dict[str, Any]) -> Item:
        values.setdefault("kalla", str(Kalla.BRUKARE))
        values.setdefault("kanal", str(Kanal.BREV))
        values.setdefault("typ", str(SynpunktTyp.KLAGOMAL))
        return register(actor, **values)

    def labels(enum_type: Any) -> dict[str, str]:
        return {str(v): getattr(v, "label", str(v)) for v in enum_type}

    return ImportKind("synpunkter", "SYN", "Synpunkter och klagomål",
                      (Role.REGISTRATOR, Role.ENHETSCHEF, Role.AVDELNINGSCHEF,
                       Role.KVALITETSUTVECKLARE, Role.ADMIN), [
        Target("unit", "Enhet", "unit", True, ("enhet", "verksamhet"), op_fields=("unit_id",)),
        Target("description", "Vad det gäller", "text", True,
               ("beskrivning", "synpunkt", "klagomål", "vad det gäller", "ärende")),
        Target("typ", "Typ (klagomål, synpunkt, förslag, beröm)", "enum",
               choices=labels(SynpunktTyp), aliases=("typ", "slag")),
        Target("kalla", "Från (brukare, närstående, …)", "enum", choices=labels(Kalla),
               aliases=("från", "fran", "källa", "avsändare")),
        Target("kanal", "Kanal", "enum", choices=labels(Kanal), aliases=("kanal", "inkom via")),
        Target("received_date", "Mottagen (datum)", "date",
               aliases=("mottagen", "inkom", "datum", "inkommen")),
        Target("theme_id", "Tema", f"list:{THEME_LIST}", aliases=("tema",)),
        Target("anonymous", "Anonym", "bool", aliases=("anonym",)),
        *HISTORY_TAIL("SYN"),
    ], create, history_date="received_date")  # fmt: skip


def _atgarder() -> ImportKind:

    def create(actor: User, values: dict[str, Any]) -> Item:
        return create_atgard(actor, **values)

    return ImportKind("atgarder", "ATG", "Förbättringsåtgärder", (*CREATORS, Role.ADMIN), [
        Target("title", "Vad ska göras (rubrik)", "text", True,
               ("åtgärd", "atgard", "rubrik", "vad", "titel"), max_length=TITLE_MAX),
        Target("unit", "Enhet", "unit", True, ("enhet", "verksamhet"), op_fields=("unit_id",)),
        Target("description", "Beskrivning", aliases=("beskrivning",)),
        Target("why", "Varför", aliases=("varför", "varfor", "orsak")),
        Target("atgard_typ", "Typ av åtgärd", "enum",
               choices={str(t): getattr(t, "label", str(t)) for t in AtgardTyp},
               aliases=("typ", "typ av åtgärd")),
        Target("owner", "Ansvarig (e-post)", "user", aliases=("ansvarig", "ägare"),
               op_fields=("owner_id",)),
        Target("start_date", "Start (datum)", "date", aliases=("start", "startdatum")),
        Target("due_date", "Klart senast (datum)", "date",
               aliases=("klart senast", "slutdatum", "deadline")),
        Target("source_text", "Underlag", aliases=("källa", "kalla", "underlag"), max_length=200),
        Target("quality_area_ids", "Kvalitetsområden", "areas",
               aliases=("kvalitetsområde", "kvalitetsområden", "område")),
        Target("done_text", "Vad som gjorts", aliases=(
            "vad som gjorts", "genomfört", "åtgärder som påbörjats/pågår/avslutats")),
        Target("effect_text", "Effekt", aliases=(
            "effekt", "uppföljning av åtgärdernas effekt", "uppföljning av effekt")),
        Target("effect_date", "Effekten följd upp (datum)", "date",
               aliases=("effekt följd upp", "uppföljd", "effektdatum")),
        Target("carry_over", "Återkommer nästa år", "bool",
               aliases=("återkommer nästa år", "återkommer")),
        *COMMON_TAIL("ATG"),
    ], create)  # fmt: skip


def _labels(enum_type: Any) -> dict[str, str]:
    return {str(v): getattr(v, "label", str(v)) for v in enum_type}


LEXSARAH_STEP_FIELDS = (
    "assessed", "assessment", "assessment_text", "utredning_date", "utredning_text",
    *(f"sek_{s}" for s in Sektion),
    "decision_date", "outcome", "allvarligt", "decision_maker", "decision_reason",
    "ivo_date", "ivo_channel", "ivo_region", "ivo_diarienummer", "ivo_sent",
    "ledningsgrupp_date", "spread_text", "closed_on", "closing_note",
)  # fmt: skip


def _lexsarah_steps(actor: User, item: Item, v: dict[str, Any], source: str) -> None:
    """A lex Sarah case from its rapport to its beslut, IVO and avslut: each step is SAS's
    own operation (kvalitet.lexsarah.operations), run as history on the step's date, in the
    order it happened. A refusal is named at the step's column."""
    assert isinstance(item, LexSarahArende)
    last: date = clock.to_local(item.reported_at).date()  # type: ignore[union-attr]

    def at(day: date | None, column: str, run: Callable[[], None]) -> None:
        nonlocal last
        day = day or last
        try:
            with history.recording(actor, day, source=source, item=item, field_name=column,
                                   audit_entry=False):  # fmt: skip
                run()
                db.session.flush()
        except OperationError as error:
            if not error.field:
                error.field = column
            raise
        last = day

    if v.get("assessment") or v.get("assessed") or v.get("assessment_text"):
        at(v.get("assessed"), "assessed", lambda: lexsarah.assess(
            item, actor, v.get("assessment") or "", v.get("assessment_text") or ""))  # fmt: skip
    sections = {s: v.get(f"sek_{s}") for s in Sektion}
    summary = v.get("utredning_text")
    if summary or v.get("utredning_date") or any(sections.values()):

        def entries() -> None:
            for section in Sektion:
                text = sections[section] or (summary if section in REQUIRED_SECTIONS else None)
                if text:
                    lexsarah.add_entry(item, actor, section=str(section),
                                       entry_date=v.get("utredning_date") or last,
                                       source=f"Import: {source}"[:300],
                                       karaktar=str(Karaktar.FAKTA), text=text)  # fmt: skip

        at(v.get("utredning_date"), "utredning_date", entries)
    ivo_date: date | None = v.get("ivo_date")
    decided: date | None = v.get("decision_date")
    attached = not v.get("ivo_sent") or v.get("ivo_sent") == ivo_date

    def ivo() -> None:
        lexsarah.file_ivo(item, actor, filed_date=ivo_date, channel=v.get("ivo_channel") or "",
                          region=v.get("ivo_region") or "", attached=attached,
                          diarienummer=v.get("ivo_diarienummer") or "")  # fmt: skip

    def decide() -> None:
        maker = v.get("decision_maker")
        if maker is None and actor in lexsarah.decision_makers(item):
            maker = actor
        lexsarah.decide(item, actor, outcome=v.get("outcome") or "",
                        allvarligt=bool(v.get("allvarligt")),
                        decision_maker_id=maker.id if maker else None, decision_date=decided,
                        reason=v.get("decision_reason") or "")  # fmt: skip

    ivo_first = ivo_date is not None and (decided is None or ivo_date < decided)
    if ivo_first:
        at(ivo_date, "ivo_date", ivo)
    if decided or v.get("outcome"):
        at(decided, "decision_date", decide)
    if ivo_date is not None and not ivo_first:
        at(ivo_date, "ivo_date", ivo)
    if not attached:
        at(v.get("ivo_sent"), "ivo_sent",
           lambda: lexsarah.investigation_sent(item, actor, v.get("ivo_sent")))  # fmt: skip
    if v.get("ledningsgrupp_date") or v.get("spread_text"):
        at(v.get("ledningsgrupp_date"), "ledningsgrupp_date", lambda: lexsarah.set_spreading(
            item, actor, unit_ids=[], spread_text=v.get("spread_text") or "",
            ledningsgrupp_date=v.get("ledningsgrupp_date")))  # fmt: skip
    if v.get("closed_on"):
        at(v.get("closed_on"), "closed_on",
           lambda: lexsarah.close(item, actor, v.get("closing_note") or ""))  # fmt: skip


def _lexsarah() -> ImportKind:

    def create(actor: User, values: dict[str, Any]) -> Item:
        return lexsarah.report(actor, **values)

    sections = [
        Target(f"sek_{s}", f"Utredning: {s.label}", aliases=(f"utredning {s}",),
               op_fields=("text",) if s == Sektion.HANDELSE else ())
        for s in Sektion
    ]  # fmt: skip
    return ImportKind("lexsarah", "LXS", "Lex Sarah-ärenden",
                      (Role.KVALITETSUTVECKLARE, Role.ADMIN), [
        Target("unit", "Enhet", "unit", True, ("enhet", "verksamhet"), op_fields=("unit_id",)),
        Target("title", "Rubrik", "text", True, ("rubrik", "titel"), max_length=TITLE_MAX),
        Target("description", "Vad hände", "text", True,
               ("beskrivning", "vad hände", "händelse", "rapport")),
        Target("registered", "Rapporterad (datum)", "date", True,
               ("rapporterad", "rapportdatum", "datum", "inkom"), op_fields=("reported_at",)),
        Target("happened_at", "När det hände", "datetime", aliases=("händelsedatum",)),
        Target("consequences", "Konsekvenser", aliases=("konsekvens", "konsekvenser")),
        Target("immediate_measures", "Omedelbara åtgärder", aliases=("omedelbara åtgärder",)),
        Target("immediate_measures_at", "Omedelbara åtgärder (när)", "datetime",
               aliases=("omedelbara åtgärder när",)),
        Target("assessed", "Bedömd (datum)", "date", aliases=("bedömd", "bedömningsdatum")),
        Target("assessment", "Bedömning", "enum", choices=_labels(Bedomning),
               aliases=("bedömning",)),
        Target("assessment_text", "Bedömningens motivering", aliases=("motivering",)),
        Target("utredning_date", "Utredning (datum)", "date",
               aliases=("utredningsdatum", "utredd"), op_fields=("entry_date",)),
        Target("utredning_text", "Utredningen (sammanfattning)",
               aliases=("utredning", "utredningen"),
               op_fields=("text", "source", "section", "karaktar")),
        *sections,
        Target("decision_date", "Beslut (datum)", "date", aliases=("beslutsdatum", "beslut")),
        Target("outcome", "Beslutets utfall", "enum", choices=_labels(Utfall),
               aliases=("utfall",)),
        Target("allvarligt", "Allvarligt missförhållande", "bool", aliases=("allvarligt",)),
        Target("decision_maker", "Beslutsfattare (e-post)", "user",
               aliases=("beslutsfattare",), op_fields=("decision_maker_id",)),
        Target("decision_reason", "Beslutets motivering", aliases=("beslutsmotivering",)),
        Target("ivo_date", "Anmäld till IVO (datum)", "date",
               aliases=("anmäld till ivo", "ivo-anmälan", "ivo"), op_fields=("filed_date",)),
        Target("ivo_channel", "IVO: kanal", "enum", choices=_labels(LexSarahKanal),
               aliases=("kanal",), op_fields=("channel",)),
        Target("ivo_region", "IVO: region", aliases=("region", "ivo-region"),
               op_fields=("region",), max_length=100),
        Target("ivo_diarienummer", "IVO: diarienummer", aliases=("ivo:s diarienummer",),
               op_fields=("diarienummer",), max_length=60),
        Target("ivo_sent", "Utredningen skickad till IVO (datum)", "date",
               aliases=("utredningen skickad",), op_fields=("sent_date",)),
        Target("ledningsgrupp_date", "Ledningsgruppen gick igenom (datum)", "date",
               aliases=("ledningsgrupp",)),
        Target("spread_text", "Lärdomar att sprida", aliases=("spridning", "lärdomar")),
        Target("closed_on", "Avslutad (datum)", "date",
               aliases=("avslutad", "avslutat", "avslutsdatum")),
        Target("closing_note", "Avslutande kommentar", aliases=("kommentar",)),
        Target("source_ref", "Källans nummer", "text",
               aliases=("källans nummer", "ärendenummer", "diarienummer", "löpnummer"),
               max_length=40),
    ], create, steps=_lexsarah_steps, step_fields=LEXSARAH_STEP_FIELDS, examples={
        "registered": "2024-10-01", "assessed": "2024-10-02", "assessment": "Missförhållande",
        "utredning_date": "2024-10-10", "decision_date": "2024-11-01",
        "outcome": "Missförhållande", "allvarligt": "ja", "decision_maker": "",
        "ivo_date": "2024-11-01", "ivo_region": "Mitt", "ledningsgrupp_date": "2024-11-05",
        "closed_on": "2024-11-10", "happened_at": "2024-09-30 19:30",
        "immediate_measures_at": "2024-09-30 20:00", "ivo_sent": "", "ivo_diarienummer": "",
        **{f"sek_{s}": "" for s in Sektion},
    })  # fmt: skip


def _risker() -> ImportKind:

    def create(actor: User, values: dict[str, Any]) -> Item:
        return create_risk(actor, **values)

    scale = {str(n): str(n) for n in range(1, 5)}
    return ImportKind("risker", "RSK", "Risker", (*RISK_MANAGERS, Role.ADMIN), [
        Target("title", "Risk (rubrik)", "text", True, ("risk", "rubrik", "titel"),
               max_length=TITLE_MAX),
        Target("unit", "Enhet", "unit", True, ("enhet", "verksamhet"), op_fields=("unit_id",)),
        Target("description", "Riskanalys (beskrivning)",
               aliases=("beskrivning", "analys", "riskanalys")),
        Target("consequence_text", "Vad kan hända (konsekvens)",
               aliases=("vad kan hända", "konsekvensbeskrivning")),
        Target("anledning", "Anledning", "enum", choices=_labels(Anledning),
               aliases=("anledning", "varför")),
        Target("likelihood", "Sannolikhet (1–4)", "enum", True, choices=scale,
               aliases=("sannolikhet",)),
        Target("consequence", "Konsekvens (1–4)", "enum", True, choices=scale,
               aliases=("konsekvens",)),
        Target("residual_likelihood", "Kvarvarande sannolikhet (1–4)", "enum", choices=scale,
               aliases=("kvarvarande sannolikhet",)),
        Target("residual_consequence", "Kvarvarande konsekvens (1–4)", "enum", choices=scale,
               aliases=("kvarvarande konsekvens",)),
        Target("owner", "Ansvarig (e-post)", "user", aliases=("ansvarig", "ägare"),
               op_fields=("owner_id",)),
        Target("review_date", "Följs upp (datum)", "date",
               aliases=("följs upp", "uppföljning", "omprövas")),
        *COMMON_TAIL("RSK"),
    ], create)  # fmt: skip


EGK_QUESTIONS = 10  # columns "Fråga 1" … "Fråga 10" (n/N per question)
EGK_STEP_FIELDS = ("performed", "case_count", "summary",
                   *(f"q{i}" for i in range(1, EGK_QUESTIONS + 1)))  # fmt: skip


def _n_of(raw: str, case_count: int, column: str) -> tuple[int, int]:
    """ "4/5" or "4 av 5" (n of N answered yes), or "4" (of all the cases)."""
    match = re.fullmatch(r"\s*(\d+)\s*(?:(?:/|av)\s*(\d+))?\s*", raw)
    if match is None:
        raise OperationError(f"Skriv hur många som uppfyllde frågan, t.ex. 4/5, inte ”{raw}”.",
                             field=column)  # fmt: skip
    n, total = int(match.group(1)), int(match.group(2) or case_count)
    if not n <= total <= case_count:
        raise OperationError(f"”{raw}”: högst {case_count} granskade ärenden, och uppfyllda "
                             "kan inte vara fler än granskade.", field=column)  # fmt: skip
    return n, total


def _egenkontroll_steps(actor: User, item: Item, v: dict[str, Any], source: str) -> None:
    """An earlier occurrence performed: the answers as n/N per question (the first n cases
    ja, the rest of the N nej, cases beyond N ej aktuellt), the summary, on the day it was
    performed, through the operation the web's form uses (kvalitet.egenkontroll)."""
    assert isinstance(item, Egenkontroll)
    try:
        case_count = int(str(v.get("case_count") or "").strip())
    except ValueError:
        raise OperationError("Ange antal granskade ärenden som ett tal.", field="case_count")
    if not 1 <= case_count <= egenkontroll.MAX_CASES:
        raise OperationError(f"Antal granskade ärenden ska vara 1–{egenkontroll.MAX_CASES}.",
                             field="case_count")  # fmt: skip
    answers: dict[tuple[int, int], str | None] = {}
    questions = item.kontroll.active_fragor
    for number, fraga in enumerate(questions, start=1):
        column = f"q{number}"
        if number > EGK_QUESTIONS or not v.get(column):
            raise OperationError(
                f"Frågan ”{fraga.text}” saknar svar (kolumn Fråga {number}).",
                field=column if number <= EGK_QUESTIONS else "summary",
            )
        n, total = _n_of(str(v[column]), case_count, column)
        for case in range(1, case_count + 1):
            answers[(fraga.id, case)] = str(
                Svar.JA if case <= n else Svar.NEJ if case <= total else Svar.EJ_AKTUELLT
            )
    extra = [i for i in range(len(questions) + 1, EGK_QUESTIONS + 1) if v.get(f"q{i}")]
    if extra:
        raise OperationError(f"Kontrollen har {len(questions)} frågor, men Fråga {extra[0]} "
                             "har ett svar.", field=f"q{extra[0]}")  # fmt: skip
    with history.recording(actor, v["performed"], source=source, item=item,
                           field_name="performed", audit_entry=False):  # fmt: skip
        egenkontroll.save_answers(actor, item, case_count=case_count, answers=answers,
                                  summary=v.get("summary") or "", complete=True)  # fmt: skip
        db.session.flush()


def _egenkontroller() -> ImportKind:
    """Egenkontroller of earlier years with their results: each row one occurrence of a
    control in an adopted plan (bring in the year's plan first), performed, with n/N per
    question."""

    def create(actor: User, values: dict[str, Any]) -> Item:
        return egenkontroll.record_occurrence(actor, **values)

    return ImportKind("egenkontroller", "EGK", "Egenkontroller (med resultat)",
                      (Role.KVALITETSUTVECKLARE, Role.ADMIN), [
        Target("unit", "Enhet", "unit", True, ("enhet", "verksamhet")),
        Target("kontroll", "Kontroll", "text", True, ("kontroll", "vad kontrolleras"),
               max_length=TITLE_MAX),
        Target("planned_date", "Planerad (datum)", "date", True,
               ("planerad", "planerat datum", "datum")),
        Target("performed", "Utförd (datum)", "date", True, ("utförd", "genomförd")),
        Target("case_count", "Antal granskade ärenden", "text", True,
               ("antal ärenden", "antal granskade", "urval"), max_length=5),
        Target("summary", "Sammanfattning", "text", True, ("sammanfattning", "resultat")),
        *[Target(f"q{i}", f"Fråga {i}", "text", aliases=(f"fråga {i} (n/n)",), max_length=20)
          for i in range(1, EGK_QUESTIONS + 1)],
    ], create, history_date="planned_date", steps=_egenkontroll_steps,
        step_fields=EGK_STEP_FIELDS,
        examples={"kontroll": "Aktgranskning av genomförandeplaner", "case_count": "5",
                  "q1": "4/5",
                  "summary": "Planerna var aktuella i fyra av fem akter."})  # fmt: skip


BUILDERS: dict[str, Callable[[], ImportKind]] = {
    "avvikelser": _avvikelser,
    "lexsarah": _lexsarah,
    "synpunkter": _synpunkter,
    "atgarder": _atgarder,
    "risker": _risker,
    "egenkontroller": _egenkontroller,
}


def import_kinds() -> list[ImportKind]:
    kinds = []
    for builder in BUILDERS.values():
        try:
            kinds.append(builder())
        except (ImportError, AttributeError, KeyError):
            continue
    return kinds


def import_kind(key: str) -> ImportKind | None:
    return next((k for k in import_kinds() if k.key == key), None)


@cache
def _importing_roles() -> tuple[str, ...]:
    """The roles that may import some kind: asked by the menu on every page, where building
    every kind's targets cost a quarter to half a millisecond each time. The kinds and
    their roles are fixed in the code."""
    return tuple(sorted({str(r) for k in import_kinds() for r in k.roles}))


def may_import(user: Any, kind: ImportKind | None = None) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    roles = kind.roles if kind else _importing_roles()
    return bool(user.has_role(*roles))


# --- reading files --------------------------------------------------------------------------


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M") if value.time() != dtime(0) else \
            value.date().isoformat()  # fmt: skip
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def read_table(filename: str, data: bytes) -> tuple[list[str], list[list[str]]]:
    """(headers, rows) of the first sheet or the CSV. Raises ImportFailed with a Swedish
    message if the file cannot be read."""
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if extension not in EXTENSIONS:
        raise ImportFailed("Välj en CSV-fil eller en Excel-fil (.xlsx).", field="file")
    if not data:
        raise ImportFailed("Filen är tom.", field="file")
    if len(data) > MAX_BYTES:
        raise ImportFailed("Filen är för stor (högst 10 MB).", field="file")
    rows: list[list[str]]
    if extension == "xlsx":
        try:
            from openpyxl import load_workbook

            book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            sheet = book.worksheets[0]
            rows = [[_cell(v) for v in row] for row in sheet.iter_rows(values_only=True)]
            book.close()
        except Exception:  # openpyxl raises many kinds of errors for broken files
            raise ImportFailed("Excel-filen gick inte att läsa. Spara den som .xlsx och "
                               "försök igen.", field="file") from None  # fmt: skip
    else:
        try:
            content = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            content = data.decode("cp1252", errors="replace")
        try:
            dialect: Any = csv.Sniffer().sniff(content[:4096], delimiters=";,\t")
        except csv.Error:
            dialect = csv.excel
            dialect.delimiter = ";" if content.split("\n", 1)[0].count(";") else ","
        try:
            rows = [[c.strip() for c in r] for r in csv.reader(io.StringIO(content), dialect)]
        except csv.Error:
            raise ImportFailed("CSV-filen gick inte att läsa.", field="file") from None
    while rows and not any(rows[-1]):
        rows.pop()
    if not rows or not any(rows[0]):
        raise ImportFailed("Filen saknar rubrikrad (första raden ska ha kolumnnamn).",
                           field="file")  # fmt: skip
    headers = [h or f"Kolumn {i + 1}" for i, h in enumerate(rows[0])]
    body = rows[1:]
    if len(body) > MAX_ROWS:
        raise ImportFailed(f"Filen har för många rader (högst {MAX_ROWS}).", field="file")
    if not body:
        raise ImportFailed("Filen har inga rader under rubrikraden.", field="file")
    width = len(headers)
    return headers, [(r + [""] * width)[:width] for r in body]


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", fold(text.strip()))


def guess_mapping(kind: ImportKind, headers: list[str]) -> dict[str, int | None]:
    """Target field -> column index, guessed from the column names."""
    normalised = [_norm(re.sub(r"\s*\*$", "", h)) for h in headers]  # "Enhet *": required
    mapping: dict[str, int | None] = {}
    used: set[int] = set()
    for target in kind.targets:
        names = {_norm(target.label), _norm(target.name), *(_norm(a) for a in target.aliases)}
        found = next((i for i, h in enumerate(normalised) if h in names and i not in used), None)
        if found is not None:
            used.add(found)
        mapping[target.name] = found
    return mapping


# --- converting and checking rows -------------------------------------------------------------


_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _parse_date(text: str) -> date | None:
    text = text.strip()
    if _ISO_DAY.fullmatch(text):  # the usual form, without strptime's cost per call
        try:
            return date.fromisoformat(text)
        except ValueError:
            return None
    for fmt in ("%Y-%m-%d", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%d/%m/%Y", "%d.%m.%Y",
                "%Y%m%d"):  # fmt: skip
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def _parse_datetime(text: str) -> datetime | None:
    text = text.strip()
    for fmt in ("%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"):
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=clock.STOCKHOLM)
        except ValueError:
            continue
    day = _parse_date(text)
    if day is not None:
        return datetime.combine(day, dtime(12, 0), tzinfo=clock.STOCKHOLM)
    return None


class Lookups:
    """Cached lookups of units, list entries and users by name for one import."""

    def __init__(self) -> None:
        self.units: dict[str, Unit | None] = {}
        self.entries: dict[tuple[str, str], int | None] = {}
        self.users: dict[str, User | None] = {}
        self.area_names: dict[str, int] | None = None
        # The list entries found, held so that the operations' session.get() of them is
        # answered from the identity map (it holds its objects only weakly).
        self.held: list[ListEntry] = []

    def unit(self, text: str) -> Unit | None:
        key = _norm(text)
        if key not in self.units:
            unit = None
            if key.isascii() and key.isdigit() and len(key) < 10:
                unit = db.session.get(Unit, int(key))
            if unit is None:
                unit = db.session.scalar(
                    select(Unit).where(folded(Unit.name) == key, Unit.active.is_(True))
                )
            self.units[key] = unit if unit is not None and unit.active else None
        return self.units[key]

    def entry(self, list_key: str, text: str) -> int | None:
        key = (list_key, _norm(text))
        if key not in self.entries:
            entry = db.session.scalar(
                select(ListEntry).where(
                    ListEntry.list_key == list_key, folded(ListEntry.label) == key[1]
                )
            )
            if entry is not None:
                self.held.append(entry)
            self.entries[key] = entry.id if entry is not None else None
        return self.entries[key]

    def areas(self, text: str) -> tuple[list[int], str | None]:
        """Quality area ids of "Trygghet; Helhetssyn" (names matched without regard to
        case), and the first name that is unknown."""
        if self.area_names is None:
            self.area_names = {
                _norm(name): area_id
                for area_id, name in db.session.execute(select(QualityArea.id, QualityArea.name))
            }
        ids: list[int] = []
        for name in re.split(r"[;,\n]", text):
            if not name.strip():
                continue
            found = self.area_names.get(_norm(name))
            if found is None:
                return [], name.strip()
            ids.append(found)
        return ids, None

    def user(self, text: str) -> User | None:
        key = _norm(text)
        if key not in self.users:
            self.users[key] = db.session.scalar(
                select(User).where(folded(User.email) == key, User.active.is_(True))
            )
        return self.users[key]


def convert_row(
    kind: ImportKind,
    mapping: dict[str, int | None],
    headers: list[str],
    row: list[str],
    number: int,
    lookups: Lookups,
) -> RowResult:
    result = RowResult(number, {})
    for target in kind.targets:
        index = mapping.get(target.name)
        column = headers[index] if index is not None else target.label
        raw = row[index].strip() if index is not None else ""
        if not raw:
            if target.required:
                result.errors.append((column, "Värde saknas."))
            continue
        value: Any = raw
        problem = None
        if target.convert == "text":
            if len(raw) > target.max_length:
                problem = f"För lång text (högst {target.max_length} tecken)."
        elif target.convert == "date":
            value = _parse_date(raw)
            problem = None if value else f"”{raw}” är inget datum (ÅÅÅÅ-MM-DD)."
        elif target.convert == "datetime":
            value = _parse_datetime(raw)
            problem = None if value else f"”{raw}” är inget datum (ÅÅÅÅ-MM-DD TT:MM)."
        elif target.convert == "unit":
            value = lookups.unit(raw)
            problem = None if value else f"Okänd enhet ”{raw}”."
        elif target.convert == "user":
            value = lookups.user(raw)
            problem = None if value else f"Ingen aktiv användare med e-post ”{raw}”."
        elif target.convert == "areas":
            value, unknown = lookups.areas(raw)
            problem = f"Okänt kvalitetsområde ”{unknown}”." if unknown else None
        elif target.convert.startswith("list:"):
            value = lookups.entry(target.convert[5:], raw)
            problem = None if value else f"”{raw}” finns inte i listan."
        elif target.convert == "enum":
            wanted = _norm(raw)
            value = next((k for k, label in target.choices.items()
                          if wanted in (_norm(k), _norm(label))), None)  # fmt: skip
            problem = (
                None
                if value
                else (f"Okänt värde ”{raw}”. Tillåtna: " + ", ".join(target.choices.values()) + ".")
            )
        elif target.convert == "bool":
            value = {"ja": True, "j": True, "x": True, "1": True, "true": True, "nej": False,
                     "n": False, "0": False, "false": False}.get(_norm(raw))  # fmt: skip
            problem = None if value is not None else f"Ange ja eller nej, inte ”{raw}”."
        if problem:
            result.errors.append((column, problem))
        else:
            result.values[target.name] = value
    return result


def _column_for(kind: ImportKind, mapping: dict[str, int | None], headers: list[str],
                op_field: str | None) -> str:  # fmt: skip
    if op_field:
        for target in kind.targets:
            if op_field == target.name or op_field in target.op_fields:
                index = mapping.get(target.name)
                return headers[index] if index is not None else target.label
    return "–"


# --- running the operations -----------------------------------------------------------------


@contextmanager
def no_notices() -> Iterator[None]:
    """Operations queue notifications; an import is not news, so new notifications and
    mails made inside this block are dropped before they are flushed."""
    session = db.session()

    def drop_notices(sess: Any, context: Any, instances: Any) -> None:
        for obj in list(sess.new):
            if isinstance(obj, Notification | OutboxMail | DigestEntry):
                sess.expunge(obj)

    event.listen(session, "before_flush", drop_notices)
    try:
        with silenced():  # notify() makes none (and reads no one's mail preference)
            yield
    finally:
        event.remove(session, "before_flush", drop_notices)


def _apply(kind: ImportKind, actor: User, result: RowResult, filename: str) -> Item:
    values = dict(result.values)
    step_values = {name: values.pop(name) for name in kind.step_fields if name in values}
    registered: date | None = values.pop("registered", None)
    closed: date | None = values.pop("closed", None)
    source_ref: str | None = values.pop("source_ref", None)
    status: str | None = values.pop("status", None)
    unit = values.get("unit")
    if unit is not None and not holds_role_over(actor, kind.roles, unit):
        raise OperationError("Du har inte behörighet att importera till enheten.",
                             field="unit")  # fmt: skip
    happened = registered
    if happened is None and kind.history_date and history.may_record(actor):
        happened = values.get(kind.history_date)
    if closed is not None and happened is not None and closed < happened:
        raise OperationError("Avslutad kan inte vara före registrerad.", field="closed")
    if closed is not None and not status:
        raise OperationError("Ange status när avslutsdatum anges.", field="status")
    source = f"{filename} (rad {result.number})"
    as_history = happened is not None or closed is not None or source_ref or step_values
    if as_history and not history.may_record(actor):
        raise OperationError(
            "Bara kvalitetsutvecklare och administratörer kan föra in historik med egna datum "
            "eller nummer.",
            field="registered" if registered else "closed" if closed else "source_ref",
        )
    if as_history:
        # History on its own dates (kvalitet.items.history): the operation runs as on that
        # day, so its dates, deadlines and reference number follow it.
        when = happened if happened is not None else clock.real_now()
        with history.recording(actor, when, source=source, source_ref=source_ref,
                               field_name="registered", audit_entry=False):  # fmt: skip
            item = kind.create(actor, values)
    else:
        item = kind.create(actor, values)
    uow.flush()
    before_status = item.status
    if status and status != item.status:
        # Bringing an item in a later state is a step of the workflow too, audited as such.
        def step() -> None:
            run_system_transition(
                item,
                import_transition(item.spec.workflow, status),
                actor=actor,
                reason=f"Importerad från {filename}",
            )

        if as_history:
            with history.recording(actor, closed or when, source=source, item=item,
                                   field_name="closed", audit_entry=False):  # fmt: skip
                step()
        else:
            step()
    if kind.steps is not None and step_values:
        kind.steps(actor, item, step_values, source)
    audit.record(
        actor,
        "imported",
        item=item,
        summary=f"Importerad från {source}",
        before={"status": before_status} if status and status != before_status else None,
        after={
            "fil": filename,
            "rad": result.number,
            "status": item.status,
            **({"registrerad": happened} if happened else {}),
            **({"avslutad": closed} if closed else {}),
            **({"källans nummer": source_ref} if source_ref else {}),
        },
        target=f"import:{filename}"[:200],
    ).at = clock.real_now()
    uow.flush()
    return item


BATCH = 250  # rows per savepoint; a batch with a bad row is run again row by row


def _run_rows(
    kind: ImportKind,
    actor: User,
    headers: list[str],
    rows: list[list[str]],
    mapping: dict[str, int | None],
    filename: str,
) -> tuple[list[Item], list[RowResult]]:
    """Every row through the kind's operation, in one pass. Rows are converted first (every
    lookup of units, lists and users made once per file), then run in batches, each batch in
    one savepoint: a savepoint per row cost more than the row itself. When a row of a batch
    is refused, the batch is undone and run again row by row, each row in a savepoint of its
    own, so the bad rows are undone alone and named and the good ones stay."""
    lookups = Lookups()
    results: list[RowResult] = []
    for offset, row in enumerate(rows):
        if any(c.strip() for c in row):
            results.append(convert_row(kind, mapping, headers, row, offset + 2, lookups))
    created: list[Item] = []
    runnable = [r for r in results if r.ok]
    with no_notices():
        for start in range(0, len(runnable), BATCH):
            batch = runnable[start : start + BATCH]
            made: list[Item] = []
            try:
                with _undone_on_error(), uow.batched() as failures:
                    for result in batch:
                        made.append(_apply(kind, actor, result, filename))
                        result.title = made[-1].title or ""
                    db.session.flush()
                    if failures:  # an operation failed and its caller went on: redo
                        raise OperationError("")
            except (OperationError, SQLAlchemyError):
                made = []
                for result in batch:
                    result.title = ""
                    item = _apply_alone(kind, actor, result, filename, mapping, headers)
                    if item is not None:
                        made.append(item)
            created.extend(made)
    return created, results


@contextmanager
def _undone_on_error() -> Iterator[None]:
    """A savepoint whose rows, if it is rolled back, also leave the session: SQLAlchemy keeps
    rows that were flushed in a released inner savepoint (an operation's transaction())
    in the identity map after the outer one rolls back, and the database then gives their
    ids to the next rows."""
    session = db.session()
    made: list[Any] = []

    def persisted(sess: Any, instance: Any) -> None:
        made.append(instance)

    event.listen(session, "pending_to_persistent", persisted)
    try:
        with session.begin_nested():
            yield
    except BaseException:
        for instance in made:
            if instance in session:
                session.expunge(instance)
        raise
    finally:
        event.remove(session, "pending_to_persistent", persisted)


def _apply_alone(
    kind: ImportKind,
    actor: User,
    result: RowResult,
    filename: str,
    mapping: dict[str, int | None],
    headers: list[str],
) -> Item | None:
    """One row in a savepoint of its own; a refusal is named on the row."""
    try:
        with _undone_on_error():
            item = _apply(kind, actor, result, filename)
    except OperationError as error:
        result.errors.append((_column_for(kind, mapping, headers, error.field), error.message))
        return None
    except SQLAlchemyError:
        result.errors.append(("–", "Raden kunde inte sparas (för långt värde?)."))
        return None
    result.title = item.title or ""
    return item


def check_rows(
    kind: ImportKind,
    actor: User,
    headers: list[str],
    rows: list[list[str]],
    mapping: dict[str, int | None],
    filename: str,
) -> list[RowResult]:
    """Convert every row and try it through the operation, then roll it all back: the
    preview (a row is checked after the rows above it, e.g. for a number used twice)."""
    try:
        _created, results = _run_rows(kind, actor, headers, rows, mapping, filename)
    finally:
        db.session.rollback()
    return results


def run_import(
    kind: ImportKind,
    actor: User,
    headers: list[str],
    rows: list[list[str]],
    mapping: dict[str, int | None],
    filename: str,
    *,
    partial: bool = False,
) -> tuple[list[Item], list[RowResult]]:
    """Import the rows in one transaction. Without `partial`, any bad row means nothing is
    imported (ImportFailed names the first bad row and column); with it, the bad rows are
    skipped. Returns (created items, every row's result)."""
    missing = [t.label for t in kind.targets if t.required and mapping.get(t.name) is None]
    if missing:
        raise ImportFailed("Välj kolumn för: " + ", ".join(missing) + ".", field="mapping")
    try:
        created, results = _run_rows(kind, actor, headers, rows, mapping, filename)
    except BaseException:
        db.session.rollback()
        raise
    bad = [r for r in results if not r.ok]
    if bad and not partial:
        db.session.rollback()
        first = bad[0]
        column, message = first.errors[0]
        raise ImportFailed(
            f"Inget importerades: rad {first.number}, kolumn ”{column}”: {message}"
            + (f" ({len(bad)} rader har fel.)" if len(bad) > 1 else "")
        )
    if not created:
        db.session.rollback()
        raise ImportFailed("Inga giltiga rader att importera.")
    try:
        audit.record(
            actor,
            "import",
            summary=f"Importerade {len(created)} {kind.label.lower()} från {filename}",
            after={"fil": filename, "antal": len(created), "hoppade_over": len(bad)},
            target=f"import:{filename}"[:200],
        )
        db.session.flush()  # the request (or CLI command) commits the whole import at once
    except OperationError as error:
        db.session.rollback()
        raise ImportFailed("Inget importerades: " + error.message) from None
    except SQLAlchemyError:
        db.session.rollback()
        raise ImportFailed("Inget importerades: en rad kunde inte sparas.") from None
    except BaseException:
        db.session.rollback()
        raise
    return created, results


# --- the uploaded file between the steps ----------------------------------------------------


def upload_dir() -> Path:
    path = Path(current_app.instance_path) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    cutoff = time.time() - 24 * 3600
    for old in path.iterdir():
        if old.stat().st_mtime < cutoff:
            old.unlink(missing_ok=True)
    return path


def store_upload(actor: User, kind: ImportKind, filename: str, data: bytes) -> str:
    read_table(filename, data)  # refuse unreadable files at once
    token = secrets.token_hex(16)
    directory = upload_dir()
    (directory / f"{token}.data").write_bytes(data)
    (directory / f"{token}.json").write_text(
        json.dumps({"user_id": actor.id, "kind": kind.key, "filename": filename})
    )
    return token


def load_upload(actor: User, token: str) -> tuple[ImportKind, str, bytes] | None:
    if not re.fullmatch(r"[0-9a-f]{32}", token or ""):
        return None
    directory = upload_dir()
    meta_path, data_path = directory / f"{token}.json", directory / f"{token}.data"
    if not meta_path.exists() or not data_path.exists():
        return None
    meta = json.loads(meta_path.read_text())
    kind = import_kind(meta.get("kind", ""))
    if meta.get("user_id") != actor.id or kind is None:
        return None
    return kind, str(meta["filename"]), data_path.read_bytes()


def discard_upload(token: str) -> None:
    if re.fullmatch(r"[0-9a-f]{32}", token or ""):
        for suffix in ("json", "data"):
            (upload_dir() / f"{token}.{suffix}").unlink(missing_ok=True)
