"""Demo: the förvaltning's verksamhetsplan for the previous and the current year, with
nämndmål on the seven quality areas, utvecklingsområden and indikatorer of every kind (some
measured by Kvalitet, some per sex, a yes/no, a scale and a band), values for the tertials
that have passed, assessments with analysis and a linked åtgärd, the follow-up tasks, an
avdelning that adopts the goals, and a frozen T2 report of the current year."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from kvalitet.extensions import db
from kvalitet.items.models import QualityArea
from kvalitet.mal import operations as ops
from kvalitet.mal import periods, queries, report
from kvalitet.mal.models import Indikator, Verksamhetsplan

# (nr, name, quality areas, owner key, [utvecklingsområden: (name, [indikatorer])])
# indikator: dict of create_indikator fields plus "values": {code: value or (v, k, m, nk, nm)}
GOALS: list[tuple[str, str, list[str], str, list[tuple[str, list[dict[str, Any]]]]]] = [
    (
        "1",
        "Verksamheten är kunskapsbaserad, rättssäker och trygg",
        ["Kunskapsbaserad verksamhet", "Trygghet och säkerhet"],
        "avdchef",
        [
            (
                "Strukturerade bedömningar i utredningarna",
                [
                    {
                        "name": "Andel nya utredningar med bedömning enligt ASI/ADAD",
                        "method": "aktgranskning",
                        "unit_of_measure": "procent",
                        "direction": "hogre",
                        "target": 80,
                        "periods": ["T1", "T2", "T3"],
                        "by_sex": True,
                        "owner": "chef",
                        "source": "Aktgranskning av nya utredningar",
                        "baseline": 64,
                        "values": {
                            "T1": (71, 74, 70, 24, 73),
                            "T2": (78, 83, 76, 29, 81),
                            "T3": (82, 85, 81, 26, 70),
                        },
                    },
                    {
                        "name": "Rättssäkra uppföljningar av öppna insatser",
                        "method": "aktgranskning",
                        "unit_of_measure": "procent",
                        "direction": "hogre",
                        "target": 100,
                        "periods": ["T2", "T3"],
                        "owner": "chef2",
                        "values": {"T2": 86, "T3": 91},
                    },
                ],
            ),
            (
                "Avvikelser och lex Sarah hanteras skyndsamt",
                [
                    {
                        "name": "Median antal dagar till avslutad avvikelse",
                        "measure": "avvikelser_median_dagar",
                        "direction": "lagre",
                        "target": 30,
                        "periods": ["T1", "T2", "T3"],
                        "owner": "kvalitet",
                    },
                    {
                        "name": "Andel lex Sarah-utredningar klara inom målet",
                        "measure": "lexsarah_utredningar_i_tid",
                        "direction": "hogre",
                        "target": 90,
                        "periods": ["T1", "T2", "T3"],
                        "owner": "kvalitet",
                    },
                    {
                        "name": "Antal rapporterade avvikelser ska öka",
                        "measure": "avvikelser_antal",
                        "direction": "hogre",
                        "periods": ["T1", "T2", "T3"],
                        "by_sex": True,
                        "sex_labels": "flickor_pojkar",
                        "owner": "kvalitet",
                    },
                ],
            ),
        ],
    ),
    (
        "2",
        "Den enskilde har inflytande och stödet präglas av helhetssyn",
        ["Självbestämmande och integritet", "Helhetssyn och samordning"],
        "avdchef",
        [
            (
                "Samordnade insatser",
                [
                    {
                        "name": "Antalet SIP ska öka",
                        "method": "register",
                        "unit_of_measure": "antal",
                        "direction": "hogre",
                        "periods": ["T1", "T2", "T3"],
                        "owner": "chef",
                        "source": "Verksamhetssystemet",
                        "values": {"T1": 31, "T2": 29, "T3": 40},
                    },
                    {
                        "name": "Andel genomförandeplaner där barnets åsikt framgår",
                        "method": "aktgranskning",
                        "unit_of_measure": "procent",
                        "direction": "hogre",
                        "target": 90,
                        "periods": ["T2", "T3"],
                        "by_sex": True,
                        "sex_labels": "flickor_pojkar",
                        "owner": "chef2",
                        "values": {"T2": (84, 88, 80, 17, 19), "T3": (92, 94, 90, 16, 4)},
                    },
                ],
            ),
        ],
    ),
    (
        "3",
        "Socialtjänsten är tillgänglig och likvärdig",
        ["Tillgänglighet", "Jämlik"],
        "kvalitet",
        [
            (
                "Bemötande och tillgänglighet",
                [
                    {
                        "name": "Andel brukare nöjda med bemötande och tillgänglighet",
                        "method": "brukarundersokning",
                        "unit_of_measure": "procent",
                        "direction": "hogre",
                        "target": 80,
                        "periods": ["AR"],
                        "by_sex": True,
                        "owner": "kvalitet",
                        "source": "Brukarundersökning",
                        "values": {"AR": (77, 79, 74, 212, 187)},
                    },
                    {
                        "name": "Andel synpunkter och klagomål besvarade i tid",
                        "measure": "synpunkter_besvarade_i_tid",
                        "direction": "hogre",
                        "target": 90,
                        "periods": ["T1", "T2", "T3"],
                        "owner": "kvalitet",
                    },
                    {
                        "name": "Andel synpunkter och klagomål bekräftade i tid",
                        "measure": "synpunkter_bekraftade_i_tid",
                        "direction": "hogre",
                        "target": 95,
                        "periods": ["T1", "T2", "T3"],
                        "owner": "kvalitet",
                    },
                ],
            ),
        ],
    ),
    (
        "4",
        "Resurserna används effektivt och kvaliteten följs upp",
        ["Effektivitet"],
        "kvalitet",
        [
            (
                "Systematisk uppföljning",
                [
                    {
                        "name": "Andel egenkontroller genomförda enligt plan",
                        "measure": "egenkontroller_genomforda",
                        "direction": "hogre",
                        "target": 100,
                        "periods": ["T1", "T2", "T3"],
                        "owner": "kvalitet",
                    },
                    {
                        "name": "Andel förbättringsåtgärder genomförda i tid",
                        "measure": "atgarder_i_tid",
                        "direction": "hogre",
                        "target": 80,
                        "periods": ["T1", "T2", "T3"],
                        "owner": "kvalitet",
                    },
                    {
                        "name": "Delegationsordningen stämmer med behörigheterna i systemet",
                        "method": "manuell",
                        "unit_of_measure": "janej",
                        "direction": "exakt",
                        "target": "ja",
                        "periods": ["AR"],
                        "owner": "kvalitet",
                        "values": {"AR": "ja"},
                    },
                ],
            ),
            (
                "Kompetens och kontinuitet",
                [
                    {
                        "name": "Personalomsättning bland socialsekreterare",
                        "method": "register",
                        "unit_of_measure": "procent",
                        "direction": "intervall",
                        "target": 5,
                        "target_high": 12,
                        "periods": ["AR"],
                        "owner": "avdchef",
                        "values": {"AR": 14},
                    },
                    {
                        "name": "Medarbetarnas skattning av introduktionen (1–5)",
                        "method": "manuell",
                        "unit_of_measure": "skala",
                        "scale_max": 5,
                        "direction": "hogre",
                        "target": 4,
                        "periods": ["AR"],
                        "owner": "avdchef",
                        "values": {"AR": 4.2},
                    },
                ],
            ),
        ],
    ),
]

ANALYSES = {
    "uppnatt": ("Målvärdena är nådda.", "Arbetssättet är etablerat och följs upp på APT."),
    "delvis": (
        "Flera indikatorer har förbättrats men alla målvärden är inte nådda.",
        "Skillnaderna mellan enheterna är stora; personalomsättningen påverkar.",
    ),
    "ej_uppnatt": (
        "Indikatorerna ligger under målvärdet.",
        "Rutinerna är inte kända av alla; uppföljningen har inte skett regelbundet.",
    ),
    "gar_ej": ("Mätningen görs för helåret.", ""),
}


def _values_for(spec: dict[str, Any], code: str, year_offset: int) -> Any:
    value = spec.get("values", {}).get(code)
    if value is None or year_offset == 0:
        return value
    # The previous year: a little lower.
    if isinstance(value, tuple):
        return tuple(max(0, v - 6) if i < 3 else v for i, v in enumerate(value))
    if isinstance(value, int | float):
        return max(0, value - 5) if spec.get("unit_of_measure") != "skala" else value - 0.3
    return value


def _build(ctx: Any, year: int, previous: Verksamhetsplan | None) -> Verksamhetsplan:
    kv = ctx.users["kvalitet"]
    forv = ctx.units["Socialförvaltning Centrum"]
    if previous is not None:
        return ops.copy_to_next_year(kv, previous)
    plan = ops.create_plan(
        kv,
        unit=forv,
        year=year,
        name=f"Verksamhetsplan {year}",
        description="Socialnämndens mål för året med indikatorer och "
        "målvärden. Följs upp i tertialrapporterna, delårsrapporten och "
        "verksamhetsberättelsen.",
        levels=["Nämndmål", "Utvecklingsområde"],
    )
    areas = {a.name: a.id for a in db.session.scalars(select(QualityArea))}
    for nr, name, area_names, owner, areas_of in GOALS:
        goal = ops.create_goal(
            kv,
            plan,
            None,
            nr=nr,
            name=name,
            owner_id=ctx.users[owner].id,
            area_ids=[areas[a] for a in area_names if a in areas],
        )
        for number, (sub_name, inds) in enumerate(areas_of, start=1):
            sub = ops.create_goal(
                kv,
                plan,
                goal,
                nr=f"{nr}.{number}",
                name=sub_name,
                owner_id=ctx.users[owner].id,
                area_ids=[areas[a] for a in area_names if a in areas],
            )
            for index, spec in enumerate(inds, start=1):
                fields = {k: v for k, v in spec.items() if k not in ("values", "owner")}
                ops.create_indikator(
                    kv,
                    sub,
                    nr=f"{nr}.{number}.{index}",
                    responsible_id=ctx.users[spec["owner"]].id,
                    **fields,
                )
    return plan


def _spec_of(ind: Indikator) -> dict[str, Any]:
    for *_, areas_of in GOALS:
        for _sub, inds in areas_of:
            for spec in inds:
                if spec["name"] == ind.name:
                    return spec
    return {}


def _report_values(ctx: Any, plan: Verksamhetsplan, year_offset: int, skip: set[str]) -> None:
    today = ctx.today
    for ind in queries.all_indikatorer(plan):
        spec = _spec_of(ind)
        for code in ind.periods:
            if periods.period_of(plan.year, code).end >= today or ind.measure:
                continue
            if ind.name in skip and code == "T2":
                continue
            value = _values_for(spec, code, year_offset)
            if value is None:
                continue
            user = ind.responsible or ctx.users["kvalitet"]
            if isinstance(value, tuple):
                v, k, m, nk, nm = value
                ops.save_utfall(
                    user,
                    ind,
                    code,
                    value=v,
                    value_k=k,
                    value_m=m,
                    n_k=nk,
                    n_m=nm,
                    comment="Aktgranskning av ett urval ärenden.",
                )
            else:
                ops.save_utfall(user, ind, code, value=value, comment="")


def _assess(ctx: Any, plan: Verksamhetsplan) -> None:
    for goal in plan.goals:
        for code in queries.plan_periods(plan):
            if periods.period_of(plan.year, code).end >= ctx.today or code == "AR":
                continue
            proposal = str(queries.propose(goal, code))
            orsak, analys = ANALYSES[proposal]
            ops.save_bedomning(
                ctx.users["avdchef"]
                if goal.owner_id == ctx.users["avdchef"].id
                else ctx.users["kvalitet"],
                goal,
                code,
                value=proposal,
                orsak=orsak,
                analys=analys,
                atgarder_text=""
                if proposal == "uppnatt"
                else "Genomgång av rutinen på APT och uppföljning nästa tertial.",
            )


def seed(ctx: Any) -> None:
    this_year = ctx.today.year
    first = _build(ctx, this_year - 1, None)
    _report_values(ctx, first, 1, set())
    ops.fill_closed_periods()
    _assess(ctx, first)
    current = _build(ctx, this_year, first)
    ops.generate_tasks()  # the tasks of the tertials that have passed
    _report_values(ctx, current, 0, {"Rättssäkra uppföljningar av öppna insatser"})
    ops.fill_closed_periods()
    _assess(ctx, current)
    goal = next(g for g in current.goals if g.nr == "1")
    if queries.bedomning_of(goal, "T2") is not None:
        ops.new_atgard_for_goal(
            ctx.users["avdchef"],
            goal,
            "T2",
            title="Stöd till handläggarna i ASI- och ADAD-bedömningar",
            owner=ctx.users["chef"],
        )
    bou = ctx.units["Avdelning Barn och unga"]
    lower = ops.adopt_plan(ctx.users["avdchef"], current, bou)
    adopted = next(g for g in lower.goals if g.nr == "2")
    own = ops.create_goal(
        ctx.users["avdchef"], lower, adopted, nr="2.B", name="Barnets röst i utredningarna"
    )
    ops.create_indikator(
        ctx.users["avdchef"],
        own,
        nr="2.B.1",
        name="Andel utredningar där barnet har fått komma till tals",
        method="aktgranskning",
        unit_of_measure="procent",
        direction="hogre",
        target=95,
        periods=["T1", "T2", "T3"],
        by_sex=True,
        sex_labels="flickor_pojkar",
        responsible_id=ctx.users["chef"].id,
    )
    # The internkontrollplan: two of the egenkontroll controls, with risk and recipient.
    for (kontroll_id, _label), (process, s, k) in zip(
        queries.kontroll_choices(current),
        [("Dataskydd och sekretess", 3, 4), ("Handläggning och dokumentation", 2, 3)],
        strict=False,
    ):
        ops.add_internkontroll(
            ctx.users["kvalitet"],
            current,
            kontroll_id=kontroll_id,
            process=process,
            sannolikhet=s,
            konsekvens=k,
            rapporteras_till="Socialnämnden",
        )
    rp = report.report_period(current, "T2")
    if rp is not None and periods.period_of(current.year, "T2").end < ctx.today:
        document = report.compile_report(current, rp, ctx.users["kvalitet"])
        ops.freeze_report(
            ctx.users["kvalitet"], current, rp.key, document, "Delårsrapport till socialnämnden"
        )
