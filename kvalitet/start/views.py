"""The start page's parts: the role panels above Mina ärenden (the page login lands on) and
the "Rapportera" chooser that the header's big button opens on every screen size."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, render_template
from flask_login import current_user, login_required

from kvalitet.core.errors import NotFound
from kvalitet.core.roles import Role
from kvalitet.start import queries

bp = Blueprint("start", __name__)

# What anyone may report, in the order a person meets them.
REPORT_CHOICES = (
    ("avvikelser.new", "Avvikelse", "Något gick fel eller kunde ha gått fel i verksamheten."),
    ("lexsarah.new", "Lex Sarah",
     "Ett missförhållande eller en påtaglig risk för ett missförhållande för den enskilde."),
    ("synpunkter.oral", "Synpunkt eller klagomål",
     "Någon har framfört beröm, ett klagomål eller ett förslag till dig muntligt."),
)  # fmt: skip


@bp.app_template_global("start_overview")
def start_overview() -> dict[str, Any]:
    """The role panels of the start page for the logged-in user."""
    return queries.overview(current_user)


@bp.app_template_global("sees_aggregates_only")
def sees_aggregates_only() -> bool:
    """Does the user's role see only statistics (läsare), no single items? Empty lists say
    so, instead of suggesting that there is nothing."""
    roles = {ra.role for ra in current_user.roles} if current_user.is_authenticated else set()
    return bool(roles) and roles <= {Role.LASARE}


# Help pages per kind, in plain Swedish: what the law asks and what each step means.
HELP_PAGES = {
    "avvikelse": "Avvikelser",
    "lexsarah": "Lex Sarah",
    "synpunkt": "Synpunkter och klagomål",
    "atgard": "Förbättringsåtgärder",
    "riskanalys": "Riskanalys",
    "egenkontroll": "Egenkontroll",
    "lexmaria": "Lex Maria",
}


@bp.route("/hjalp/")
def help_index() -> Any:
    return render_template("start/hjalp/index.html", pages=HELP_PAGES)


@bp.route("/hjalp/<kind>")
def help_page(kind: str) -> Any:
    if kind not in HELP_PAGES:
        raise NotFound()
    return render_template(f"start/hjalp/{kind}.html", title=HELP_PAGES[kind], pages=HELP_PAGES)


@bp.route("/rapportera")
@login_required
def report() -> Any:
    return render_template("start/report.html", choices=REPORT_CHOICES, help=HELP_LINKS)


# The help page of each report choice (its endpoint).
HELP_LINKS = {"avvikelser.new": "avvikelse", "lexsarah.new": "lexsarah",
              "synpunkter.oral": "synpunkt"}  # fmt: skip


# The date the e-tjänst was last assessed (tests/a11y: axe-core over every page) and this
# statement last reviewed; change both when the statement is reviewed again.
A11Y_REVIEWED = "2026-12-01"


@bp.route("/tillganglighet")
def accessibility() -> Any:
    """Tillgänglighetsredogörelse per DIGG's model (lagen (2018:1937) om tillgänglighet till
    digital offentlig service), public like the e-tjänst it covers."""
    return render_template(
        "start/tillganglighet.html",
        contact=current_app.config.get("TILLGANGLIGHET_KONTAKT", ""),
        reviewed=A11Y_REVIEWED,
    )
