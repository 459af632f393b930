"""Kvalitetsberättelse pages: reports, the live draft with what is missing, Word/PDF, frozen
versions, and writing a narrative text."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required

from kvalitet.core.errors import OperationError
from kvalitet.core.periods import current_quality_year, quality_year, recent_quality_years
from kvalitet.extensions import db
from kvalitet.items.queries import load_item
from kvalitet.org.models import Unit
from kvalitet.rapport import operations as ops
from kvalitet.rapport.document import (
    compile_document,
    missing_texts,
    texts_of,
    toc,
    unit_facts,
)
from kvalitet.rapport.forms import FreezeForm, InledningForm, StartForm, TextForm
from kvalitet.rapport.models import Berattelsetext, Kvalitetsberattelse, RapportVersion
from kvalitet.rapport.render import chart_data_uri, docx_bytes, pdf_bytes

bp = Blueprint("rapport", __name__, url_prefix="/kvalitetsberattelse")

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _report(rapport_id: int) -> Kvalitetsberattelse:
    rapport = db.session.get(Kvalitetsberattelse, rapport_id)
    if rapport is None or not ops.may_view_frozen(current_user, rapport):
        abort(404)
    return rapport


def _draft_report(rapport_id: int) -> Kvalitetsberattelse:
    rapport = _report(rapport_id)
    if not ops.may_view_draft(current_user, rapport):
        abort(404)
    return rapport


def _version(version_id: int) -> RapportVersion:
    version = db.session.get(RapportVersion, version_id)
    if version is None or not ops.may_view_frozen(current_user, version.rapport):
        abort(404)
    return version


def _filename(doc: dict[str, Any], suffix: str) -> str:
    name = f"Kvalitetsberattelse_{doc['period']['label'].replace('/', '-')}_{suffix}"
    table = str.maketrans("åäöÅÄÖ ", "aaoAAO_")
    return name.translate(table)


def _start_form() -> StartForm:
    form = StartForm()
    form.unit.choices = [(u.id, u.name) for u in ops.manageable_units(current_user)]
    current = current_quality_year()
    years = [current, *recent_quality_years(5)[1:]]
    form.year.choices = [(p.start.year, p.label) for p in years]
    if not form.is_submitted():
        form.year.data = current.previous_year().start.year
    return form


@bp.route("/")
@login_required
def index() -> Any:
    reports = ops.visible_reports(current_user)
    rows = []
    for r in reports:
        rows.append(
            {
                "rapport": r,
                "label": quality_year(r.first_year).label,
                "versions": ops.versions(r),
                "draft": ops.may_view_draft(current_user, r),
                "missing": len(missing_texts(r)) if ops.may_view_draft(current_user, r) else 0,
            }
        )
    form = _start_form()
    return render_template("rapport/index.html", rows=rows, form=form)


@bp.route("/ny", methods=["POST"])
@login_required
def start() -> Any:
    form = _start_form()
    if not form.unit.choices:
        abort(403)
    if form.validate_on_submit():
        unit = db.session.get(Unit, form.unit.data)
        try:
            rapport = ops.start_report(current_user, unit, form.year.data)  # type: ignore[arg-type]
        except OperationError as error:
            form.unit.errors = [error.message]
        else:
            flash("Kvalitetsberättelsen är startad och texterna är beställda.", "success")
            return redirect(url_for("rapport.draft", rapport_id=rapport.id))
    reports = ops.visible_reports(current_user)
    rows = [
        {
            "rapport": r,
            "label": quality_year(r.first_year).label,
            "versions": ops.versions(r),
            "draft": ops.may_view_draft(current_user, r),
            "missing": 0,
        }
        for r in reports
    ]
    return render_template("rapport/index.html", rows=rows, form=form), 422


@bp.route("/<int:rapport_id>")
@login_required
def draft(rapport_id: int) -> Any:
    rapport = _report(rapport_id)
    if not ops.may_view_draft(current_user, rapport):
        # The read-only nämnd role sees frozen versions only.
        latest = ops.versions(rapport)
        if latest:
            return redirect(url_for("rapport.version", version_id=latest[0].id))
        abort(404)
    doc = compile_document(rapport, current_user)
    manage = ops.may_manage(current_user, rapport.unit)
    texts = sorted(texts_of(rapport).values(), key=lambda t: (t.unit.path, t.block_typ, t.id))
    return render_template(
        "rapport/draft.html",
        rapport=rapport,
        doc=doc,
        toc=toc(doc),
        texts=texts,
        versions=ops.versions(rapport),
        manage=manage,
        freeze_form=FreezeForm(),
        intro_form=InledningForm(inledning=rapport.inledning),
        chart_uri=chart_data_uri,
    )


@bp.route("/<int:rapport_id>/inledning", methods=["POST"])
@login_required
def inledning(rapport_id: int) -> Any:
    rapport = _draft_report(rapport_id)
    form = InledningForm()
    if form.validate_on_submit():
        try:
            ops.save_inledning(current_user, rapport, form.inledning.data or "")
        except OperationError as error:
            flash(error.message, "danger")
        else:
            flash("Inledningen är sparad.", "success")
    else:
        flash(" ".join(e for errs in form.errors.values() for e in errs), "danger")
    return redirect(url_for("rapport.draft", rapport_id=rapport.id))


@bp.route("/<int:rapport_id>/texter", methods=["POST"])
@login_required
def order_texts(rapport_id: int) -> Any:
    """Order texts for avdelningar or quality areas added since the report was started."""
    rapport = _draft_report(rapport_id)
    if not ops.may_manage(current_user, rapport.unit):
        abort(403)
    ops.start_report(current_user, rapport.unit, rapport.first_year)
    flash("Texter som saknades har beställts.", "success")
    return redirect(url_for("rapport.draft", rapport_id=rapport.id))


@bp.route("/<int:rapport_id>/utkast.<fmt>")
@login_required
def draft_file(rapport_id: int, fmt: str) -> Any:
    rapport = _draft_report(rapport_id)
    doc = compile_document(rapport, current_user)
    return _file(doc, fmt, "utkast", None)


def _render(doc: dict[str, Any], fmt: str, version: RapportVersion | None) -> bytes:
    if fmt == "docx":
        return docx_bytes(doc, version)
    return pdf_bytes(doc, version=version, chart_uri=chart_data_uri)


def _cached(version: RapportVersion, fmt: str, doc: dict[str, Any]) -> bytes:
    """A frozen version never changes, so its Word and PDF are rendered once and kept in
    the instance folder (named by version id and checksum)."""
    directory = Path(current_app.instance_path) / "kvalitetsberattelse"
    path = directory / f"v{version.id}-{version.sha256[:16]}.{fmt}"
    if path.exists():
        return path.read_bytes()
    data = _render(doc, fmt, version)
    with contextlib.suppress(OSError):
        directory.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(f".{fmt}.tmp{os.getpid()}")
        temporary.write_bytes(data)
        temporary.replace(path)
    return data


def _file(doc: dict[str, Any], fmt: str, suffix: str, version: RapportVersion | None) -> Any:
    if fmt not in ("docx", "pdf"):
        abort(404)
    data = _cached(version, fmt, doc) if version is not None else _render(doc, fmt, None)
    mimetype = DOCX_TYPE if fmt == "docx" else "application/pdf"
    return Response(
        data,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{_filename(doc, suffix)}.{fmt}"'},
    )


@bp.route("/<int:rapport_id>/frys", methods=["POST"])
@login_required
def freeze(rapport_id: int) -> Any:
    rapport = _draft_report(rapport_id)
    form = FreezeForm()
    if not ops.may_manage(current_user, rapport.unit):
        abort(403)
    if form.validate_on_submit():
        try:
            version = ops.freeze(current_user, rapport, form.comment.data or "")
        except OperationError as error:
            flash(error.message, "danger")
        else:
            flash(f"Version {version.number} är fryst.", "success")
            return redirect(url_for("rapport.version", version_id=version.id))
    else:
        flash(" ".join(e for errs in form.errors.values() for e in errs), "danger")
    return redirect(url_for("rapport.draft", rapport_id=rapport.id))


@bp.route("/version/<int:version_id>")
@login_required
def version(version_id: int) -> Any:
    v = _version(version_id)
    doc = ops.version_content(v)
    return render_template(
        "rapport/version.html",
        v=v,
        doc=doc,
        toc=toc(doc),
        ok=ops.verify(v),
        versions=ops.versions(v.rapport),
        draft=ops.may_view_draft(current_user, v.rapport),
        chart_uri=chart_data_uri,
    )


@bp.route("/version/<int:version_id>.<fmt>")
@login_required
def version_file(version_id: int, fmt: str) -> Any:
    v = _version(version_id)
    return _file(ops.version_content(v), fmt, f"version{v.number}", v)


@bp.route("/text/<ref>", methods=["GET", "POST"])
@login_required
def text(ref: str) -> Any:
    block = load_item(ref, current_user, Berattelsetext)
    form = TextForm(text=block.text, version=str(block.version))
    status = 200
    if request.method == "POST":
        form = TextForm()
        if form.validate_on_submit():
            raw = form.version.data or ""
            try:
                ops.save_text(
                    current_user,
                    block,
                    form.text.data or "",
                    int(raw) if raw.isdigit() else None,
                )
            except OperationError as error:
                form.text.errors = [error.message]
                status = 422
            else:
                flash("Texten är sparad.", "success")
                return redirect(url_for("rapport.text", ref=block.ref))
        else:
            status = 422
    return render_template(
        "rapport/text.html",
        item=block,
        form=form,
        may_edit=ops.can(current_user, "edit", block),
        facts=unit_facts(block.rapport, block.unit) if block.unit.kind == "avdelning" else [],
        draft=ops.may_view_draft(current_user, block.rapport),
        chart_uri=chart_data_uri,
        year_label=quality_year(block.rapport.first_year).label,
        hide_generic_steps=False,
    ), status
