"""Demo synpunkter över two quality years: every channel, source and kind, most answered
(some late), some anonymous, a few still waiting with the registrator or the chef."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import select

from kvalitet.core import clock
from kvalitet.core.clock import STOCKHOLM
from kvalitet.core.workdays import add_working_days
from kvalitet.demo import DemoContext
from kvalitet.extensions import db
from kvalitet.items.models import ListEntry
from kvalitet.synpunkter import operations as ops
from kvalitet.synpunkter.models import THEME_LIST, Kalla, Kanal, SvarSatt, SynpunktTyp

TEXTS = {
    SynpunktTyp.KLAGOMAL: [
        ("Väntetid", "Fick vänta sex veckor på ett första samtal med handläggaren."),
        ("Bemötande", "Upplevde att handläggaren var otrevlig och inte lyssnade vid besöket."),
        ("Information", "Fick inget besked om varför ansökan tog så lång tid."),
        ("Beslut/insats", "Tycker inte att beslutet förklarades; förstår inte vad det betyder."),
        ("Tillgänglighet", "Telefontiden är bara en timme om dagen och det är alltid upptaget."),
        ("Samverkan", "Skolan och socialtjänsten gav olika besked om samma möte."),
        ("Kontinuitet", "Har fått tre olika handläggare på ett halvår."),
    ],
    SynpunktTyp.SYNPUNKT: [
        ("Information", "Breven är svåra att förstå, skriv enklare."),
        ("Tillgänglighet", "Det borde gå att boka tid digitalt."),
        ("Bemötande", "Bra samtal men lokalen var inte ombonad för barn."),
    ],
    SynpunktTyp.FORSLAG: [
        ("Tillgänglighet", "Erbjud kvällstider för föräldrar som arbetar."),
        ("Information", "Lägg upp en film om hur en utredning går till."),
        ("Samverkan", "Gemensamma möten med skolan en gång per termin."),
    ],
    SynpunktTyp.BEROM: [
        ("Bemötande", "Tack till familjehemssekreteraren som alltid ringer tillbaka."),
        ("Kvalitet i utförandet", "Öppenvårdens föräldragrupp har hjälpt oss mycket."),
        ("Bemötande", "Socialjouren var lugn och tydlig en svår natt."),
    ],
}
WEIGHTS = [
    (SynpunktTyp.KLAGOMAL, 5), (SynpunktTyp.SYNPUNKT, 2), (SynpunktTyp.FORSLAG, 2),
    (SynpunktTyp.BEROM, 2),
]  # fmt: skip
CHANNELS = [Kanal.E_TJANST, Kanal.E_TJANST, Kanal.E_POST, Kanal.BREV, Kanal.TELEFON,
            Kanal.BESOK, Kanal.MUNTLIGT]  # fmt: skip
SOURCES = [Kalla.BRUKARE, Kalla.BRUKARE, Kalla.BRUKARE, Kalla.NARSTAENDE, Kalla.NARSTAENDE,
           Kalla.PERSONAL, Kalla.VARDGIVARE, Kalla.ANNAN_UTFORARE, Kalla.MYNDIGHET,
           Kalla.FORENING]  # fmt: skip


def _at(day: object) -> datetime:
    return datetime.combine(day, time(10, 0), tzinfo=STOCKHOLM)  # type: ignore[arg-type]


def seed(ctx: DemoContext) -> None:
    registrator = ctx.users.get("registrator")
    if registrator is None or not ctx.enheter:
        return
    themes = {
        e.label: e.id
        for e in db.session.scalars(select(ListEntry).where(ListEntry.list_key == THEME_LIST))
    }
    rng = ctx.rng
    enheter = ctx.enheter
    previously = clock._frozen
    kinds = [k for k, w in WEIGHTS for _ in range(w)]
    try:
        days = sorted(rng.sample(range(0, 720), 70), reverse=True)
        for days_ago in days:
            received = ctx.today - timedelta(days=days_ago)
            unit = rng.choice(enheter)
            typ = rng.choice(kinds)
            theme, text = rng.choice(TEXTS[typ])
            kanal = rng.choice(CHANNELS)
            anonymous = rng.random() < 0.25
            chef = ctx.chefs.get(unit.name)
            clock.freeze(_at(received))
            if kanal == Kanal.E_TJANST:
                item = ops.public_submit(
                    unit_id=unit.id, typ=typ, description=text, kalla=rng.choice(SOURCES),
                    contact="" if anonymous else "Kontakt via e-post",
                )  # fmt: skip
                if days_ago > 1:
                    clock.freeze(_at(add_working_days(received, 1)))
                    ops.route(item, registrator)
                else:
                    continue
            elif kanal == Kanal.MUNTLIGT and ctx.staff.get(unit.name):
                item = ops.register_oral(rng.choice(ctx.staff[unit.name]), unit=unit, typ=typ,
                                         description=text, theme_id=themes.get(theme),
                                         anonymous=anonymous)  # fmt: skip
            else:
                item = ops.register(
                    registrator, unit=unit, typ=typ, kalla=rng.choice(SOURCES), kanal=kanal,
                    description=text, received_date=received, theme_id=themes.get(theme),
                    anonymous=anonymous, contact_name="" if anonymous else "Namn Efternamn",
                    contact_info="" if anonymous else "Adress i diariet",
                    health_care=rng.random() < 0.1,
                )  # fmt: skip
            if item.theme_id is None and themes.get(theme):
                ops.classify(item, registrator, theme_id=themes[theme])
            if chef is None or item.anonymous:
                if days_ago > 30 and chef is not None and rng.random() < 0.7:
                    clock.freeze(_at(received + timedelta(days=rng.randint(3, 20))))
                    ops.close_without_answer(item, chef, reason="Anonym, ingen att svara. "
                                             "Togs upp på APT.")  # fmt: skip
                continue
            ack_after = rng.choice([1, 1, 2, 2, 3, 5])
            ack_day = add_working_days(received, ack_after)
            if ack_day >= ctx.today:
                continue
            clock.freeze(_at(ack_day))
            ops.acknowledge(item, chef, method=rng.choice([SvarSatt.BREV, SvarSatt.E_POST,
                                                           SvarSatt.TELEFON]))  # fmt: skip
            answer_day = add_working_days(received, rng.choice([4, 6, 8, 9, 10, 10, 12, 15, 22]))
            if answer_day >= ctx.today:
                continue
            clock.freeze(_at(answer_day))
            ops.answer(
                item, chef, method=rng.choice([SvarSatt.BREV, SvarSatt.E_POST, SvarSatt.MOTE]),
                text="Tack för att du hörde av dig. Vi har gått igenom det du beskriver och "
                "förklarat hur vi arbetar.",
                explanation="Togs upp på arbetsplatsträff; rutinen förtydligades."
                if typ == SynpunktTyp.KLAGOMAL else "",
            )  # fmt: skip
    finally:
        clock.freeze(previously)
