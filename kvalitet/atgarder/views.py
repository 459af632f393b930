"""Förbättringsåtgärder: detail page (list, forms and exports are built in issue 3)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template
from flask_login import current_user, login_required

from kvalitet.atgarder.models import Atgard
from kvalitet.items.queries import load_item

bp = Blueprint("atgarder", __name__, url_prefix="/atgarder")


@bp.route("/<ref>")
@login_required
def detail(ref: str) -> Any:
    item = load_item(ref, current_user, Atgard)
    return render_template("atgarder/detail.html", item=item)
