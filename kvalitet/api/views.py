"""Web pages of the API module: personal API tokens (/konto/api-nycklar) and the import of
existing lists (/import). The JSON API itself is the nested blueprint in routes.py."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from markupsafe import Markup

from kvalitet.api import import_templates, importer, tokens
from kvalitet.api.forms import PreviewForm, RevokeForm, TokenForm, UploadForm
from kvalitet.api.models import ApiToken
from kvalitet.api.routes import api
from kvalitet.core.errors import OperationError
from kvalitet.extensions import db
from kvalitet.items.queries import detail_url

bp = Blueprint("api", __name__)
bp.register_blueprint(api)


# --- personal API tokens --------------------------------------------------------------------


@bp.route("/konto/api-nycklar", methods=["GET", "POST"], endpoint="tokens")
@login_required
def tokens_page() -> Any:
    form = TokenForm()
    new_token = None
    status = 200
    if form.validate_on_submit():
        try:
            _row, new_token = tokens.create_token(
                current_user, current_user, name=form.name.data or "", days=int(form.days.data)
            )
        except OperationError as error:
            field = getattr(form, error.field or "", None)
            if field is not None:
                field.errors = [error.message]
            else:
                flash(error.message, "danger")
            status = 422
        else:
            form = TokenForm(formdata=None)
    elif form.is_submitted():
        status = 422
    return render_template(
        "api/tokens.html",
        form=form,
        new_token=new_token,
        rows=tokens.tokens_of(current_user),
        revoke_form=RevokeForm(),
    ), status


@bp.route("/konto/api-nycklar/<int:token_id>/aterkalla", methods=["POST"])
@login_required
def revoke(token_id: int) -> Any:
    row = db.session.get(ApiToken, token_id)
    if row is None or row.user_id != current_user.id:
        abort(404)
    if RevokeForm().validate_on_submit():
        tokens.revoke_token(current_user, row)
        flash(f"API-nyckeln {row.prefix}… är återkallad och fungerar inte längre.", "success")
    return redirect(url_for("api.tokens"))


# --- import ---------------------------------------------------------------------------------


def _kinds_for_user() -> list[importer.ImportKind]:
    return [k for k in importer.import_kinds() if importer.may_import(current_user, k)]


@bp.route("/import", methods=["GET", "POST"])
@login_required
def import_start() -> Any:
    kinds = _kinds_for_user()
    if not kinds:
        abort(403)
    form = UploadForm()
    form.kind.choices = [(k.key, k.label) for k in kinds]
    status = 200
    if form.validate_on_submit():
        upload = request.files.get("file")
        kind = importer.import_kind(form.kind.data or "")
        try:
            if upload is None or not upload.filename:
                raise OperationError("Välj en fil.", field="file")
            if kind is None or kind.key not in {k.key for k in kinds}:
                raise OperationError("Välj vad som importeras.", field="kind")
            data = upload.read(importer.MAX_BYTES + 1)
            token = importer.store_upload(current_user, kind, upload.filename, data)
        except OperationError as error:
            target = getattr(form, error.field or "", None)
            if target is not None:
                target.errors = [error.message]
            else:
                flash(error.message, "danger")
            status = 422
        else:
            return redirect(url_for("api.import_map", token=token))
    elif form.is_submitted():
        status = 422
    return render_template("api/import_start.html", form=form, kinds=kinds), status


@bp.route("/import/mall/<kind_key>.<fmt>")
@login_required
def import_template(kind_key: str, fmt: str) -> Any:
    """The import template of a kind: Excel with allowed values, or CSV."""
    kind = next((k for k in _kinds_for_user() if k.key == kind_key), None)
    if kind is None or fmt not in ("xlsx", "csv"):
        abort(404)
    if fmt == "xlsx":
        data = import_templates.template_xlsx(kind, current_user)
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        data = import_templates.template_csv(kind, current_user)
        mimetype = "text/csv; charset=utf-8"
    return Response(data, mimetype=mimetype, headers={
        "Content-Disposition": f'attachment; filename="importmall-{kind.key}.{fmt}"'})  # fmt: skip


def _mapping_from_form(kind: importer.ImportKind, headers: list[str]) -> dict[str, int | None]:
    mapping: dict[str, int | None] = {}
    for target in kind.targets:
        raw = request.form.get(f"map_{target.name}", "")
        mapping[target.name] = (
            int(raw) if raw.isascii() and raw.isdigit() and int(raw) < len(headers) else None
        )
    return mapping


@bp.route("/import/<token>", methods=["GET", "POST"])
@login_required
def import_map(token: str) -> Any:
    loaded = importer.load_upload(current_user, token)
    if loaded is None:
        abort(404)
    kind, filename, data = loaded
    if not importer.may_import(current_user, kind):
        abort(403)
    try:
        headers, rows = importer.read_table(filename, data)
    except OperationError as error:
        flash(error.message, "danger")
        return redirect(url_for("api.import_start"))
    form = PreviewForm()
    mapping = importer.guess_mapping(kind, headers)
    results = None
    status = 200
    action = request.form.get("action", "")
    if form.validate_on_submit():
        mapping = _mapping_from_form(kind, headers)
        missing = [t.label for t in kind.targets if t.required and mapping.get(t.name) is None]
        if missing:
            flash("Välj kolumn för: " + ", ".join(missing) + ".", "danger")
            status = 422
        elif action == "importera":
            try:
                created, _ = importer.run_import(
                    kind, current_user, headers, rows, mapping, filename,
                    partial=bool(form.partial.data),
                )  # fmt: skip
            except OperationError as error:
                flash(error.message, "danger")
                results = importer.check_rows(kind, current_user, headers, rows, mapping,
                                              filename)  # fmt: skip
                status = 422
            else:
                importer.discard_upload(token)
                first = ", ".join(f'<a href="{detail_url(i)}">{i.ref}</a>' for i in created[:5])
                flash(Markup(f"{len(created)} {kind.label.lower()} importerades från "  # noqa: S704 the file name is escaped; refs, labels and URLs are our own
                             f"{Markup.escape(filename)}: {first}"
                             + (" …" if len(created) > 5 else "")), "success")  # fmt: skip
                return redirect(url_for("api.import_start"))
        else:
            results = importer.check_rows(kind, current_user, headers, rows, mapping, filename)
    elif form.is_submitted():
        status = 400
    return render_template(
        "api/import_map.html",
        form=form,
        kind=kind,
        filename=filename,
        headers=headers,
        sample=rows[:3],
        row_count=len(rows),
        mapping=mapping,
        results=results,
        bad=[r for r in results or [] if not r.ok],
        token=token,
    ), status
