"""`flask statistik-summering` and `flask statistik-kontroll`: rebuild and check the
statistics summary (kvalitet.core.summary)."""

from __future__ import annotations

import time

import click
from flask import Flask

from kvalitet.core import summary
from kvalitet.core.periods import current_quality_year, parse_quality_year


def register(app: Flask) -> None:
    @app.cli.command("statistik-summering")
    @click.option("--slag", "kinds", multiple=True, help="Bara detta ärendeslag (t.ex. AVV).")
    def rebuild(kinds: tuple[str, ...]) -> None:
        """Bygg om statistiksammanställningen från ärendena (säker att köra flera gånger).
        Kör efter import eller återläsning som gått förbi applikationen."""
        started = time.perf_counter()
        written = summary.rebuild(list(kinds) or None)
        click.echo(
            f"{written} rader i statistiksammanställningen ({time.perf_counter() - started:.1f} s)."
        )

    @app.cli.command("statistik-kontroll")
    @click.option("--ar", "year", help="Kvalitetsår, t.ex. 2025/26 (standard: innevarande).")
    @click.option("--laga", is_flag=True, help="Räkna om de rader som skiljer sig.")
    def check(year: str | None, laga: bool) -> None:
        """Jämför statistiksammanställningen med ärendena för ett kvalitetsår."""
        period = parse_quality_year(year) if year else current_quality_year()
        if period is None:
            raise click.BadParameter("Ange kvalitetsåret som 2025/26.", param_hint="--ar")
        wrong = summary.differences(period)
        for kind, unit_id, month in wrong:
            click.echo(f"Skiljer sig: {kind} enhet {unit_id} {month:%Y-%m}")
        if wrong and laga:
            summary.recount(wrong)
            click.echo(f"{len(wrong)} rader omräknade.")
        elif not wrong:
            click.echo(f"Statistiksammanställningen stämmer för {period.label}.")
        else:
            raise SystemExit(1)
