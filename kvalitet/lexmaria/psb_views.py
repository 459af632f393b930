"""The patientsäkerhetsberättelse pages: start a year, the live draft with its chapter texts,
Word and PDF (rapport's renderers), freezing, frozen versions and the chapter text tasks."""

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
from sqlalchemy import select

from kvalitet.core import clock
from kvalitet.core.errors import Forbidden, OperationError
from kvalitet.extensions import db
from kvalitet.items.queries import load_item
from kvalitet.lexmaria import forms, operations
from kvalitet.lexmaria.document import compile_document as compile_psb
from kvalitet.lexmaria.document import texts_of
from kvalitet.lexmaria.models import Patientsakerhetsberattelse, PsbAvsnitt, PsbText, PsbVersion
from kvalitet.org.models import Unit, UnitKind
from kvalitet.rapport.document import toc
from kvalitet.rapport.render import chart_data_uri, docx_bytes, pdf_bytes

bp = Blueprint("psb", __name__, url_prefix="/patientsakerhetsberattelse")

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _berattelse(psb_id: int, manage: bool = True) -> Patientsakerhetsberattelse:
    berattelse = db.session.get(Patientsakerhetsberattelse, psb_id)
    if berattelse is None:
        abort(404)
    allowed = (
        operations.may_manage_psb(current_user, berattelse.unit)
        if manage
        else operations.may_view_psb_frozen(current_user, berattelse)
    )
    if not allowed:
        abort(404)
    return berattelse


def _psb_units() -> list[Unit]:
    units = db.session.scalars(
        select(Unit)
        .where(Unit.kind == UnitKind.FORVALTNING, Unit.active.is_(True))
        .order_by(Unit.name)
    ).all()
    return [u for u in units if operations.may_manage_psb(current_user, u)]


@bp.route("/")
@login_required
def index() -> Any:
    reports = [
        r
        for r in db.session.scalars(
            select(Patientsakerhetsberattelse).order_by(Patientsakerhetsberattelse.year.desc())
        )
        if operations.may_view_psb_frozen(current_user, r)
    ]
    units = _psb_units()
    if not reports and not units:
        abort(403)
    form = forms.PsbStartForm()
    form.unit_id.choices = [(u.id, u.name) for u in units]
    last = clock.today().year - 1
    form.year.choices = [(y, str(y)) for y in range(last + 1, last - 4, -1)]
    form.year.data = last
    return render_template(
        "lexmaria/psb_index.html",
        reports=reports,
        form=form,
        may_start=bool(units),
        versions={r.id: operations.psb_versions(r) for r in reports},
        manage={r.id: operations.may_manage_psb(current_user, r.unit) for r in reports},
    )


@bp.route("/ny", methods=["POST"])
@login_required
def start() -> Any:
    form = forms.PsbStartForm()
    form.unit_id.choices = [(u.id, u.name) for u in _psb_units()]
    if not form.validate_on_submit():
        abort(400)
    try:
        berattelse = operations.start_berattelse(
            current_user, db.session.get(Unit, form.unit_id.data), int(form.year.data or 0)
        )
    except OperationError as exc:
        db.session.rollback()
        if isinstance(exc, Forbidden):
            abort(403)
        flash(exc.message, "danger")
        return redirect(url_for("psb.index"))
    flash("Patientsäkerhetsberättelsen är startad och texterna är beställda.", "success")
    return redirect(url_for("psb.draft", psb_id=berattelse.id))


@bp.route("/<int:psb_id>")
@login_required
def draft(psb_id: int) -> Any:
    berattelse = _berattelse(psb_id)
    doc = compile_psb(berattelse, current_user)
    return render_template(
        "lexmaria/psb_draft.html",
        b=berattelse,
        doc=doc,
        toc=toc(doc),
        texts=sorted(
            texts_of(berattelse).values(),
            key=lambda t: list(PsbAvsnitt).index(PsbAvsnitt(t.avsnitt)),
        ),
        versions=operations.psb_versions(berattelse),
        form=forms.PsbFreezeForm(),
        chart_uri=chart_data_uri,
    )


