"""Demo: the kvalitetsberättelse of the quality year that has ended, with some texts written
(a few klar, some utkast, the rest not started) so the draft shows what is missing, and the
one of the year before frozen as version 1."""

from __future__ import annotations

from typing import Any

from flask import current_app
from sqlalchemy import select

from kvalitet.core.periods import current_quality_year
from kvalitet.core.workflow import run_transition
from kvalitet.extensions import db
from kvalitet.rapport import operations as ops
from kvalitet.rapport.models import Berattelsetext, BlockTyp

TEXTS = {
    "Kunskapsbaserad verksamhet": (
        "Utredningarna följer BBIC och handläggarna har fått handledning i strukturerad "
        "bedömning. Egenkontrollen av journalerna visar att bedömningen oftare motiveras med "
        "stöd i kunskap än förra året.\n\nFortfarande saknas ibland en tydlig analys av "
        "barnets behov i förhållande till de insatser som föreslås."
    ),
    "Trygghet och säkerhet": (
        "Antalet avvikelser om sekretess har minskat efter utbildningen i våras. Avvikelserna "
        "om hot och våld har analyserats tillsammans med skyddsombud och rutinen för "
        "hembesök har uppdaterats."
    ),
    "Tillgänglighet": (
        "Mottagningen har haft långa svarstider i telefon under sommaren. Synpunkterna om "
        "tillgänglighet har ökat och besvarades i tid i de flesta fall."
    ),
}
FORBATTRINGSOMRADEN = (
    "Analysen av barnets behov i utredningarna.\n\nTelefontillgängligheten i mottagningen, "
    "särskilt under semesterperioden.\n\nUppföljningen av förbättringsåtgärdernas effekt."
)


def _write(ctx: Any, rapport: Any, avd: Any, done: bool) -> None:
    texts = db.session.scalars(
        select(Berattelsetext).where(
            Berattelsetext.rapport_id == rapport.id, Berattelsetext.block_unit_id == avd.id
        )
    ).all()
    writer = ctx.users["kvalitet"]
    for text in texts:
        if text.block_typ == BlockTyp.FORBATTRINGSOMRADEN:
            body = FORBATTRINGSOMRADEN
        elif text.area is not None and text.area.name in TEXTS:
            body = TEXTS[text.area.name]
        else:
            continue
        ops.save_text(writer, text, body)
        if done:
            run_transition(text, "klar", writer)


def seed(ctx: Any) -> None:
    # The demo is one unit of work, not committed yet: the statistics must be read in this
    # session, not in worker threads with their own connections.
    workers = current_app.config.get("RAPPORT_STATS_WORKERS", 2)
    current_app.config["RAPPORT_STATS_WORKERS"] = 1
    try:
        _seed(ctx)
    finally:
        current_app.config["RAPPORT_STATS_WORKERS"] = workers


def _seed(ctx: Any) -> None:
    forv = ctx.units.get("Socialförvaltning Centrum")
    avd = ctx.units.get("Avdelning Barn och unga")
    kvalitet = ctx.users.get("kvalitet")
    if forv is None or avd is None or kvalitet is None:
        return
    ended = current_quality_year().previous_year()
    before = ended.previous_year()
    # The year before: written and frozen.
    old = ops.start_report(kvalitet, forv, before.start.year)
    _write(ctx, old, avd, done=True)
    _write(ctx, old, forv, done=True)
    ops.freeze(
        kvalitet,
        old,
        "Till socialnämndens sammanträde",
        confirm=True,
        reason="Demodata: alla avdelningar har inte skrivit sina texter.",
    )
    # The year that has just ended: work in progress.
    current = ops.start_report(kvalitet, forv, ended.start.year)
    _write(ctx, current, avd, done=False)
