"""The POST handler of one step form on a case page, shared by the kinds whose case page is a
card per step (lex Sarah, lex Maria): validate the form, run the operation, and either go
back to the case with a message or show the page again with the error next to its field
(403 for a refusal, 422 for bad input), nothing saved."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import flash, redirect, url_for
from flask_wtf import FlaskForm

from kvalitet.core.errors import Forbidden, NotFound, OperationError
from kvalitet.extensions import db
from kvalitet.items.models import Item

T = TypeVar("T", bound=Item)

NOT_SAVED = "Uppgifterna sparades inte. Se felen nedan."


def field_error(form: FlaskForm, exc: OperationError) -> None:
    """The operation's message next to its field, or at the top of the form."""
    target = getattr(form, exc.field, None) if exc.field else None
    if target is not None:
        target.errors = [*list(target.errors), exc.message]
    else:
        form.form_errors.append(exc.message)


def run_step(
    load: Callable[[], T],
    key: str,
    make: Callable[[T], Any],
    act: Callable[[T, Any], Any],
    render: Callable[..., Any],
    endpoint: str,
    done: str,
) -> Any:
    """`load()` gives the item (404 for one the user may not see), `make(item)` the form,
    `act(item, form)` runs the operation, `render(item, status, page_error=..., **{key: form})`
    draws the case page, `endpoint` is the case page's endpoint taking `ref`."""
    item = load()
    form = make(item)
    if form.validate_on_submit():
        try:
            act(item, form)
        except OperationError as exc:
            if isinstance(exc, NotFound):
                raise
            db.session.rollback()
            item = load()
            field_error(form, exc)
            status = 403 if isinstance(exc, Forbidden) else 422
            return render(item, status, page_error=exc.message, **{key: form})
        flash(done, "success")
        return redirect(url_for(endpoint, ref=item.ref))
    return render(item, 422, page_error=NOT_SAVED, **{key: form})
