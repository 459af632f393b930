"""Demo data for health care: an enhet Hemsjukvården with its chef; last year a fall in
hemsjukvården that became a lex Maria case (assessed, investigated, reported to IVO, the
närstående informed, an åtgärd decided, closed); this year a case under investigation; and
last year's patientsäkerhetsberättelse started with some texts written."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from kvalitet.avvikelser import operations as avvikelser_operations
from kvalitet.avvikelser.models import CATEGORY_LIST
from kvalitet.core import clock
from kvalitet.core.clock import STOCKHOLM
from kvalitet.core.roles import Role
from kvalitet.demo import DemoContext
from kvalitet.extensions import db
from kvalitet.items.models import ListEntry
from kvalitet.lexmaria import operations as ops
from kvalitet.lexmaria.document import texts_of
from kvalitet.lexmaria.models import REQUIRED_SECTIONS, PsbAvsnitt, Sektion
from kvalitet.org.models import UnitKind
from kvalitet.org.operations import create_unit, grant_role

FALL_TEXTS = {
    Sektion.HANDELSE: "Patienten föll vid förflyttning från säng till rullstol kl. 07.40. En "
    "undersköterska utförde förflyttningen ensam trots att ordinationen angav två personer.",
    Sektion.KONSEKVENS: "Höftfraktur som opererades. Förlängd vårdtid och smärta.",
    Sektion.ORSAKER: "Morgonpasset var underbemannat; ordinationen om två personer fanns i "
    "journalen men inte i arbetsplanen som personalen använder.",
    Sektion.ATGARDER: "Arbetsplanerna stäms av mot ordinationerna varje vecka; "
    "förflyttningsutbildning för all personal under våren.",
    Sektion.SLUTSATS: "Händelsen har medfört en allvarlig vårdskada och anmäls till IVO.",
}


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour, 0), tzinfo=STOCKHOLM)


def seed(ctx: DemoContext) -> None:
    mas = ctx.users.get("mas")
    avd = ctx.units.get("Avdelning Vuxen och försörjningsstöd")
    if mas is None or avd is None:
        return
    previously = clock._frozen
    try:
        _seed(ctx, mas, avd)
    finally:
        clock.freeze(previously)


def _seed(ctx: DemoContext, mas, avd) -> None:  # type: ignore[no-untyped-def]
    unit = create_unit(None, "Hemsjukvården", UnitKind.ENHET, avd)
    ctx.units[unit.name] = unit
    chef = ctx.demo_user(
        name="Helena Hemsjukvårdschef",
        email="chef.hemsjukvard@demo.kvalitet.se",
        title="Enhetschef hemsjukvård",
        home_unit=unit,
    )
    grant_role(None, chef, Role.ENHETSCHEF, unit)
    nurse = ctx.demo_user(
        name="Nora Sjuksköterska",
        email="sjukskoterska@demo.kvalitet.se",
        title="Distriktssköterska",
        home_unit=unit,
    )
    grant_role(None, nurse, Role.MEDARBETARE, unit)
    ctx.chefs[unit.name] = chef
    ctx.staff[unit.name] = [nurse]
    db.session.flush()
    fall = db.session.scalar(
        select(ListEntry.id).where(ListEntry.list_key == CATEGORY_LIST, ListEntry.label == "Fall")
    )
    medicine = db.session.scalar(
        select(ListEntry.id).where(
            ListEntry.list_key == CATEGORY_LIST, ListEntry.label == "Läkemedel"
        )
    )

    last_year = ctx.today.year - 1
    day = date(last_year, 10, 14)
    clock.freeze(_at(day, 9))
    avvikelse = avvikelser_operations.report_avvikelse(
        nurse,
        unit=unit,
        category_id=fall,
        health_care=True,
        title="Fall vid förflyttning i hemsjukvården",
        description="Patienten föll vid förflyttning från säng till rullstol.",
        event_at=_at(day, 7) + timedelta(minutes=40),
        consequence_actual="Misstänkt höftfraktur; patienten fördes till akuten.",
        immediate_action="Sjuksköterska tillkallades och ambulans beställdes.",
    )
    clock.freeze(_at(day, 13))
    case = ops.transfer_from_avvikelse(avvikelse, mas)
    ops.assess(
        case,
        mas,
        "allvarlig_vardskada",
        "Fraktur efter fall där ordinerad hjälp av två personer inte gavs.",
    )
    clock.freeze(_at(day + timedelta(days=2), 10))
    for section, text in FALL_TEXTS.items():
        ops.add_entry(
            case,
            mas,
            section=section,
            entry_date=clock.today(),
            source="Samtal med personal och journalgranskning",
            karaktar="bedomning" if section in (Sektion.ORSAKER, Sektion.SLUTSATS) else "fakta",
            text=text,
        )
    ops.decide(
        case,
        mas,
        ivo_anmalan=True,
        decision_maker_id=mas.id,
        decision_date=clock.today(),
        reason="Händelsen har medfört en allvarlig vårdskada.",
    )
    clock.freeze(_at(day + timedelta(days=3), 10))
    ops.file_ivo(
        case,
        mas,
        filed_date=clock.today(),
        channel="etjanst",
        region="IVO Region Öst",
        attached=True,
    )
    ops.record_information(
        case,
        mas,
        informed_date=clock.today(),
        who="narstaende",
        how="telefon",
        points={
            "info_handelse": True,
            "info_atgarder": True,
            "info_klagomal": True,
            "info_anmalan": True,
        },
        note="Dottern informerades; hon har fått kontaktuppgifter till patientnämnden.",
    )
    ops.create_action(
        case,
        mas,
        title="Arbetsplaner stäms av mot ordinationer varje vecka",
        unit_id=unit.id,
        due_date=day + timedelta(days=60),
    )
    ops.close(case, mas, "Åtgärder beslutade och IVO underrättad.")

    # This year: a medication event under investigation.
    this_day = max(ctx.today - timedelta(days=12), date(ctx.today.year, 1, 2))
    clock.freeze(_at(this_day, 10))
    avvikelse = avvikelser_operations.report_avvikelse(
        nurse,
        unit=unit,
        category_id=medicine,
        health_care=True,
        title="Dubbel dos av blodförtunnande",
        description="Kvällsdosen gavs två gånger efter byte av dosett.",
        consequence_possible="Risk för allvarlig blödning.",
    )
    case = ops.transfer_from_avvikelse(avvikelse, mas)
    ops.assess(case, mas, "risk_allvarlig", "Hade kunnat medföra allvarlig blödning.")
    ops.add_entry(
        case,
        mas,
        section=REQUIRED_SECTIONS[0],
        entry_date=clock.today(),
        source="Läkemedelslista och signeringslista",
        karaktar="fakta",
        text="Dosen signerades av två personer samma kväll.",
    )

    # Last year's patientsäkerhetsberättelse, started in January, with two texts written.
    clock.freeze(_at(ctx.today, 9))
    forv = ctx.units["Socialförvaltning Centrum"]
    berattelse = ops.start_berattelse(mas, forv, last_year)
    texts = texts_of(berattelse)
    ops.save_psb_text(
        mas,
        texts[PsbAvsnitt.LEXMARIA],
        "Ett fall i hemsjukvården ledde till en "
        "allvarlig vårdskada och anmäldes till IVO. Arbetsplanerna stäms nu av "
        "mot ordinationerna varje vecka.",
    )
    ops.save_psb_text(
        mas,
        texts[PsbAvsnitt.AVVIKELSER],
        "Avvikelser i hälso- och sjukvården "
        "rapporteras till MAS, som följer upp fall och läkemedelshändelser.",
    )
