"""The kvalitetsberättelse through the API: start a report for any quality year that holds
data, read what it compiles to, write the inledning and the title page's details, order
missing texts and freeze a version; on the same operations as the report's pages
(kvalitet.rapport.operations). The narrative texts are items (`/api/v1/<kbn>/{ref}`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from kvalitet.api.kindapi import DATE, ID, obj, text
from kvalitet.api.schema import Param, RequestInvalid, Route
from kvalitet.core.errors import Forbidden, NotFound, OperationError
from kvalitet.core.periods import quality_year
from kvalitet.extensions import db
from kvalitet.org.models import Unit, User
from kvalitet.rapport import operations as ops
from kvalitet.rapport.document import compile_document, missing_texts
from kvalitet.rapport.forms import report_years
from kvalitet.rapport.models import Berattelsetext, Kvalitetsberattelse, RapportVersion

TAG = "Kvalitetsberättelse"
ID_PARAM = Param("rapport_id", {"type": "string", "pattern": "^[1-9][0-9]{0,8}$"},
                 "Kvalitetsberättelsens id", location="path", required=True)  # fmt: skip
VERSION_PARAM = Param("version_id", {"type": "string", "pattern": "^[1-9][0-9]{0,8}$"},
                      "Versionens id", location="path", required=True)  # fmt: skip
YEAR = {"type": "string", "pattern": "^[0-9]{4}(/[0-9]{2})?$", "maxLength": 7,
        "description": "Kvalitetsåret, t.ex. 2021/22 eller 2021 (året det börjar)"}  # fmt: skip

REPORT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["id", "unit", "year", "period", "texts", "missing", "versions"],
    "properties": {
        "id": {"type": "integer"},
        "unit": {"type": "object"},
        "year": {"type": "string"},
        "period": {"type": "object"},
        "texts": {"type": "array", "items": {"type": "object"}},
        "missing": {"type": "integer"},
        "versions": {"type": "array", "items": {"type": "object"}},
        "document": {"type": "object", "description": "Det sammanställda innehållet (block)"},
    },
}


def _report(user: User, rapport_id: str, draft: bool = True) -> Kvalitetsberattelse:
    rapport = db.session.get(Kvalitetsberattelse, int(rapport_id))
    visible = rapport is not None and (
        ops.may_view_draft(user, rapport) if draft else ops.may_view_frozen(user, rapport)
    )
    if rapport is None or not visible:
        raise NotFound()
    return rapport


def first_year_of(value: str) -> int:
    """The quality year's first calendar year, if a report can be made for it."""
    first = int(value[:4])
    offered = {p.start.year: p for p in report_years()}
    if first not in offered:
        newest, oldest = max(offered), min(offered)
        raise OperationError(
            f"Det finns inga uppgifter för kvalitetsåret {quality_year(first).label}. Välj ett "
            f"år från {quality_year(oldest).label} till {quality_year(newest).label}.",
            field="year",
        )
    return first


def report_json(rapport: Kvalitetsberattelse, user: User, *, document: bool = False) -> Any:
    period = quality_year(rapport.first_year)
    texts = db.session.scalars(
        select(Berattelsetext).where(Berattelsetext.rapport_id == rapport.id)
    ).all()
    out: dict[str, Any] = {
        "id": rapport.id,
        "unit": {"id": rapport.unit.id, "name": rapport.unit.name},
        "year": period.label,
        "period": {
            "label": period.label,
            "start": period.start.isoformat(),
            "end": period.end.isoformat(),
        },
        "texts": [
            {"ref": t.ref, "title": t.title, "status": t.status, "unit_id": t.unit_id}
            for t in texts
        ],
        "missing": len(missing_texts(rapport)),
        "versions": [{"id": v.id, "number": v.number} for v in ops.versions(rapport)],
    }
    if document:
        out["document"] = _plain(compile_document(rapport, user))
    return out