def _render_file(doc: dict[str, Any], fmt: str, version: PsbVersion | None) -> bytes:
    if fmt == "docx":
        return docx_bytes(doc, version)
    return pdf_bytes(doc, version=version, chart_uri=chart_data_uri)


def _file(doc: dict[str, Any], fmt: str, suffix: str, version: PsbVersion | None) -> Any:
    if fmt not in ("docx", "pdf"):
        abort(404)
    data: bytes
    if version is None:
        data = _render_file(doc, fmt, None)
    else:
        # A frozen version never changes: render it once and keep it by id and checksum.
        directory = Path(current_app.instance_path) / "patientsakerhetsberattelse"
        path = directory / f"v{version.id}-{version.sha256[:16]}.{fmt}"
        if path.exists():
            data = path.read_bytes()
        else:
            data = _render_file(doc, fmt, version)
            with contextlib.suppress(OSError):
                directory.mkdir(parents=True, exist_ok=True)
                temporary = path.with_suffix(f".{fmt}.tmp{os.getpid()}")
                temporary.write_bytes(data)
                temporary.replace(path)
    name = f"patientsakerhetsberattelse-{doc['period']['label']}-{suffix}.{fmt}"
    return Response(
        data,
        mimetype=DOCX_TYPE if fmt == "docx" else "application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.route("/<int:psb_id>/utkast.<fmt>")
@login_required
def draft_file(psb_id: int, fmt: str) -> Any:
    return _file(compile_psb(_berattelse(psb_id), current_user), fmt, "utkast", None)


@bp.route("/<int:psb_id>/frys", methods=["POST"])
@login_required
def freeze(psb_id: int) -> Any:
    berattelse = _berattelse(psb_id)
    form = forms.PsbFreezeForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        version = operations.freeze_berattelse(current_user, berattelse, form.comment.data or "")
    except OperationError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        return redirect(url_for("psb.draft", psb_id=psb_id))
    flash(f"Version {version.number} är fryst.", "success")
    return redirect(url_for("psb.version", version_id=version.id))


def _version(version_id: int) -> PsbVersion:
    version = db.session.get(PsbVersion, version_id)
    if version is None or not operations.may_view_psb_frozen(current_user, version.berattelse):
        abort(404)
    return version


@bp.route("/version/<int:version_id>")
@login_required
def version(version_id: int) -> Any:
    v = _version(version_id)
    doc = operations.psb_version_content(v)
    return render_template(
        "lexmaria/psb_version.html",
        v=v,
        doc=doc,
        toc=toc(doc),
        ok=operations.psb_verify(v),
        versions=operations.psb_versions(v.berattelse),
        chart_uri=chart_data_uri,
        draft=operations.may_manage_psb(current_user, v.berattelse.unit),
    )


@bp.route("/version/<int:version_id>.<fmt>")
@login_required
def version_file(version_id: int, fmt: str) -> Any:
    v = _version(version_id)
    return _file(operations.psb_version_content(v), fmt, f"version{v.number}", v)


@bp.route("/text/<ref>", methods=["GET", "POST"])
@login_required
def text(ref: str) -> Any:
    block = load_item(ref, current_user, PsbText)
    form = forms.PsbTextForm(text=block.text, version=str(block.version))
    status = 200
    if request.method == "POST":
        form = forms.PsbTextForm()
        status = 422
        if form.validate_on_submit():
            raw = form.version.data or ""
            try:
                operations.save_psb_text(
                    current_user, block, form.text.data or "", int(raw) if raw.isdigit() else None
                )
            except OperationError as exc:
                db.session.rollback()
                block = load_item(ref, current_user, PsbText)
                form.text.errors = [exc.message]
            else:
                flash("Texten är sparad.", "success")
                return redirect(url_for("psb.text", ref=block.ref))
    return render_template(
        "lexmaria/psb_text.html",
        item=block,
        form=form,
        may_edit=operations.can(current_user, "edit", block),
        draft=operations.may_manage_psb(current_user, block.berattelse.unit),
        hide_generic_steps=False,
    ), status
