"""Kvalitetsberättelse pages: reports, the live draft with what is missing, Word/PDF, frozen
versions, and writing a narrative text."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user, login_required

from kvalitet.core.errors import OperationError
from kvalitet.core.periods import current_quality_year, quality_year
from kvalitet.extensions import db
from kvalitet.items.queries import load_item
from kvalitet.org.models import Unit
from kvalitet.rapport import assets, jobs
from kvalitet.rapport import operations as ops
from kvalitet.rapport.document import (
    compile_document,
    missing_texts,
    texts_of,
    toc,
    unit_facts,
)
from kvalitet.rapport.forms import (
    ConfirmFreezeForm,
    DetailsForm,
    FreezeForm,
    InledningForm,
    StartForm,
    TemplateForm,
    TextForm,
)
from kvalitet.rapport.models import Berattelsetext, Kvalitetsberattelse, RapportVersion
from kvalitet.rapport.render import chart_data_uri

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
    current = current_quality_year()  # the years offered: forms.report_years()
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


def _draft_page(
    rapport: Kvalitetsberattelse,
    status: int = 200,
    check: dict[str, Any] | None = None,
    confirm_form: ConfirmFreezeForm | None = None,
    freeze_form: FreezeForm | None = None,
) -> Any:
    doc = compile_document(rapport, current_user)
    manage = ops.may_manage(current_user, rapport.unit)
    texts = sorted(texts_of(rapport).values(), key=lambda t: (t.unit.path, t.block_typ, t.id))
    details = DetailsForm(
        diarienummer=rapport.diarienummer,
        beslutsdatum=rapport.beslutsdatum,
        numrerade_rubriker=rapport.numrerade_rubriker,
        bilaga_statistik=rapport.bilaga_statistik,
    )
    return render_template(
        "rapport/draft.html",
        rapport=rapport,
        doc=doc,
        toc=toc(doc),
        texts=texts,
        versions=ops.versions(rapport),
        manage=manage,
        freeze_form=freeze_form or FreezeForm(),
        confirm_form=confirm_form,
        check=check,
        intro_form=InledningForm(inledning=rapport.inledning),
        details_form=details,
        template_form=TemplateForm(),
        own_template=assets.has_own_template(rapport.unit_id),
        chart_uri=chart_data_uri,
    ), status


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
    return _draft_page(rapport)


@bp.route("/<int:rapport_id>/uppgifter", methods=["POST"])
@login_required
def details(rapport_id: int) -> Any:
    rapport = _draft_report(rapport_id)
    form = DetailsForm()
    if form.validate_on_submit():
        try:
            ops.save_details(
                current_user,
                rapport,
                diarienummer=form.diarienummer.data or "",
                beslutsdatum=form.beslutsdatum.data,
                numrerade_rubriker=bool(form.numrerade_rubriker.data),
                bilaga_statistik=bool(form.bilaga_statistik.data),
            )
        except OperationError as error:
            flash(error.message, "danger")
        else:
            flash("Dokumentuppgifterna är sparade.", "success")
    else:
        flash(" ".join(e for errs in form.errors.values() for e in errs), "danger")
    return redirect(url_for("rapport.draft", rapport_id=rapport.id))


@bp.route("/<int:rapport_id>/mall", methods=["POST"])
@login_required
def template(rapport_id: int) -> Any:
    """Upload (or remove) the förvaltning's own Word template and logo."""
    rapport = _draft_report(rapport_id)
    form = TemplateForm()
    if not form.validate_on_submit():
        abort(400)
    remove = request.form.get("ta_bort") == "1"
    template_data = form.mall.data.read() if form.mall.data else None
    logo_data = form.logo.data.read() if form.logo.data else None
    try:
        ops.save_template(current_user, rapport.unit, template_data, logo_data, remove=remove)
    except OperationError as error:
        flash(error.message, "danger")
    else:
        flash("Dokumentmallen är borttagen." if remove else "Dokumentmallen är sparad.",
              "success")  # fmt: skip
    return redirect(url_for("rapport.draft", rapport_id=rapport.id))


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
    """The draft as a file, rendered in this request (the page uses the background job)."""
    rapport = _draft_report(rapport_id)
    if fmt not in jobs.FORMATS:
        abort(404)
    doc = compile_document(rapport, current_user)
    return _send(jobs.draft_bytes(rapport, doc, fmt), fmt, _filename(doc, "utkast"))


def _send(data: bytes, fmt: str, name: str) -> Any:
    mimetype = DOCX_TYPE if fmt == "docx" else "application/pdf"
    return Response(
        data,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"'},
    )


