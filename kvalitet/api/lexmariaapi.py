"""Lex Maria and the patientsäkerhetsberättelse through the API: register a händelse (or
transfer a health-care avvikelse), the MAS's steps (bedömning, händelseanalys entries,
beslut, IVO anmälan, utredning sent, information to the patient, åtgärd, avsluta), and the
berättelse (start a year, write a chapter text, freeze a version). The same operations as
the pages (kvalitet.lexmaria.operations): only the MAS over the unit acts, and a case is
need to know, so anyone else gets 404 for it (`load_item`), as in the web. The generic item
endpoints (`/api/v1/lexmaria/{ref}`, `/api/v1/psb/{ref}`) read them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from kvalitet.api import serialize
from kvalitet.api.adminapi import path_id
from kvalitet.api.kindapi import DATE, DATETIME, ID, VERSION, obj, text
from kvalitet.api.schema import Param, Route
from kvalitet.avvikelser.models import Avvikelse
from kvalitet.core.errors import NotFound
from kvalitet.extensions import db
from kvalitet.items.models import TITLE_MAX
from kvalitet.items.provenance import Karaktar
from kvalitet.items.queries import load_item
from kvalitet.lexmaria import operations as ops
from kvalitet.lexmaria.models import (
    INFO_POINTS,
    Bedomning,
    Informationssatt,
    LexMariaArende,
    Mottagare,
    Patientsakerhetsberattelse,
    PsbText,
    Sektion,
)
from kvalitet.lexsarah.models import Kanal
from kvalitet.org.models import Unit, User

TAG = "Lex Maria"
PSB_TAG = "Patientsäkerhetsberättelse"
REF = Param("ref", {"type": "string", "minLength": 1, "maxLength": 40},
            "Ärendenummer, t.ex. LXM-2026-0003", location="path")  # fmt: skip


def _case(user: User, ref: str) -> LexMariaArende:
    return load_item(ref, user, LexMariaArende)


def case_json(item: LexMariaArende, user: User) -> dict[str, Any]:
    db.session.refresh(item)
    return serialize.detail(item, user)


def report(user: User, query: Any, body: dict[str, Any]) -> dict[str, Any]:
    item = ops.report(
        user, unit=db.session.get(Unit, body["unit_id"]), title=body["title"],
        description=body["description"], happened_at=body.get("happened_at"),
        noticed_at=body.get("noticed_at"), noticed_how=body.get("noticed_how") or "",
        consequences=body.get("consequences") or "",
        immediate_measures=body.get("immediate_measures") or "",
        immediate_measures_at=body.get("immediate_measures_at"),
    )  # fmt: skip
    return case_json(item, user)


def from_avvikelse(user: User, query: Any, body: Any, ref: str) -> dict[str, Any]:
    avvikelse = load_item(ref, user, Avvikelse)
    return case_json(ops.transfer_from_avvikelse(avvikelse, user), user)


def assess(user: User, query: Any, body: dict[str, Any], ref: str) -> dict[str, Any]:
    item = _case(user, ref)
    ops.assess(item, user, body["assessment"], body.get("assessment_text") or "",
               body.get("version"))  # fmt: skip
    return case_json(item, user)


def entry(user: User, query: Any, body: dict[str, Any], ref: str) -> dict[str, Any]:
    item = _case(user, ref)
    ops.add_entry(item, user, section=body["section"], entry_date=body.get("entry_date"),
                  source=body.get("source") or "", karaktar=body.get("karaktar") or "",
                  text=body["text"])  # fmt: skip
    return case_json(item, user)


def decide(user: User, query: Any, body: dict[str, Any], ref: str) -> dict[str, Any]:
    item = _case(user, ref)
    ops.decide(item, user, ivo_anmalan=body.get("ivo_anmalan"),
               decision_maker_id=body.get("decision_maker_id"),
               decision_date=body.get("decision_date"), reason=body.get("reason") or "",
               expected_version=body.get("version"))  # fmt: skip
    return case_json(item, user)


def ivo(user: User, query: Any, body: dict[str, Any], ref: str) -> dict[str, Any]:
    item = _case(user, ref)
    ops.file_ivo(item, user, filed_date=body.get("filed_date"), channel=body["channel"],
                 region=body.get("region") or "", attached=bool(body.get("attached")),
                 diarienummer=body.get("diarienummer") or "",
                 expected_version=body.get("version"))  # fmt: skip
    return case_json(item, user)


def sent(user: User, query: Any, body: dict[str, Any], ref: str) -> dict[str, Any]:
    item = _case(user, ref)
    ops.investigation_sent(item, user, body.get("sent_date"), body.get("version"))
    return case_json(item, user)


def inform(user: User, query: Any, body: dict[str, Any], ref: str) -> dict[str, Any]:
    item = _case(user, ref)
    given = set(body.get("points") or [])
    ops.record_information(
        item, user, informed_date=body.get("informed_date"), who=body.get("who") or "",
        how=body.get("how") or "", points={k: k in given for k in INFO_POINTS},
        note=body.get("note") or "", not_informed_reason=body.get("not_informed_reason") or "",
        expected_version=body.get("version"),
    )  # fmt: skip
    return case_json(item, user)


def action(user: User, query: Any, body: dict[str, Any], ref: str) -> dict[str, Any]:
    item = _case(user, ref)
    atgard = ops.create_action(item, user, title=body["title"], unit_id=body.get("unit_id"),
                               due_date=body.get("due_date"))  # fmt: skip
    return serialize.detail(atgard, user)


def close(user: User, query: Any, body: dict[str, Any], ref: str) -> dict[str, Any]:
    item = _case(user, ref)
    ops.close(item, user, body.get("note") or "", body.get("version"))
    return case_json(item, user)


# --- the patientsäkerhetsberättelse ----------------------------------------------------------


def psb_json(berattelse: Patientsakerhetsberattelse) -> dict[str, Any]:
    texts = db.session.scalars(select(PsbText).where(PsbText.berattelse_id == berattelse.id))
    return {
        "id": berattelse.id, "unit": {"id": berattelse.unit.id, "name": berattelse.unit.name},
        "year": berattelse.year,
        "texts": [{"ref": t.ref, "avsnitt": t.avsnitt, "status": t.status, "title": t.title}
                  for t in texts],
        "versions": [{"id": v.id, "number": v.number} for v in ops.psb_versions(berattelse)],
    }  # fmt: skip


def _berattelse(user: User, psb_id: str) -> Patientsakerhetsberattelse:
    berattelse = db.session.get(Patientsakerhetsberattelse, int(psb_id))
    if berattelse is None or not ops.may_manage_psb(user, berattelse.unit):
        raise NotFound()
    return berattelse


def psb_start(user: User, query: Any, body: dict[str, Any]) -> dict[str, Any]:
    unit = db.session.get(Unit, body["unit_id"])
    return psb_json(ops.start_berattelse(user, unit, body["year"]))


def psb_get(user: User, query: Any, body: Any, psb_id: str) -> dict[str, Any]:
    return psb_json(_berattelse(user, psb_id))


def psb_text(user: User, query: Any, body: dict[str, Any], ref: str) -> dict[str, Any]:
    block = load_item(ref, user, PsbText)
    ops.save_psb_text(user, block, body["text"], body.get("version"))
    return serialize.detail(block, user)


def psb_freeze(user: User, query: Any, body: dict[str, Any], psb_id: str) -> dict[str, Any]:
    berattelse = _berattelse(user, psb_id)
    version = ops.freeze_berattelse(user, berattelse, body.get("comment") or "")
    return {"id": version.id, "number": version.number, "berattelse_id": berattelse.id,
            "sha256": version.sha256}  # fmt: skip


def routes() -> list[Route]:
    lxm = {"$ref": "#/components/schemas/LXMDetail"}
    base = "/lexmaria/{ref}"

    def step(path: str, endpoint: str, summary: str, handler: Any, body: dict[str, Any],
             refusals: str, status: int = 200, response: Any = lxm) -> Route:  # fmt: skip
        return Route("POST", f"{base}/{path}", f"lexmaria_{endpoint}", summary, TAG, handler,
                     params=[REF], body=body, status=status, response=response,
                     errors=(403, 404, 409, 422),
                     description="Bara MAS över enheten; andra får 404 för ärendet. "
                     + refusals)  # fmt: skip

    psb_id = path_id("psb_id", "Berättelsens id")
    return [
        Route("POST", "/lexmaria", "lexmaria_create", "Registrera en lex Maria-händelse (MAS)",
              TAG, report, status=201, response=lxm, errors=(403, 422),
              body=obj({"unit_id": ID, "title": text(TITLE_MAX), "description": text(),
                        "happened_at": DATETIME, "noticed_at": DATETIME,
                        "noticed_how": text(2000), "consequences": text(),
                        "immediate_measures": text(), "immediate_measures_at": DATETIME},
                       ["unit_id", "title", "description"]),
              description="403 utan MAS-roll över enheten. 422: ingen aktiv enhet (unit_id), "
              "titel eller beskrivning saknas eller innehåller ett personnummer."),
        Route("POST", "/avvikelser/{ref}/lexmaria", "avvikelser_lexmaria",
              "Överför en vårdavvikelse till lex Maria (MAS)", TAG, from_avvikelse,
              params=[REF], status=201, response=lxm, errors=(403, 404, 422),
              description="422 när avvikelsen inte gäller hälso- och sjukvård eller redan är "
              "överförd; 403 utan MAS-roll."),
        step("bedomning", "bedomning", "MAS bedömning (startar händelseanalysen)", assess,
             obj({"assessment": {"type": "string", "enum": [str(b) for b in Bedomning]},
                  "assessment_text": text(), "version": VERSION}, ["assessment"]),
             "422: motivering saknas (assessment_text), steget är redan taget."),
        step("utredning", "utredning", "Uppgift i händelseanalysen", entry,
             obj({"section": {"type": "string", "enum": [str(s) for s in Sektion]},
                  "entry_date": DATE, "source": text(500),
                  "karaktar": {"type": "string", "enum": [str(k) for k in Karaktar]},
                  "text": text()}, ["section", "text"]),
             "422: tom eller för kort text, saknad källa eller datum (fältets namn).",
             status=201),
        step("beslut", "beslut", "Beslut om anmälan till IVO", decide,
             obj({"ivo_anmalan": {"type": ["boolean", "null"]},
                  "decision_maker_id": {**ID, "type": ["integer", "null"]},
                  "decision_date": DATE, "reason": text(), "version": VERSION},
                 ["ivo_anmalan", "decision_date"]),
             "409 när avsnitt i händelseanalysen saknas (arbetsflödets villkor); 422: ingen "
             "beslutsfattare, datum eller motivering saknas."),
        step("ivo", "ivo", "Anmälan till IVO", ivo,
             obj({"filed_date": DATE, "channel": {"type": "string",
                                                  "enum": [str(k) for k in Kanal]},
                  "region": text(100), "attached": {"type": "boolean"},
                  "diarienummer": text(60), "version": VERSION}, ["filed_date", "channel"]),
             "422: datum saknas eller ligger i framtiden, anmälan är redan gjord."),
        step("ivo-utredning-skickad", "ivo_sent", "Utredningen skickad till IVO", sent,
             obj({"sent_date": DATE, "version": VERSION}, ["sent_date"]),
             "422 när ingen utredning väntar på att skickas, eller datum saknas."),
        step("information", "information",
             "Information till patienten eller närstående (PSL 3 kap. 8 §)", inform,
             obj({"informed_date": DATE,
                  "who": {"type": "string", "enum": ["", *[str(m) for m in Mottagare]]},
                  "how": {"type": "string", "enum": ["", *[str(s) for s in Informationssatt]]},
                  "points": {"type": "array", "maxItems": len(INFO_POINTS),
                             "items": {"type": "string", "enum": list(INFO_POINTS)}},
                  "note": text(), "not_informed_reason": text(), "version": VERSION}),
             "422: datum, vem eller hur saknas, eller skälet till att ingen informerades."),
        step("atgard", "atgard", "Ny förbättringsåtgärd från ärendet", action,
             obj({"title": text(TITLE_MAX), "unit_id": ID, "due_date": DATE}, ["title"]),
             "422: titel saknas (title), okänd enhet (unit_id).", status=201,
             response={"$ref": "#/components/schemas/ATGDetail"}),
        step("avsluta", "avsluta", "Avsluta ärendet", close,
             obj({"note": text(), "version": VERSION}),
             "409/422 när steg återstår (t.ex. information till patienten eller IVO)."),
        Route("POST", "/patientsakerhetsberattelser", "psb_start",
              "Starta patientsäkerhetsberättelsen för ett år (texterna beställs)", PSB_TAG,
              psb_start, status=201, errors=(403, 422),
              body=obj({"unit_id": ID, "year": {"type": "integer"}}, ["unit_id", "year"]),
              description="403 utan MAS- eller kvalitetsutvecklarroll över vårdgivaren. 422: "
              "inte en förvaltning (unit_id), ett år som inte har börjat (year)."),
        Route("GET", "/patientsakerhetsberattelser/{psb_id}", "psb_berattelse",
              "En patientsäkerhetsberättelse med texter och versioner", PSB_TAG, psb_get,
              params=[psb_id], errors=(404,)),
        Route("POST", "/patientsakerhetsberattelser/{psb_id}/frys", "psb_freeze",
              "Frys en version", PSB_TAG, psb_freeze, params=[psb_id], status=201,
              body=obj({"comment": text(500)}), errors=(403, 404, 422),
              description="422: för lång kommentar (comment)."),
        Route("POST", "/psb/{ref}/text", "psb_text", "Skriv ett kapitels text", PSB_TAG,
              psb_text, params=[REF], body=obj({"text": text(20000), "version": VERSION},
                                               ["text"]),
              errors=(403, 404, 409, 422),
              description="422 (text) när texten är markerad som klar eller innehåller ett "
              "personnummer; 403 för den som inte skriver texten."),
    ]  # fmt: skip
