"""Demo risk registers: a handful of risks per enhet, some with measures."""

from __future__ import annotations

from datetime import timedelta

from kvalitet.atgarder.operations import create_atgard
from kvalitet.demo import DemoContext
from kvalitet.risker.operations import create_risk

RISKS = [
    ("Sjukfrånvaro gör att utredningar blir liggande", "bemanning",
     "Barn och vuxna får vänta på beslut; lagstadgade tider överskrids."),
    ("Nytt verksamhetssystem införs", "arbetssatt",
     "Dokumentation kan hamna fel eller gå förlorad under övergången."),
    ("Omorganisation av mottagningen", "organisation",
     "Ansvaret för inkommande anmälningar blir otydligt."),
    ("Post till skyddade adresser", "lopande",
     "Uppgifter om en person med skyddade personuppgifter röjs."),
    ("Hot vid ensamarbete", "lopande", "Personal utsätts för våld vid hembesök."),
]  # fmt: skip


def seed(ctx: DemoContext) -> None:
    rng = ctx.rng
    for enhet in ctx.enheter:
        chef = ctx.chefs.get(enhet.name)
        if chef is None:
            continue
        for title, why, effect in rng.sample(RISKS, rng.randint(1, 3)):
            likelihood, consequence = rng.randint(1, 4), rng.randint(2, 4)
            risk = create_risk(
                chef, unit=enhet, title=title, anledning=why, consequence_text=effect,
                likelihood=likelihood, consequence=consequence, owner=chef,
                review_date=ctx.today + timedelta(days=rng.randint(-20, 200)),
            )  # fmt: skip
            if likelihood * consequence >= 8:
                create_atgard(
                    chef, source=risk, title=f"Minska risken: {title.lower()}", unit=enhet,
                    owner=chef, atgard_typ="forebyggande",
                    due_date=ctx.today + timedelta(days=rng.randint(10, 120)),
                )  # fmt: skip