@bp.route("/<int:rapport_id>/skapa/<fmt>", methods=["POST"])
@login_required
def draft_job(rapport_id: int, fmt: str) -> Any:
    rapport = _draft_report(rapport_id)
    if fmt not in jobs.FORMATS:
        abort(404)
    job = jobs.start("draft", rapport.id, fmt, current_user)
    return redirect(url_for("rapport.job", job=job))


@bp.route("/version/<int:version_id>/skapa/<fmt>", methods=["POST"])
@login_required
def version_job(version_id: int, fmt: str) -> Any:
    v = _version(version_id)
    if fmt not in jobs.FORMATS:
        abort(404)
    job = jobs.start("version", v.id, fmt, current_user)
    return redirect(url_for("rapport.job", job=job))


def _job_target(job: str) -> tuple[str, Any, str]:
    """The job's target if the user may see it (404 otherwise, also for unknown jobs)."""
    parsed = jobs.parse_job_id(job)
    if parsed is None or jobs.state(job) is None:
        abort(404)
    target, ident, fmt = parsed
    if target == "version":
        return target, _version(ident), fmt
    return target, _draft_report(ident), fmt


@bp.route("/jobb/<job>")
@login_required
def job(job: str) -> Any:
    target, obj, fmt = _job_target(job)
    rapport = obj.rapport if target == "version" else obj
    back = (url_for("rapport.version", version_id=obj.id) if target == "version"
            else url_for("rapport.draft", rapport_id=obj.id))  # fmt: skip
    return render_template(
        "rapport/job.html",
        job=job,
        state=jobs.state(job) or {},
        label=jobs.LABELS[fmt],
        title=f"Kvalitetsberättelse {quality_year(rapport.first_year).label}",
        what=f"version {obj.number}" if target == "version" else "utkastet",
        back=back,
    )


@bp.route("/jobb/<job>.json")
@login_required
def job_status(job: str) -> Any:
    _job_target(job)
    current = jobs.state(job) or {}
    done = current.get("state") == "done"
    return jsonify(
        state=current.get("state", "error"),
        percent=int(current.get("percent", 0)),
        message=current.get("message", ""),
        url=url_for("rapport.job_file", job=job) if done else None,
    )


@bp.route("/jobb/<job>/fil")
@login_required
def job_file(job: str) -> Any:
    target, obj, fmt = _job_target(job)
    path = jobs.result_path(job)
    if path is None:
        return redirect(url_for("rapport.job", job=job))
    rapport = obj.rapport if target == "version" else obj
    label = quality_year(rapport.first_year).label.replace("/", "-")
    suffix = f"version{obj.number}" if target == "version" else "utkast"
    return send_file(
        path,
        mimetype=DOCX_TYPE if fmt == "docx" else "application/pdf",
        as_attachment=True,
        download_name=f"Kvalitetsberattelse_{label}_{suffix}.{fmt}",
    )


@bp.route("/<int:rapport_id>/frys", methods=["POST"])
@login_required
def freeze(rapport_id: int) -> Any:
    """Freeze a version. When something is missing the page shows what, and freezing needs
    the confirmation and a reason (kept in the version)."""
    rapport = _draft_report(rapport_id)
    form = FreezeForm()
    if not ops.may_manage(current_user, rapport.unit):
        abort(403)
    confirm = ConfirmFreezeForm()
    if form.validate_on_submit() and confirm.validate():
        try:
            version = ops.freeze(
                current_user,
                rapport,
                form.comment.data or "",
                confirm=bool(confirm.confirm.data),
                reason=confirm.reason.data or "",
            )
        except ops.FreezeNeedsConfirmation as needs:
            field = confirm.confirm if needs.field == "confirm" else confirm.reason
            if request.form.get("steg") == "bekrafta":
                field.errors = [needs.message]
            return _draft_page(rapport, 422, check=needs.check, confirm_form=confirm,
                               freeze_form=form)  # fmt: skip
        except OperationError as error:
            flash(error.message, "danger")
        else:
            flash(f"Version {version.number} är fryst.", "success")
            return redirect(url_for("rapport.version", version_id=version.id))
    else:
        errors = {**form.errors, **confirm.errors}
        flash(" ".join(e for errs in errors.values() for e in errs), "danger")
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
        ready={fmt: jobs.version_file(v, fmt).exists() for fmt in jobs.FORMATS},
        chart_uri=chart_data_uri,
    )


@bp.route("/version/<int:version_id>.<fmt>")
@login_required
def version_file(version_id: int, fmt: str) -> Any:
    """A frozen version's file: rendered the first time, the kept file afterwards."""
    v = _version(version_id)
    if fmt not in jobs.FORMATS:
        abort(404)
    doc = ops.version_content(v)
    return _send(jobs.cached_version_bytes(v, fmt), fmt, _filename(doc, f"version{v.number}"))


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