def _plain(value: Any) -> Any:
    """The compiled document as JSON (dates as ISO text)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def list_reports(user: User, query: Any, body: Any) -> list[dict[str, Any]]:
    return [report_json(r, user) for r in ops.visible_reports(user) if ops.may_view_draft(user, r)]


def start(user: User, query: Any, body: dict[str, Any]) -> dict[str, Any]:
    unit = db.session.get(Unit, body["unit_id"])
    if unit is None:
        raise OperationError("Okänd enhet.", field="unit_id")
    if not ops.may_manage(user, unit):
        raise Forbidden()
    rapport = ops.start_report(user, unit, first_year_of(body["year"]))
    return report_json(rapport, user)


def get_report(user: User, query: Any, body: Any, rapport_id: str) -> dict[str, Any]:
    return report_json(_report(user, rapport_id), user, document=True)


def inledning(user: User, query: Any, body: dict[str, Any], rapport_id: str) -> dict[str, Any]:
    rapport = _report(user, rapport_id)
    ops.save_inledning(user, rapport, body["text"])
    return report_json(rapport, user)


def details(user: User, query: Any, body: dict[str, Any], rapport_id: str) -> dict[str, Any]:
    rapport = _report(user, rapport_id)
    ops.save_details(
        user,
        rapport,
        diarienummer=body.get("diarienummer") or "",
        beslutsdatum=body.get("beslutsdatum"),
        numrerade_rubriker=bool(body.get("numrerade_rubriker")),
        bilaga_statistik=bool(body.get("bilaga_statistik")),
    )
    return report_json(rapport, user)


def order_texts(user: User, query: Any, body: Any, rapport_id: str) -> dict[str, Any]:
    rapport = _report(user, rapport_id)
    if not ops.may_manage(user, rapport.unit):
        raise Forbidden()
    ops.start_report(user, rapport.unit, rapport.first_year)
    return report_json(rapport, user)


def freeze(user: User, query: Any, body: dict[str, Any], rapport_id: str) -> dict[str, Any]:
    rapport = _report(user, rapport_id)
    if not ops.may_manage(user, rapport.unit):
        raise Forbidden()
    try:
        version = ops.freeze(
            user,
            rapport,
            body.get("comment") or "",
            confirm=bool(body.get("confirm")),
            reason=body.get("reason") or "",
        )
    except ops.FreezeNeedsConfirmation as needs:  # fmt: skip
        raise RequestInvalid(422, needs.message, {needs.field or "confirm": [needs.message]}) \
            from None  # fmt: skip
    return {"id": version.id, "number": version.number, "rapport_id": rapport.id}


def get_version(user: User, query: Any, body: Any, version_id: str) -> dict[str, Any]:
    version = db.session.get(RapportVersion, int(version_id))
    if version is None or not ops.may_view_frozen(user, version.rapport):
        raise NotFound()
    return {"id": version.id, "number": version.number, "rapport_id": version.rapport_id,
            "verified": ops.verify(version),
            "content": _plain(ops.version_content(version))}  # fmt: skip


def routes() -> list[Route]:
    base = "/kvalitetsberattelser"
    kb = "kvalitetsberattelse"
    return [
        Route("GET", base, f"{kb}_list", "Kvalitetsberättelser jag får arbeta med", TAG,
              list_reports, errors=(), response={"type": "array", "items": REPORT_SCHEMA}),
        Route("POST", base, f"{kb}_start",
              "Starta kvalitetsberättelsen för ett kvalitetsår (även tidigare år)", TAG, start,
              body=obj({"unit_id": ID, "year": YEAR}, ["unit_id", "year"]),
              response=REPORT_SCHEMA, status=201,
              description="Samma regel som webben: det innevarande kvalitetsåret och varje "
              "tidigare år tillbaka till det första som har uppgifter. 422 (fältet year) "
              "annars; 403 utan rätt att hantera rapporten för enheten."),
        Route("GET", f"{base}/{{rapport_id}}", f"{kb}_get",
              "Kvalitetsberättelsen sammanställd nu (utkastet)", TAG, get_report,
              params=[ID_PARAM], response=REPORT_SCHEMA, errors=(404,)),
        Route("POST", f"{base}/{{rapport_id}}/inledning", f"{kb}_inledning",
              "Skriv inledningen", TAG, inledning, params=[ID_PARAM],
              body=obj({"text": text(20000)}, ["text"]), response=REPORT_SCHEMA),
        Route("POST", f"{base}/{{rapport_id}}/uppgifter", f"{kb}_details",
              "Försättsbladets uppgifter och dokumentets inställningar", TAG, details,
              params=[ID_PARAM], response=REPORT_SCHEMA,
              body=obj({"diarienummer": text(60), "beslutsdatum": DATE,
                        "numrerade_rubriker": {"type": "boolean"},
                        "bilaga_statistik": {"type": "boolean"}})),
        Route("POST", f"{base}/{{rapport_id}}/texter", f"{kb}_order_texts",
              "Beställ texter som saknas (nya avdelningar eller kvalitetsområden)", TAG,
              order_texts, params=[ID_PARAM], body=obj({}), response=REPORT_SCHEMA),
        Route("POST", f"{base}/{{rapport_id}}/frys", f"{kb}_freeze", "Frys en version", TAG,
              freeze, params=[ID_PARAM], status=201,
              body=obj({"comment": text(500), "confirm": {"type": "boolean"},
                        "reason": text(1000)}),
              response={"type": "object", "required": ["id", "number", "rapport_id"]},
              description="422 när texter saknas, avsnitt är tomma eller siffrorna ändrats "
              "efter texterna: skicka då confirm: true och reason."),
        Route("GET", "/kvalitetsberattelse-versioner/{version_id}", f"{kb}_version",
              "En fryst version: innehållet och om kontrollsumman stämmer", TAG, get_version,
              params=[VERSION_PARAM], errors=(404,), response={"type": "object"}),
    ]  # fmt: skip
