"""Create, update and kind-specific actions per item kind, each calling that kind's own
operations (the same ones the web views call). A kind without an entry here still gets the
generic endpoints (list, get, transition, comment, link, cancel).

Each action declares its JSON body schema; the route, the validation and the OpenAPI
document are built from that declaration.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# The kinds whose API is declared here: importing a kinds module registers its KindSpec,
# which the routes are built from.
from kvalitet.arshjul import kinds as _arshjul_kinds  # noqa: F401
from kvalitet.atgarder import kinds as _atgarder_kinds  # noqa: F401
from kvalitet.atgarder import operations as atgarder_ops
from kvalitet.atgarder.models import AtgardTyp
from kvalitet.avvikelser import kinds as _avvikelser_kinds  # noqa: F401
from kvalitet.avvikelser import operations as avvikelser_ops
from kvalitet.avvikelser.models import ALDERSGRUPPER, NOTICED_HOW, Kon, Orsak
from kvalitet.core.errors import NotFound, OperationError
from kvalitet.egenkontroll import kinds as _egenkontroll_kinds  # noqa: F401
from kvalitet.egenkontroll import operations as egenkontroll_ops
from kvalitet.egenkontroll.models import Svar
from kvalitet.extensions import db
from kvalitet.items.models import TITLE_MAX, Item
from kvalitet.items.operations import change_quality_areas, parse_area_ids
from kvalitet.items.provenance import Karaktar
from kvalitet.items.queries import load_item
from kvalitet.lexsarah import kinds as _lexsarah_kinds  # noqa: F401
from kvalitet.lexsarah import operations as lexsarah_ops
from kvalitet.lexsarah.models import Bedomning, Sektion, Utfall
from kvalitet.lexsarah.models import Kanal as LexSarahKanal
from kvalitet.lexsarah.operations import transfer_from_avvikelse
from kvalitet.org.models import Unit, User
from kvalitet.rapport import kinds as _rapport_kinds  # noqa: F401
from kvalitet.rapport import operations as rapport_ops
from kvalitet.risker import kinds as _risker_kinds  # noqa: F401
from kvalitet.risker import operations as risker_ops
from kvalitet.risker.models import Anledning
from kvalitet.synpunkter import kinds as _synpunkter_kinds  # noqa: F401
from kvalitet.synpunkter import operations as synpunkter_ops
from kvalitet.synpunkter.models import Kalla, Kanal, SvarSatt, SynpunktTyp

MAX_INT = 2147483647
MAX_CASES = egenkontroll_ops.MAX_CASES
ID: dict[str, Any] = {"type": "integer", "minimum": 1, "maximum": MAX_INT}
VERSION = {**ID, "description": "Ärendets version (409 om ändrad)"}


def text(max_length: int = 10000, nullable: bool = False, **extra: Any) -> dict[str, Any]:
    return {"type": ["string", "null"] if nullable else "string", "maxLength": max_length, **extra}


def ids() -> dict[str, Any]:
    return {"type": "array", "items": ID, "maxItems": 50}


DATE = {"type": ["string", "null"], "format": "date"}
DATETIME = {"type": ["string", "null"], "format": "date-time"}
INT_OR_NULL = {**ID, "type": ["integer", "null"]}


def obj(properties: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": required or [],
        "additionalProperties": False,
    }


@dataclass
class KindAction:
    name: str  # "create", "update", or a path segment for POST /<kind>/{ref}/<name>
    summary: str
    body: dict[str, Any]
    run: Callable[..., Item]  # (user, item or None, body) -> item to return
    result_kind: str | None = None  # kind code of the returned item if not the same kind


def unit_of(value: Any, field: str = "unit_id") -> Unit:
    unit = db.session.get(Unit, value) if isinstance(value, int) else None
    if unit is None or not unit.active:
        raise OperationError("Välj en enhet.", field=field)
    return unit


def _pop_version(body: dict[str, Any]) -> int | None:
    return body.pop("expected_version", None)


# --- Avvikelse ----------------------------------------------------------------------------


def _avvikelse_actions() -> list[KindAction]:

    fields = {
        "unit_id": {**ID, "description": "Enhet (standard: användarens enhet)"},
        "title": text(TITLE_MAX),
        "description": text(description="Vad som hände"),
        "category_id": {**ID, "description": "Kategori (lista avvikelse_kategori)"},
        "event_at": DATETIME,
        "noticed_at": DATETIME,
        "noticed_how": {"type": "string", "enum": ["", *NOTICED_HOW]},
        "noticed_how_text": text(),
        "external_party": text(),
        "consequence_actual": text(),
        "consequence_possible": text(),
        "immediate_action": text(),
        "sex": {"type": ["string", "null"], "enum": [None, *[str(k) for k in Kon]]},
        "age_group": {"type": ["string", "null"], "enum": [None, *ALDERSGRUPPER]},
        "health_care": {"type": "boolean"},
        "quality_area_ids": ids(),
    }

    def create(user: User, item: Item | None, body: dict[str, Any]) -> Item:
        return avvikelser_ops.report_avvikelse(user, **body)

    def update(user: User, item: Any, body: dict[str, Any]) -> Item:
        version = _pop_version(body)
        return avvikelser_ops.update_avvikelse(user, item, expected_version=version, **body)

    def assign(user: User, item: Any, body: dict[str, Any]) -> Item:
        return avvikelser_ops.assign_investigator(
            user, item, body.get("owner_id"), expected_version=body.get("expected_version")
        )

    def analyse(user: User, item: Any, body: dict[str, Any]) -> Item:
        version = _pop_version(body)
        return avvikelser_ops.analyse_avvikelse(user, item, expected_version=version, **body)

    def atgard(user: User, item: Any, body: dict[str, Any]) -> Item:
        if "unit_id" in body:
            body["unit"] = unit_of(body.pop("unit_id"))
        return avvikelser_ops.create_linked_atgard(user, item, **body)

    def to_lexsarah(user: User, item: Any, body: dict[str, Any]) -> Item:

        return transfer_from_avvikelse(item, user)

    score = {"type": ["integer", "null"], "minimum": 1, "maximum": 4}
    return [
        KindAction(
            "lexsarah",
            "Överför till lex Sarah (skapar en kopplad rapport)",
            obj({}),
            to_lexsarah,
            result_kind="LXS",
        ),
        KindAction(
            "create", "Rapportera en avvikelse", obj(fields, ["description", "category_id"]), create
        ),
        KindAction(
            "update",
            "Ändra uppgifterna i en avvikelse",
            obj({**fields, "expected_version": VERSION}),
            update,
        ),
        KindAction(
            "utredare",
            "Ta över eller tilldela utredningen (owner_id null = jag)",
            obj({"owner_id": INT_OR_NULL, "expected_version": VERSION}),
            assign,
        ),
        KindAction(
            "analys",
            "Skriv analys, orsaker och allvarlighetsgrad",
            obj(
                {
                    "analysis": text(nullable=True),
                    "causes": {
                        "type": ["array", "null"],
                        "items": {"type": "string", "enum": [str(o) for o in Orsak]},
                        "maxItems": 20,
                    },
                    "consequence": score,
                    "likelihood": score,
                    "expected_version": VERSION,
                }
            ),
            analyse,
        ),
        KindAction(
            "atgard",
            "Skapa en förbättringsåtgärd kopplad till avvikelsen",
            obj(_atgard_fields(), ["title"]),
            atgard,
            result_kind="ATG",
        ),
    ]


# --- Förbättringsåtgärd -------------------------------------------------------------------


def _atgard_fields() -> dict[str, Any]:

    return {
        "title": text(TITLE_MAX, description="Vad som ska göras"),
        "description": text(),
        "why": text(),
        "unit_id": ID,
        "owner_id": INT_OR_NULL,
        "atgard_typ": {"type": "string", "enum": [str(t) for t in AtgardTyp]},
        "units_concerned": ids(),
        "start_date": DATE,
        "due_date": DATE,
        "quality_area_ids": ids(),
        "carry_over": {"type": "boolean"},
        "source_text": text(200),
    }


def _atgard_actions() -> list[KindAction]:

    def create(user: User, item: Item | None, body: dict[str, Any]) -> Item:
        source_ref = body.pop("source", None)
        if source_ref:
            try:
                source: Item = load_item(source_ref.strip(), user)
            except NotFound:
                raise OperationError("Hittar inget ärende med det numret som du har tillgång "
                                     "till.", field="source") from None  # fmt: skip
            return atgarder_ops.create_atgard(user, source=source, **body)
        return atgarder_ops.create_atgard(user, **body)

    def update(user: User, item: Any, body: dict[str, Any]) -> Item:
        version = _pop_version(body)
        return atgarder_ops.update_atgard(user, item, expected_version=version, **body)

    def effect(user: User, item: Any, body: dict[str, Any]) -> Item:
        return atgarder_ops.follow_up_effect(
            user, item, body["effect_text"], body.get("effect_date"),
            expected_version=body.get("expected_version"),
        )  # fmt: skip

    def defer(user: User, item: Any, body: dict[str, Any]) -> Item:
        return atgarder_ops.set_deferred(user, item, body["deferred"], body.get("reason") or "",
                                expected_version=body.get("expected_version"))  # fmt: skip

    update_fields = {
        **_atgard_fields(),
        "done_text": text(),
        "effect_text": text(),
        "effect_date": DATE,
        "expected_version": VERSION,
    }
    return [
        KindAction(
            "create",
            "Skapa en förbättringsåtgärd (source: ärendet den kommer från)",
            obj({**_atgard_fields(), "source": text(40, nullable=True)}, ["title", "unit_id"]),
            create,
        ),
        KindAction("update", "Ändra en förbättringsåtgärd", obj(update_fields), update),
        KindAction(
            "effekt",
            "Följ upp åtgärdens effekt",
            obj(
                {"effect_text": text(), "effect_date": DATE, "expected_version": VERSION},
                ["effect_text"],
            ),
            effect,
        ),
        KindAction(
            "uppskjuten",
            "Markera som medvetet uppskjuten (eller ångra)",
            obj(
                {
                    "deferred": {"type": "boolean"},
                    "reason": text(2000),
                    "expected_version": VERSION,
                },
                ["deferred"],
            ),
            defer,
        ),
    ]


# --- Synpunkt / klagomål ------------------------------------------------------------------


def _synpunkt_actions() -> list[KindAction]:

    fields = {
        "unit_id": ID,
        "typ": {"type": "string", "enum": [str(t) for t in SynpunktTyp]},
        "kalla": {"type": "string", "enum": [str(k) for k in Kalla]},
        "kanal": {"type": "string", "enum": [str(k) for k in Kanal]},
        "description": text(),
        "received_date": DATE,
        "theme_id": {**INT_OR_NULL, "description": "Ett tema (äldre fält; theme_ids ersätter)"},
        "theme_ids": {**ids(), "description": "Teman (lista synpunkt_tema); ersätter theme_id"},
        "title": text(200, description="Rubrik (kort); tom: föreslås av beskrivningen"),
        "anonymous": {"type": "boolean"},
        "contact_name": text(200),
        "contact_info": text(200),
        "health_care": {"type": "boolean"},
    }
    method = {"type": "string", "enum": [str(s) for s in SvarSatt]}

    def create(user: User, item: Item | None, body: dict[str, Any]) -> Item:
        body["unit"] = unit_of(body.pop("unit_id"))
        return synpunkter_ops.register(user, **body)

    def update(user: User, item: Any, body: dict[str, Any]) -> Item:
        version = _pop_version(body)
        return synpunkter_ops.classify(item, user, expected_version=version, **body)

    def acknowledge(user: User, item: Any, body: dict[str, Any]) -> Item:
        return synpunkter_ops.acknowledge(item, user, method=body["method"], on=body.get("date"),
                               expected_version=body.get("expected_version"))  # fmt: skip

    def answer(user: User, item: Any, body: dict[str, Any]) -> Item:
        return synpunkter_ops.answer(item, user, text=body["text"], method=body["method"],
                          explanation=body.get("explanation") or "", on=body.get("date"),
                          expected_version=body.get("expected_version"))  # fmt: skip

    return [
        KindAction(
            "create",
            "Registrera en synpunkt eller ett klagomål",
            obj(fields, ["unit_id", "typ", "kalla", "kanal", "description"]),
            create,
        ),
        KindAction(
            "update", "Ändra registreringen", obj({**fields, "expected_version": VERSION}), update
        ),
        KindAction(
            "bekraftelse",
            "Registrera att mottagandet bekräftats",
            obj({"method": method, "date": DATE, "expected_version": VERSION}, ["method"]),
            acknowledge,
        ),
        KindAction(
            "svar",
            "Registrera svaret",
            obj(
                {
                    "text": text(),
                    "method": method,
                    "explanation": text(),
                    "date": DATE,
                    "expected_version": VERSION,
                },
                ["text", "method"],
            ),
            answer,
        ),
    ]


# --- Lex Sarah ----------------------------------------------------------------------------


def _lexsarah_actions() -> list[KindAction]:

    fields = {
        "unit_id": ID,
        "title": text(TITLE_MAX),
        "description": text(),
        "happened_at": DATETIME,
        "noticed_at": DATETIME,
        "noticed_how": text(),
        "consequences": text(),
        "immediate_measures": text(),
        "immediate_measures_at": DATETIME,
    }

    def create(user: User, item: Item | None, body: dict[str, Any]) -> Item:
        body["unit"] = unit_of(body.pop("unit_id"))
        return lexsarah_ops.report(user, **body)

    def step(operation: Callable[..., Any], *names: str) -> Callable[..., Item]:
        """SAS's step: the same operation the case page's form calls."""

        def run(user: User, item: Any, body: dict[str, Any]) -> Item:
            version = _pop_version(body)
            kwargs = {k: body.get(k) for k in names}
            parameters = inspect.signature(operation).parameters.values()
            if any(p.name == "expected_version" or p.kind is p.VAR_KEYWORD for p in parameters):
                kwargs["expected_version"] = version
            result = operation(item, user, **kwargs)
            return result if isinstance(result, Item) else item

        return run

    def enum(values: Any) -> dict[str, Any]:
        return {"type": "string", "enum": [str(v) for v in values]}

    return [
        KindAction(
            "create",
            "Rapportera enligt lex Sarah",
            obj(fields, ["unit_id", "title", "description"]),
            create,
        ),
        KindAction(
            "omedelbara-atgarder",
            "SAS: omedelbara åtgärder och när de vidtogs",
            obj({"text": text(), "at": DATETIME, "expected_version": VERSION}, ["text", "at"]),
            step(
                lambda i, u, text, at, expected_version=None: lexsarah_ops.record_immediate(
                    i, u, text, at, expected_version
                ),
                "text",
                "at",
            ),
        ),
        KindAction(
            "bedomning",
            "SAS: bedömning (startar utredningen)",
            obj(
                {"assessment": enum(Bedomning), "text": text(), "expected_version": VERSION},
                ["assessment", "text"],
            ),
            step(
                lambda i, u, assessment, text, expected_version=None: lexsarah_ops.assess(
                    i, u, assessment, text, expected_version
                ),
                "assessment",
                "text",
            ),
        ),
        KindAction(
            "utredning",
            "Utredningens post (SAS eller enhetens chef)",
            obj(
                {
                    "section": enum(Sektion),
                    "entry_date": DATE,
                    "source": text(300),
                    "karaktar": enum(Karaktar),
                    "text": text(20000),
                },
                ["section", "entry_date", "source", "karaktar", "text"],
            ),
            step(lexsarah_ops.add_entry, "section", "entry_date", "source", "karaktar", "text"),
        ),
        KindAction(
            "beslut",
            "SAS: beslut (utfall, allvarligt, beslutsfattare, datum, motivering)",
            obj(
                {
                    "outcome": enum(Utfall),
                    "allvarligt": {"type": "boolean"},
                    "decision_maker_id": ID,
                    "decision_date": DATE,
                    "reason": text(),
                    "expected_version": VERSION,
                },
                ["outcome", "allvarligt", "decision_maker_id", "decision_date", "reason"],
            ),
            step(
                lexsarah_ops.decide,
                "outcome",
                "allvarligt",
                "decision_maker_id",
                "decision_date",
                "reason",
            ),
        ),
        KindAction(
            "ivo",
            "SAS: anmälan till IVO",
            obj(
                {
                    "filed_date": DATE,
                    "channel": enum(LexSarahKanal),
                    "region": text(100),
                    "attached": {"type": "boolean"},
                    "diarienummer": text(60),
                    "expected_version": VERSION,
                },
                ["filed_date", "channel", "region", "attached"],
            ),
            step(
                lambda i, u, diarienummer=None, **kw: lexsarah_ops.file_ivo(
                    i, u, diarienummer=diarienummer or "", **kw
                ),
                "filed_date",
                "channel",
                "region",
                "attached",
                "diarienummer",
            ),
        ),
        KindAction(
            "ivo-utredning-skickad",
            "SAS: utredningen skickad till IVO (datum)",
            obj({"sent_date": DATE, "expected_version": VERSION}, ["sent_date"]),
            step(
                lambda i, u, sent_date, expected_version=None: lexsarah_ops.investigation_sent(
                    i, u, sent_date, expected_version
                ),
                "sent_date",
            ),
        ),
        KindAction(
            "spridning",
            "SAS: spridning (enheter, lärdomar, ledningsgruppens datum)",
            obj(
                {
                    "unit_ids": ids(),
                    "spread_text": text(),
                    "ledningsgrupp_date": DATE,
                    "expected_version": VERSION,
                },
                ["unit_ids"],
            ),
            step(
                lambda i, u, spread_text=None, **kw: lexsarah_ops.set_spreading(
                    i, u, spread_text=spread_text or "", **kw
                ),
                "unit_ids",
                "spread_text",
                "ledningsgrupp_date",
            ),
        ),
        KindAction(
            "atgard",
            "SAS: förbättringsåtgärd beslutad med anledning av ärendet",
            obj(
                {"title": text(TITLE_MAX), "unit_id": ID, "due_date": DATE, "why": text()},
                ["title", "unit_id"],
            ),
            step(
                lambda i, u, why=None, **kw: lexsarah_ops.create_action(i, u, why=why or "", **kw),
                "title",
                "unit_id",
                "due_date",
                "why",
            ),
            result_kind="ATG",
        ),
        KindAction(
            "avsluta",
            "SAS: avsluta ärendet",
            obj({"note": text(), "expected_version": VERSION}),
            step(
                lambda i, u, note=None, expected_version=None: lexsarah_ops.close(
                    i, u, note or "", expected_version
                ),
                "note",
            ),
        ),
    ]


# --- Risk -------------------------------------------------------------------------------------


def _risk_actions() -> list[KindAction]:

    score = {"type": "integer", "minimum": 1, "maximum": 4}
    fields = {
        "title": text(TITLE_MAX),
        "description": text(),
        "consequence_text": text(),
        "unit_id": ID,
        "owner_id": INT_OR_NULL,
        "anledning": {"type": "string", "enum": [str(a) for a in Anledning]},
        "likelihood": score,
        "consequence": score,
        "residual_likelihood": {**score, "type": ["integer", "null"]},
        "residual_consequence": {**score, "type": ["integer", "null"]},
        "review_date": DATE,
    }

    def _names(body: dict[str, Any]) -> dict[str, Any]:
        if "unit_id" in body:
            body["unit"] = body.pop("unit_id")
        if "owner_id" in body:
            body["owner"] = body.pop("owner_id")
        return body

    def create(user: User, item: Item | None, body: dict[str, Any]) -> Item:
        return risker_ops.create_risk(user, **_names(body))

    def update(user: User, item: Any, body: dict[str, Any]) -> Item:
        version = _pop_version(body)
        return risker_ops.update_risk(user, item, expected_version=version, **_names(body))

    return [
        KindAction(
            "create",
            "Lägg till en risk",
            obj(fields, ["title", "unit_id", "likelihood", "consequence"]),
            create,
        ),
        KindAction("update", "Ändra en risk", obj({**fields, "expected_version": VERSION}), update),
    ]


# --- Egenkontroll -----------------------------------------------------------------------------


def _egenkontroll_actions() -> list[KindAction]:
    answer = obj({
        "fraga_id": ID,
        "case_no": {"type": "integer", "minimum": 1, "maximum": MAX_CASES},
        "value": {"type": ["string", "null"], "enum": [None, *[str(v) for v in Svar]]},
    }, ["fraga_id", "case_no", "value"])  # fmt: skip

    def answers(user: User, item: Any, body: dict[str, Any]) -> Item:
        given = {(a["fraga_id"], a["case_no"]): a["value"] for a in body.get("answers") or []}
        return egenkontroll_ops.save_answers(
                                user, item, case_count=body["case_count"], answers=given,
                                summary=body.get("summary") or "",
                                complete=bool(body.get("complete")),
                                expected_version=body.get("expected_version"))  # fmt: skip

    def finding(user: User, item: Any, body: dict[str, Any]) -> Item:
        egenkontroll_ops.add_finding(user, item, body["text"])
        return item

    return [
        KindAction(
            "svar",
            "Spara svar per fråga och ärende (complete: markera genomförd)",
            obj(
                {
                    "case_count": {
                        "type": "integer",
                        "minimum": 1,
                        "maximum": egenkontroll_ops.MAX_CASES,
                    },
                    "answers": {"type": "array", "items": answer, "maxItems": 5000},
                    "summary": text(),
                    "complete": {"type": "boolean"},
                    "expected_version": VERSION,
                },
                ["case_count", "answers"],
            ),
            answers,
        ),
        KindAction(
            "fynd", "Lägg till ett fynd", obj({"text": text(10000, minLength=1)}, ["text"]), finding
        ),
    ]


# --- Kvalitetsberättelse: the narrative texts chefs write -------------------------------------


def _berattelsetext_actions() -> list[KindAction]:

    def update(user: User, item: Any, body: dict[str, Any]) -> Item:
        version = _pop_version(body)
        return rapport_ops.save_text(user, item, body["text"], expected_version=version)

    return [
        KindAction(
            "update",
            "Skriv eller ändra texten (ett första sparande gör den till utkast)",
            obj({"text": text(20000), "expected_version": VERSION}, ["text"]),
            update,
        ),
    ]


BUILDERS: dict[str, Callable[[], list[KindAction]]] = {
    "KBN": _berattelsetext_actions,
    "AVV": _avvikelse_actions,
    "ATG": _atgard_actions,
    "SYN": _synpunkt_actions,
    "LXS": _lexsarah_actions,
    "RSK": _risk_actions,
    "EGK": _egenkontroll_actions,
}


def _quality_area_action() -> KindAction:
    """Every kind's kvalitetsområden (DOMAIN.md §4), set as on the case page."""

    def run(user: User, item: Any, body: dict[str, Any]) -> Item:
        return change_quality_areas(
            item,
            user,
            parse_area_ids(body["quality_area_ids"]),
            expected_version=body.get("expected_version"),
        )

    return KindAction(
        "kvalitetsomraden",
        "Sätt ärendets kvalitetsområden (ersätter de valda; 422 med fältet quality_areas "
        "för ett okänt eller inte längre använt område)",
        obj({"quality_area_ids": ids(), "expected_version": VERSION}, ["quality_area_ids"]),
        run,
    )


def actions_for(code: str) -> list[KindAction]:
    builder = BUILDERS.get(code)
    if builder is None:
        return []
    try:
        actions = builder()
    except (ImportError, AttributeError):
        # The kind's operations are not there (yet): only the generic endpoints.
        return []
    return [*actions, _quality_area_action()]
