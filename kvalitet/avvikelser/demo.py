"""Demo avvikelser over two quality years: most enheter report regularly, a few hardly at all
(so the under-reporting flag shows), chefs investigate, analyse, create actions and close."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from kvalitet.atgarder.operations import follow_up_effect, update_atgard
from kvalitet.avvikelser import operations as ops
from kvalitet.avvikelser.models import ALDERSGRUPPER, CATEGORY_LIST, NOTICED_HOW, Kon, Orsak
from kvalitet.core import clock
from kvalitet.core.roles import Role
from kvalitet.core.workflow import run_transition
from kvalitet.demo import DemoContext
from kvalitet.extensions import db
from kvalitet.items.models import ListEntry, QualityArea
from kvalitet.org.operations import holders_over

EVENTS = {
    "Handläggning/rättssäkerhet": [
        ("Beslut kommunicerades inte", "Beslut om avslag skickades utan att den enskilde fått "
         "kommunicera underlaget."),
        ("Barnet hördes inte", "Utredningen avslutades utan att barnets egen uppfattning "
         "dokumenterades."),
    ],
    "Dokumentation": [
        ("Journalanteckning saknas", "Anteckning efter hembesök gjordes inte inom rutinens tid."),
        ("Genomförandeplan inaktuell", "Planen hade inte följts upp på över ett år."),
    ],
    "Sekretess och dataskydd": [
        ("Brev till fel adress", "Ett beslut skickades till en tidigare adress."),
        ("Skärm olåst", "En dator lämnades olåst i mottagningsrummet."),
    ],
    "Bemötande": [("Otydlig information", "Den enskilde fick motstridiga besked om ansökan.")],
    "Samverkan med extern part": [
        ("SIP-möte utan regionen", "Regionens representant kom inte till SIP-mötet."),
    ],
    "Utbetalning": [("Försenad utbetalning", "Försörjningsstöd betalades ut tre dagar sent.")],
    "Hot och våld": [("Hot i receptionen", "En besökare uttalade hot mot personal.")],
    "Läkemedel": [("Läkemedel ej givet", "Kvällsdosen gavs inte enligt ordination.")],
    "Fall": [("Fall vid förflyttning", "Den enskilde föll vid förflyttning till rullstol.")],
    "Övrigt": [("Nyckel borttappad", "En nyckel till arkivskåpet kunde inte hittas.")],
}  # fmt: skip

# The kvalitetsområden (DOMAIN.md §4) each category touches, so that the statistics per
# area have figures in the demo (fixed, so the demo's random sequence is unchanged).
AREAS = {
    "Handläggning/rättssäkerhet": ["Självbestämmande och integritet", "Trygghet och säkerhet"],
    "Dokumentation": ["Kunskapsbaserad verksamhet"],
    "Sekretess och dataskydd": ["Trygghet och säkerhet"],
    "Bemötande": ["Självbestämmande och integritet"],
    "Samverkan med extern part": ["Helhetssyn och samordning"],
    "Utbetalning": ["Tillgänglighet"],
    "Hot och våld": ["Trygghet och säkerhet"],
    "Läkemedel": ["Trygghet och säkerhet"],
    "Fall": ["Trygghet och säkerhet"],
}

# Enheter that report very little (under-reporting shows in the statistics).
QUIET = {"Förvaltarenheten", "Etableringsenheten"}


def seed(ctx: DemoContext) -> None:
    categories = {
        e.label: e
        for e in db.session.scalars(select(ListEntry).where(ListEntry.list_key == CATEGORY_LIST))
    }
    if not categories:
        return
    area_ids = {q.name: q.id for q in db.session.scalars(select(QualityArea))}
    rng = ctx.rng
    was_frozen = clock._frozen
    end = datetime.combine(ctx.today, datetime.min.time()).replace(hour=12, tzinfo=clock.STOCKHOLM)
    try:
        for enhet in ctx.enheter:
            staff = ctx.staff.get(enhet.name) or []
            chef = ctx.chefs.get(enhet.name)
            if not staff or chef is None:
                continue
            count = rng.randint(0, 1) if enhet.name in QUIET else rng.randint(6, 14)
            for _ in range(count):
                when = end - timedelta(days=rng.randint(1, 700), hours=rng.randint(0, 6))
                _one(ctx, enhet, staff, chef, categories, when, end, area_ids)
    finally:
        clock.freeze(was_frozen)


def _one(ctx, enhet, staff, chef, categories, when, end, area_ids) -> None:  # type: ignore[no-untyped-def]
    rng = ctx.rng
    label = rng.choice([c for c in EVENTS if c in categories])
    title, text = rng.choice(EVENTS[label])
    clock.freeze(when)
    health = label in ("Läkemedel", "Fall") and rng.random() < 0.7
    item = ops.report_avvikelse(
        rng.choice(staff),
        unit=enhet,
        category_id=categories[label].id,
        title=title,
        description=text,
        event_at=when - timedelta(hours=rng.randint(3, 48)),
        noticed_at=when - timedelta(minutes=rng.randint(5, 120)),
        noticed_how=rng.choice(list(NOTICED_HOW)),
        immediate_action="Chef informerades och felet rättades.",
        sex=rng.choice([None, Kon.KVINNA, Kon.MAN]),
        age_group=rng.choice([None, *ALDERSGRUPPER]),
        health_care=health,
        quality_area_ids=[area_ids[a] for a in AREAS.get(label, []) if a in area_ids],
    )
    handler = chef
    if health:
        handler = (holders_over(enhet, [Role.MAS]) or [chef])[0]
    age_days = (end - when).days
    if age_days < 5:
        return
    clock.freeze(when + timedelta(days=rng.randint(0, 3)))
    ops.assign_investigator(handler, item)
    if age_days < 20 and rng.random() < 0.6:
        return
    clock.freeze(when + timedelta(days=rng.randint(4, 10)))
    consequence, likelihood = rng.randint(1, 4), rng.randint(1, 4)
    ops.analyse_avvikelse(
        handler,
        item,
        analysis="Rutinen var känd men följdes inte i en pressad arbetssituation.",
        causes=rng.sample(list(Orsak), rng.randint(1, 2)),
        consequence=consequence,
        likelihood=likelihood,
    )
    action = None
    if consequence * likelihood >= 6:
        action = ops.create_linked_atgard(
            handler, item, title=f"Gå igenom rutinen: {title.lower()}", owner=handler,
            due_date=(when + timedelta(days=60)).date(), atgard_typ="korrigerande",
        )  # fmt: skip
    if age_days < 60 and rng.random() < 0.5:
        return
    if action is not None:
        clock.freeze(when + timedelta(days=rng.randint(20, 45)))

        update_atgard(handler, action, done_text="Rutinen gicks igenom på APT.")
        run_transition(action, "paborja", handler)
        run_transition(action, "genomford", handler)
        if rng.random() < 0.5:
            follow_up_effect(handler, action, "Inga nya avvikelser av samma slag.")
    clock.freeze(when + timedelta(days=rng.randint(46, 58)))
    ops.close_avvikelse(handler, item)
