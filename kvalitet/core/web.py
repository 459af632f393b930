"""Request plumbing every blueprint shares, with no knowledge of the domain: error pages,
query-argument parsing, the stale-save version of a form, safe redirects, date formats."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import flash, jsonify, render_template, request, url_for

from kvalitet.core import clock
from kvalitet.core.errors import OperationError

ERROR_TEXTS = {
    400: (
        "Felaktig begäran",
        "Det som skickades gick inte att förstå. Gå tillbaka och försök igen.",
    ),
    403: ("Ingen behörighet", "Du har inte behörighet att göra det här."),
    404: (
        "Sidan finns inte",
        "Sidan eller ärendet finns inte, eller så har du inte tillgång till det.",
    ),
    405: ("Metoden stöds inte", "Den här sidan kan inte användas på det sättet."),
    409: ("Konflikt", "Ärendet har ändrats av någon annan. Ladda om sidan och försök igen."),
    413: ("För stor fil", "Det du skickade är för stort."),
    422: ("Uppgifterna kunde inte sparas", "Kontrollera uppgifterna och försök igen."),
    429: (
        "För många försök",
        "Du har gjort för många försök på kort tid. Vänta en stund och försök igen.",
    ),
    500: (
        "Något gick fel",
        "Ett oväntat fel inträffade. Inget har sparats. Försök igen om en stund.",
    ),
}


def wants_json() -> bool:
    return request.path.startswith("/api/")


def error_page(code: int, message: str | None = None) -> tuple[Any, int]:
    title, text = ERROR_TEXTS.get(code, ERROR_TEXTS[500])
    if wants_json():
        return jsonify(
            {"error": {"status": code, "title": title, "message": message or text}}
        ), code
    return render_template("errors/error.html", code=code, title=title, text=message or text), code


def format_date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = clock.to_local(value).date()  # type: ignore[union-attr]
    return value.isoformat()


def format_datetime(value: datetime | None) -> str:
    if value is None:
        return ""
    local = clock.to_local(value)
    assert local is not None
    return local.strftime("%Y-%m-%d %H:%M")


def page_url(page: int) -> str:
    args: dict[str, Any] = request.args.to_dict(flat=False)
    args["page"] = [str(page)]
    return url_for(request.endpoint or "items.inbox", **(request.view_args or {}), **args)


def apply_operation_error(form: Any, error: OperationError) -> None:
    """Show an OperationError next to its field (or at the top of the form)."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*list(field.errors or []), error.message]
    else:
        flash(error.message, "danger")


def arg_int(raw: str | None) -> int | None:
    """A positive whole number from a query-string value, or None for anything else."""
    return int(raw) if raw and raw.isdigit() and len(raw) < 10 else None


def arg_date(raw: str | None) -> date | None:
    """An ISO date (YYYY-MM-DD) from a query-string value, or None for anything else."""
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


def form_version() -> int | None:
    """The item version a form was rendered with (hidden field "version"), for the stale-save
    check; None when absent or not a number."""
    return arg_int(request.form.get("version"))


def safe_next(target: str | None, default: str) -> str:
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return default
