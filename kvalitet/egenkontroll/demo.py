"""Demo egenkontroller over two quality years: DOMAIN.md §5.4's examples (monthly
loggkontroll of skyddade personuppgifter, quarterly aktgranskning of genomförandeplaner,
yearly check of delegationsordning against access rights), mostly performed, some missed,
some with findings turned into förbättringsåtgärder."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from kvalitet.core import clock
from kvalitet.core.periods import quality_year_of
from kvalitet.core.recurrence import Rule
from kvalitet.core.roles import Role
from kvalitet.demo import DemoContext
from kvalitet.egenkontroll import operations as ops
from kvalitet.egenkontroll.models import Egenkontroll, Metod, Svar
from kvalitet.extensions import db

LOGG_FRAGOR = [
    "Fanns ett tjänsterelaterat skäl för varje åtkomst till akten?",
    "Hade den som öppnade akten behörighet enligt sin roll?",
    "Är åtkomsten dokumenterad i akten?",
]
AKT_FRAGOR = [
    "Finns en aktuell genomförandeplan (upprättad eller följd upp senaste sex månaderna)?",
    "Framgår det hur den enskilde har varit delaktig i planen?",
    "Är barnets egna synpunkter dokumenterade?",
    "Är målen formulerade så att de kan följas upp?",
]
DELEG_FRAGOR = [
    "Stämmer behörigheten i verksamhetssystemet med gällande delegationsordning?",
    "Har behörigheter tagits bort för personal som slutat eller bytt uppdrag?",
]
FYND = [
    "Åtkomst till akt med skyddade personuppgifter utan dokumenterat skäl.",
    "Genomförandeplanen har inte följts upp inom sex månader.",
    "Barnets synpunkter saknas i dokumentationen.",
    "Behörighet kvar för medarbetare som bytt enhet.",
]


def _plan(ctx: DemoContext, first_year: int) -> None:
    kvalitet = ctx.users["kvalitet"]
    forv = ctx.units["Socialförvaltning Centrum"]
    start = quality_year_of(date(first_year, 12, 1)).start
    plan = ops.create_plan(
        kvalitet,
        year=first_year,
        name="Egenkontrollplan socialförvaltningen",
        scope=forv,
        description="Förvaltningens egenkontroller enligt SOSFS 2011:9 5 kap. 2 §.",
    )
    bou = [u for u in ctx.enheter if u.parent and u.parent.name == "Avdelning Barn och unga"]
    vuxen = [u for u in ctx.enheter if u.parent and u.parent.name.startswith("Avdelning Vuxen")]
    ops.save_kontroll(
        kvalitet, plan,
        title="Loggkontroll av åtkomst till akter med skyddade personuppgifter",
        description="Stickprov ur verksamhetssystemets logg över öppnade akter med "
        "sekretessmarkering.",
        method=Metod.LOGGKONTROLL, sample_size=5,
        rule=Rule("monthly", start, day=15), responsible_role=Role.ENHETSCHEF,
        due_working_days=10, units=bou + vuxen, questions=LOGG_FRAGOR,
    )  # fmt: skip
    ops.save_kontroll(
        kvalitet, plan,
        title="Aktgranskning av genomförandeplaner",
        description="Slumpvis urval av pågående insatser; granskas av två medarbetare.",
        method=Metod.AKTGRANSKNING, sample_size=6,
        rule=Rule("quarterly", start, day=20, month=1), responsible_role=Role.ENHETSCHEF,
        due_working_days=15, units=bou, questions=AKT_FRAGOR,
    )  # fmt: skip
    ops.save_kontroll(
        kvalitet, plan,
        title="Delegationsordning mot behörigheter i verksamhetssystemet",
        method=Metod.CHECKLISTA, sample_size=3,
        rule=Rule("yearly", start, month=3, day=31), responsible_role=Role.AVDELNINGSCHEF,
        due_working_days=20, units=ctx.avdelningar, questions=DELEG_FRAGOR,
    )  # fmt: skip
    ops.adopt_plan(kvalitet, plan, on=start)


def seed(ctx: DemoContext) -> None:
    current = quality_year_of(ctx.today)
    frozen = clock._frozen
    try:
        clock.freeze(datetime.combine(ctx.today, time(6, 0), tzinfo=clock.STOCKHOLM))
        for first_year in (current.start.year - 1, current.start.year):
            _plan(ctx, first_year)
        ops.generate_occurrences(today=ctx.today)
        items = db.session.scalars(
            select(Egenkontroll)
            .where(Egenkontroll.planned_date < ctx.today)
            .order_by(Egenkontroll.planned_date, Egenkontroll.id)
        ).all()
        rng = ctx.rng
        for item in items:
            if item.owner is None or rng.random() < 0.12:
                continue  # left undone: becomes missed below
            performed = item.planned_date + timedelta(days=rng.randint(0, 12))
            if performed >= ctx.today:
                continue
            clock.freeze(datetime.combine(performed, time(14, 0), tzinfo=clock.STOCKHOLM))
            n = item.kontroll.sample_size
            answers: dict[tuple[int, int], str | None] = {}
            for fraga in item.kontroll.active_fragor:
                for case_no in range(1, n + 1):
                    roll = rng.random()
                    answers[(fraga.id, case_no)] = (
                        Svar.JA if roll < 0.82 else Svar.NEJ if roll < 0.94 else Svar.EJ_AKTUELLT
                    )
            brister = sum(1 for a in answers.values() if a == Svar.NEJ)
            summary = (
                "Inga brister upptäcktes."
                if not brister
                else f"{brister} brister av {len(answers)} kontrollpunkter. Tas upp på APT."
            )
            ops.save_answers(item.owner, item, case_count=n, answers=answers, summary=summary,
                             complete=True)  # fmt: skip
            if brister >= 3 and rng.random() < 0.4:
                fynd = ops.add_finding(item.owner, item, rng.choice(FYND))
                if rng.random() < 0.7:
                    ops.finding_to_atgard(item.owner, fynd)
        clock.freeze(datetime.combine(ctx.today, time(6, 0), tzinfo=clock.STOCKHOLM))
        ops.mark_missed(today=ctx.today)
    finally:
        clock._frozen = frozen
