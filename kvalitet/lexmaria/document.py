"""Compiling the patientsäkerhetsberättelse (PSL 3 kap. 10 §) for a calendar year into the
block document of kvalitet.rapport.document, so that rapport's renderers (HTML, Word, PDF)
and its freezing (canonical JSON + sha256) serve it unchanged.

Chapters follow Socialstyrelsen's guidance (PsbAvsnitt). Each has the text written by the
person responsible (a PSB task) and, where Kvalitet holds them, the figures of the year's
health-care items beside the previous year: avvikelser with health_care set, lex Maria
cases, synpunkter och klagomål with health_care set, and the förbättringsåtgärder that came
from them. Only counts, units and reference numbers are printed: never a title or a text
about a patient."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import ColumnElement, and_, func, or_, select

from kvalitet.atgarder.kinds import WORKFLOW as ATGARD_WORKFLOW
from kvalitet.avvikelser.models import Avvikelse
from kvalitet.core import clock
from kvalitet.core.periods import Period, quality_year
from kvalitet.extensions import db
from kvalitet.items.models import Item, ItemLink, LinkType, ListEntry
from kvalitet.lagrum.lookup import lagrum
from kvalitet.lexmaria.models import (
    BEDOMNING_LABELS,
    Bedomning,
    LexMariaArende,
    Patientsakerhetsberattelse,
    PsbAvsnitt,
    PsbText,
)
from kvalitet.org.models import Unit, User
from kvalitet.rapport.document import Block, change, fmt, h, narrative_blocks, p, table
from kvalitet.rapport.models import TextStatus
from kvalitet.synpunkter.models import TYP_LABELS, Synpunkt, SynpunktTyp

TITLE = "Patientsäkerhetsberättelse"


def period_of(berattelse: Patientsakerhetsberattelse) -> Period:
    """The calendar year (whatever the quality year of the installation)."""
    return quality_year(berattelse.year, month=1)


def due_date(year: int) -> date:
    """The berättelse is due 1 March of the following year (PSL 3 kap. 10 §)."""
    return date(year + 1, 3, 1)


def text_due(year: int) -> date:
    """Texts are due LEXMARIA_PSB_TEXT_DAYS (default 14) days before the berättelse, and
    never less than two weeks from today."""
    days = int(current_app.config.get("LEXMARIA_PSB_TEXT_DAYS", 14))
    return max(due_date(year) - timedelta(days=days), clock.today() + timedelta(days=14))


def texts_of(berattelse: Patientsakerhetsberattelse) -> dict[str, PsbText]:
    rows = db.session.scalars(
        select(PsbText).where(PsbText.berattelse_id == berattelse.id, Item.cancelled_at.is_(None))
    )
    return {t.avsnitt: t for t in rows}


# --- figures --------------------------------------------------------------------------------


def _in(root: Unit, period: Period) -> ColumnElement[bool]:
    return and_(
        Item.unit_id.in_(select(Unit.id).where(Unit.path.startswith(root.path, autoescape=True))),
        Item.cancelled_at.is_(None),
        Item.created_at >= period.start_utc(),
        Item.created_at < period.end_utc(),
    )


def _count(model: Any, *conditions: Any) -> int:
    return int(db.session.scalar(select(func.count(model.id)).where(*conditions)) or 0)


def _hsl_avvikelser(root: Unit, period: Period) -> ColumnElement[bool]:
    return and_(_in(root, period), Avvikelse.is_health_care())


def avvikelse_figures(root: Unit, period: Period) -> dict[str, Any]:
    where = _hsl_avvikelser(root, period)
    per_category: dict[Any, int] = dict(
        db.session.execute(
            select(ListEntry.label, func.count(Avvikelse.id))
            .join(ListEntry, ListEntry.id == Avvikelse.category_id)
            .where(where)
            .group_by(ListEntry.label)
            .order_by(ListEntry.label)
        )
        .tuples()
        .all()
    )
    ids = select(Avvikelse.id).where(where)
    return {
        "totalt": _count(Avvikelse, where),
        "analyserade": _count(Avvikelse, where, func.length(Avvikelse.analysis) > 0),
        "avslutade": _count(Avvikelse, where, Item.closed_at.is_not(None)),
        "med_atgard": int(
            db.session.scalar(
                select(func.count(func.distinct(ItemLink.source_id))).where(
                    ItemLink.source_id.in_(ids), ItemLink.link_type == str(LinkType.ATGARD)
                )
            )
            or 0
        ),
        "till_lex_maria": int(
            db.session.scalar(
                select(func.count(func.distinct(ItemLink.source_id)))
                .join(Item, Item.id == ItemLink.target_id)
                .where(
                    ItemLink.source_id.in_(ids),
                    ItemLink.link_type == str(LinkType.HARLEDD),
                    Item.kind == "LXM",
                )
            )
            or 0
        ),
        "per_kategori": per_category,
    }


def lexmaria_figures(root: Unit, period: Period) -> dict[str, Any]:
    where = _in(root, period)
    by_assessment: dict[Any, int] = dict(
        db.session.execute(
            select(LexMariaArende.assessment, func.count(LexMariaArende.id))
            .where(where)
            .group_by(LexMariaArende.assessment)
        )
        .tuples()
        .all()
    )
    return {
        "handelser": _count(LexMariaArende, where),
        "anmalda": _count(LexMariaArende, where, LexMariaArende.ivo_filed_date.is_not(None)),
        "informerade": _count(LexMariaArende, where, LexMariaArende.informed_date.is_not(None)),
        "avslutade": _count(LexMariaArende, where, Item.closed_at.is_not(None)),
        "per_bedomning": {
            label: int(by_assessment.get(str(key), 0)) for key, label in BEDOMNING_LABELS.items()
        },
    }


def lexmaria_rows(root: Unit, period: Period) -> list[list[str]]:
    cases = db.session.scalars(
        select(LexMariaArende).where(_in(root, period)).order_by(Item.ref)
    ).all()
    actions: dict[Any, int] = dict(
        db.session.execute(
            select(ItemLink.source_id, func.count())
            .where(
                ItemLink.source_id.in_([c.id for c in cases] or [-1]),
                ItemLink.link_type == str(LinkType.ATGARD),
            )
            .group_by(ItemLink.source_id)
        )
        .tuples()
        .all()
    )
    return [
        [
            c.ref,
            c.unit.name,
            Bedomning(c.assessment).label if c.assessment else "Ej bedömd",
            f"{c.ivo_filed_date:%Y-%m-%d}" if c.ivo_filed_date else "Nej",
            f"{c.informed_date:%Y-%m-%d} ({c.informed_who_label.lower()})"
            if c.informed_date
            else ("Kunde inte informeras" if c.not_informed_reason else "Nej"),
            str(actions.get(c.id, 0)),
        ]
        for c in cases
    ]


def klagomal_figures(root: Unit, period: Period) -> dict[str, Any]:
    where = and_(_in(root, period), Synpunkt.is_health_care())
    per_typ: dict[Any, int] = dict(
        db.session.execute(
            select(Synpunkt.typ, func.count(Synpunkt.id)).where(where).group_by(Synpunkt.typ)
        )
        .tuples()
        .all()
    )
    owed = and_(where, Synpunkt.answer_due.is_not(None))
    return {
        "totalt": _count(Synpunkt, where),
        "besvarade": _count(Synpunkt, where, Synpunkt.answered_date.is_not(None)),
        "besvarade_i_tid": _count(
            Synpunkt,
            owed,
            Synpunkt.answered_date.is_not(None),
            Synpunkt.answered_date <= Synpunkt.answer_due,
        ),
        "per_typ": {
            label: int(per_typ.get(str(k), 0))
            for k, label in TYP_LABELS.items()
            if isinstance(k, SynpunktTyp)
        },
    }


def atgard_figures(root: Unit, period: Period) -> dict[str, int]:
    """Förbättringsåtgärder linked from the year's health-care avvikelser and lex Maria
    cases, by status."""
    sources = select(Item.id).where(
        _in(root, period),
        or_(
            Item.kind == "LXM",
            Avvikelse.health_care_items(),
        ),
    )
    rows = db.session.execute(
        select(Item.status, func.count(func.distinct(Item.id)))
        .join(ItemLink, ItemLink.target_id == Item.id)
        .where(
            ItemLink.source_id.in_(sources),
            ItemLink.link_type == str(LinkType.ATGARD),
            Item.kind == "ATG",
            Item.cancelled_at.is_(None),
        )
        .group_by(Item.status)
    ).all()
    found = {status: int(n) for status, n in rows}
    return {label: found.get(state, 0) for state, label in ATGARD_WORKFLOW.states.items()}


LABELS = {
    "totalt": "Totalt",
    "analyserade": "Analyserade (orsaksanalys skriven)",
    "avslutade": "Avslutade",
    "med_atgard": "Ledde till förbättringsåtgärd",
    "till_lex_maria": "Överförda till lex Maria",
    "handelser": "Händelser som utretts enligt lex Maria",
    "anmalda": "Anmälda till IVO",
    "informerade": "Patient eller närstående informerad",
    "besvarade": "Besvarade",
    "besvarade_i_tid": "Besvarade i tid",
}


def _figure_table(
    caption: str, now: dict[str, Any], before: dict[str, Any], labels: tuple[str, str]
) -> Block:
    rows = [
        [LABELS.get(k, k), fmt(v), fmt(before.get(k)), change(v, before.get(k))]
        for k, v in now.items()
        if isinstance(v, int)
    ]
    return table(caption, ["Mått", labels[0], labels[1], "Förändring"], rows)


def _breakdown(
    caption: str, head: str, now: dict[str, int], before: dict[str, int], labels: tuple[str, str]
) -> Block:
    keys = list(now) + [k for k in before if k not in now]
    rows = [
        [k, fmt(now.get(k, 0)), fmt(before.get(k, 0)), change(now.get(k, 0), before.get(k, 0))]
        for k in keys
    ]
    return table(caption, [head, labels[0], labels[1], "Förändring"], rows, empty="Inga uppgifter.")


# --- the document -----------------------------------------------------------------------------


def compile_document(
    berattelse: Patientsakerhetsberattelse, user: User | None = None
) -> dict[str, Any]:
    root = berattelse.unit
    period = period_of(berattelse)
    prev = period.previous_year()
    labels = (period.label, prev.label)
    texts = texts_of(berattelse)
    # The law as it stood at the end of the year the berättelse is about.
    on = period.end
    blocks: list[Block] = []

    def chapter(avsnitt: PsbAvsnitt) -> None:
        text = texts.get(avsnitt)
        made = narrative_blocks(text, 1, avsnitt.label)
        made[0]["id"] = f"psb-{avsnitt.value}"
        blocks.extend(made)

    blocks.append(h(1, "Inledning", "psb-inledning"))
    blocks.append(
        p(
            f"Enligt {lagrum('psl_berattelse', on)} ska vårdgivaren varje år, senast den 1 mars, "
            f"upprätta en patientsäkerhetsberättelse. Den här berättelsen gäller {root.name} som "
            f"vårdgivare för kommunal hälso- och sjukvård under kalenderåret {period.label} "
            f"({period.start:%Y-%m-%d} – {period.end:%Y-%m-%d}) och jämför med {prev.label}. "
            f"Patientsäkerhetsarbetet bedrivs inom ledningssystemet enligt "
            f"{lagrum('sosfs_2011_9', on)}."
        )
    )
    for avsnitt in (
        PsbAvsnitt.MAL,
        PsbAvsnitt.ANSVAR,
        PsbAvsnitt.UPPFOLJNING,
        PsbAvsnitt.SAMVERKAN,
        PsbAvsnitt.RISKANALYS,
        PsbAvsnitt.EGENKONTROLL,
    ):
        chapter(avsnitt)

    chapter(PsbAvsnitt.AVVIKELSER)
    avv_now, avv_old = avvikelse_figures(root, period), avvikelse_figures(root, prev)
    blocks.append(_figure_table("Avvikelser i hälso- och sjukvården", avv_now, avv_old, labels))
    blocks.append(
        _breakdown(
            "Avvikelser i hälso- och sjukvården per kategori",
            "Kategori",
            avv_now["per_kategori"],
            avv_old["per_kategori"],
            labels,
        )
    )

    chapter(PsbAvsnitt.LEXMARIA)
    lxm_now, lxm_old = lexmaria_figures(root, period), lexmaria_figures(root, prev)
    blocks.append(
        p(
            f"Händelser som har medfört eller hade kunnat medföra en allvarlig vårdskada anmäls "
            f"till IVO enligt {lagrum('psl_lex_maria', on)} och {lagrum('hslf_2017_40', on)}. "
            f"Patienten eller närstående informeras enligt {lagrum('psl_information', on)}."
        )
    )
    blocks.append(_figure_table("Lex Maria", lxm_now, lxm_old, labels))
    blocks.append(
        _breakdown(
            "Lex Maria: MAS bedömning",
            "Bedömning",
            lxm_now["per_bedomning"],
            lxm_old["per_bedomning"],
            labels,
        )
    )
    blocks.append(
        table(
            "Lex Maria-ärenden under året",
            [
                "Ärende",
                "Enhet",
                "Bedömning",
                "Anmäld till IVO",
                "Informerad",
                "Förbättringsåtgärder",
            ],
            lexmaria_rows(root, period),
            empty="Inga lex Maria-ärenden under året.",
        )
    )

    chapter(PsbAvsnitt.KLAGOMAL)
    kl_now, kl_old = klagomal_figures(root, period), klagomal_figures(root, prev)
    blocks.append(
        _figure_table("Synpunkter och klagomål om hälso- och sjukvården", kl_now, kl_old, labels)
    )
    blocks.append(
        _breakdown(
            "Synpunkter och klagomål om hälso- och sjukvården per typ",
            "Typ",
            kl_now["per_typ"],
            kl_old["per_typ"],
            labels,
        )
    )

    chapter(PsbAvsnitt.RESULTAT)
    blocks.append(
        table(
            "Resultat i siffror",
            ["Mått", labels[0], labels[1], "Förändring"],
            [
                [
                    "Avvikelser i hälso- och sjukvården",
                    fmt(avv_now["totalt"]),
                    fmt(avv_old["totalt"]),
                    change(avv_now["totalt"], avv_old["totalt"]),
                ],
                [
                    "Lex Maria-händelser",
                    fmt(lxm_now["handelser"]),
                    fmt(lxm_old["handelser"]),
                    change(lxm_now["handelser"], lxm_old["handelser"]),
                ],
                [
                    "Anmälda till IVO",
                    fmt(lxm_now["anmalda"]),
                    fmt(lxm_old["anmalda"]),
                    change(lxm_now["anmalda"], lxm_old["anmalda"]),
                ],
                [
                    "Klagomål och synpunkter",
                    fmt(kl_now["totalt"]),
                    fmt(kl_old["totalt"]),
                    change(kl_now["totalt"], kl_old["totalt"]),
                ],
            ],
        )
    )
    atg_now, atg_old = atgard_figures(root, period), atgard_figures(root, prev)
    blocks.append(
        _breakdown(
            "Förbättringsåtgärder från årets händelser, per status",
            "Status",
            atg_now,
            atg_old,
            labels,
        )
    )

    chapter(PsbAvsnitt.KOMMANDE)

    missing = [
        {
            "ref": t.ref,
            "unit": t.unit.name,
            "heading": t.heading,
            "owner": t.owner.name if t.owner else "",
            "status": t.status_label,
            "due": t.due_date.isoformat() if t.due_date else "",
        }
        for t in sorted(texts.values(), key=lambda t: list(PsbAvsnitt).index(PsbAvsnitt(t.avsnitt)))
        if t.status != TextStatus.KLAR
    ]
    return {
        "title": f"{TITLE} {period.label}",
        "unit": root.name,
        "period": {
            "label": period.label,
            "start": period.start.isoformat(),
            "end": period.end.isoformat(),
            "previous": prev.label,
            "noun": "Kalenderår",
        },
        "due": due_date(berattelse.year).isoformat(),
        "compiled_at": clock.now().isoformat(timespec="seconds"),
        "compiled_by": user.name if user else "Systemet",
        "blocks": blocks,
        "missing": missing,
    }


def plain_text(document: dict[str, Any]) -> str:
    """All the text of a document (tests and search)."""
    parts: list[str] = []
    for b in document["blocks"]:
        if b["t"] in ("h", "p", "note"):
            parts.append(b["text"])
        elif b["t"] == "table":
            parts.append(b["caption"])
            parts.extend(" | ".join(r) for r in b["rows"])
    return re.sub(r"[ \t]+", " ", "\n".join(parts))
