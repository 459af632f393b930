"""Demo lex Sarah cases over two quality years, in every step (some of them late)."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from kvalitet.core import clock
from kvalitet.core.clock import STOCKHOLM
from kvalitet.core.roles import Role
from kvalitet.demo import DemoContext
from kvalitet.lexsarah import operations as ops
from kvalitet.lexsarah.models import REQUIRED_SECTIONS, Sektion

CASES = [
    # (days ago, unit, title, what happened, last step, outcome, allvarligt)
    (400, "Utredningsenhet 1", "Skyddsbedömning dokumenterades inte",
     "Orosanmälan om våld i hemmet registrerades men ingen skyddsbedömning gjordes på fem dagar.",
     "avslutad", "missforhallande", True),
    (330, "Familjehemsenheten", "Familjehem fick inte stöd enligt plan",
     "Planerade stödsamtal med familjehemmet uteblev under sommaren.",
     "avslutad", "ej_missforhallande", False),
    (250, "Socialjouren", "Beslut om placering verkställdes sent",
     "Ett akut placeringsbeslut verkställdes först nästa dag på grund av otydlig rutin.",
     "avslutad", "pataglig_risk", False),
    (160, "Försörjningsstöd 1", "Utbetalning till fel konto",
     "Försörjningsstöd betalades ut till ett gammalt konto; den enskilde stod utan pengar.",
     "avslutad", "missforhallande", False),
    (75, "Utredningsenhet 2", "Barn hördes inte i utredning",
     "Utredningen avslutades utan att barnet fått komma till tals.",
     "spridning", "missforhallande", True),
    (40, "Mottag Vuxen", "Hotfull situation i väntrummet hanterades inte",
     "Larmrutinen följdes inte och en besökare lämnades ensam med en hotfull person.",
     "anmalan", "missforhallande", True),
    (24, "Utredningsenhet 1", "Sekretessbelagd handling skickades till fel mottagare",
     "En utredning skickades till fel adress.", "utredning", None, None),
    (6, "Resursenhet öppenvård", "Insats uteblev utan att den enskilde informerades",
     "Planerade samtal ställdes in tre veckor i rad utan besked.", "utredning", None, None),
    (9, "Förvaltarenheten", "Bristande tillsyn av ekonomiska medel",
     "Avstämning av konton hade inte gjorts under ett halvår.", "rapporterad", None, None),
    (1, "Utredningsenhet 1", "Journalanteckningar saknas för hembesök",
     "Tre hembesök är inte dokumenterade.", "rapporterad", None, None),
]  # fmt: skip

ORDER = ["rapporterad", "utredning", "anmalan", "spridning", "avslutad"]


def _at(ctx: DemoContext, days_ago: int, hour: int = 10) -> datetime:
    day = ctx.today - timedelta(days=days_ago)
    return datetime.combine(day, time(hour, 0), tzinfo=STOCKHOLM)


def seed(ctx: DemoContext) -> None:
    sas = ctx.users.get("sas")
    if sas is None:
        return
    previously = clock._frozen
    try:
        for days_ago, unit_name, title, text, last, outcome, serious in CASES:
            unit = ctx.units.get(unit_name)
            if unit is None:
                continue
            _case(ctx, sas, unit, days_ago, title, text, last, outcome, serious)
    finally:
        clock.freeze(previously)


def _case(ctx, sas, unit, days_ago, title, text, last, outcome, serious) -> None:  # type: ignore[no-untyped-def]
    step = ORDER.index(last)
    staff = ctx.staff.get(unit.name) or [ctx.users["medarbetare"]]
    clock.freeze(_at(ctx, days_ago, 9) if days_ago else clock.now())
    case = ops.report(
        ctx.rng.choice(staff),
        unit=unit,
        title=title,
        description=text,
        happened_at=_at(ctx, days_ago + 2, 14),
        noticed_at=_at(ctx, days_ago, 8),
        noticed_how="Uppmärksammades av kollega vid genomgång.",
        consequences="Den enskilde riskerade att inte få det stöd och skydd som beslutats.",
        immediate_measures="Ansvarig chef informerades och ärendet åtgärdades samma dag.",
        immediate_measures_at=_at(ctx, days_ago, 8) + timedelta(minutes=30),
    )
    if step < 1:
        return
    clock.freeze(_at(ctx, days_ago - 1))
    ops.assess(
        case, sas, "missforhallande" if serious else "osakert", "Rapporten ska utredas skyndsamt."
    )
    clock.freeze(_at(ctx, days_ago - 3))
    chef = ctx.chefs.get(unit.name)
    sections = REQUIRED_SECTIONS if last != "utredning" else (Sektion.HANDELSE, Sektion.ORSAKER)
    for section in sections:
        ops.add_entry(
            case,
            sas if section != Sektion.ORSAKER or chef is None else chef,
            section=section,
            entry_date=clock.today(),
            source=ctx.rng.choice(
                [
                    "Samtal med handläggare",
                    "Journalgranskning",
                    "Samtal med enhetschef",
                    "Verksamhetssystemet",
                ]
            ),
            karaktar="bedomning"
            if section in (Sektion.ORSAKER, Sektion.UPPREPNING, Sektion.AVSLUTANDE)
            else "fakta",
            text=f"{section.label}: se sammanställning från genomgången.",
        )
    if step < 2:
        return
    clock.freeze(_at(ctx, days_ago - 10))
    makers = ops.decision_makers(case)
    maker = next(
        (u for u in makers if any(r.role == Role.AVDELNINGSCHEF for r in u.roles)), makers[0]
    )
    ops.decide(
        case,
        sas,
        outcome=outcome,
        allvarligt=bool(serious),
        decision_maker_id=maker.id,
        decision_date=clock.today(),
        reason="Utredningen visar brister i rutinerna.",
    )
    if serious and step >= 3:
        clock.freeze(_at(ctx, days_ago - 11))
        ops.file_ivo(
            case,
            sas,
            filed_date=clock.today(),
            channel="etjanst",
            region="IVO Region Öst",
            attached=False,
        )
    if step < 3:
        return
    clock.freeze(_at(ctx, days_ago - 20))
    avd = unit.parent
    siblings = [u for u in ctx.enheter if avd is not None and u.parent_id == avd.id][:3]
    ops.set_spreading(
        case,
        sas,
        unit_ids=[u.id for u in siblings],
        spread_text="Gå igenom rutinen på APT och kontrollera att den följs.",
        ledningsgrupp_date=clock.today(),
    )
    confirmed = siblings if step >= 4 else siblings[:1]
    for u in confirmed:
        row = next(r for r in case.spreading if r.unit_id == u.id)
        confirmer = ctx.chefs.get(u.name)
        if confirmer is not None:
            ops.confirm_spreading(row, confirmer, "Genomgånget på APT.")
    if step < 4:
        return
    clock.freeze(_at(ctx, days_ago - 40))
    if case.ivo_utredning_due and not case.ivo_utredning_sent_date:
        ops.investigation_sent(case, sas, clock.today())
    if all(r.confirmed_at for r in case.spreading):
        ops.close(case, sas, "Åtgärderna är genomförda och spridda.")
