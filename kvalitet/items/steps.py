"""The POST handler of one step form on a case page, shared by the kinds whose case page is a
card per step (lex Sarah, lex Maria): validate the form, run the operation, and either go
back to the case with a message or show the page again with the error next to its field
(403 for a refusal, 422 for bad input), nothing saved."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import flash, redirect, request, url_for
from flask_wtf import FlaskForm

from kvalitet.core.errors import Forbidden, NotFound, OperationError
from kvalitet.extensions import db
from kvalitet.items.models import Item

T = TypeVar("T", bound=Item)
F = TypeVar("F", bound=FlaskForm)

NOT_SAVED = "Uppgifterna sparades inte. Se felen nedan."


def sent(prefix: str) -> bool:
    """Was the form with this prefix the one sent in this request?"""
    if request.method == "GET":
        return False
    if not prefix:  # the page's only form
        return True
    return any(key.startswith(prefix + "-") for key in request.form)


def fresh(form: FlaskForm) -> bool:
    """Was `form` not the one sent in this request? Then it shows its defaults (the item's
    values, today's date), also when another form of the page was refused."""
    return not sent(form._prefix.rstrip("-"))


def page_form(cls: type[F], prefix: str, **kwargs: Any) -> F:
    """One form of a page with several: bound to the request only when it is the one that
    was sent, so that a refused form keeps its input and the others keep their defaults."""
    if sent(prefix):
        return cls(prefix=prefix, **kwargs)
    return cls(formdata=None, prefix=prefix, **kwargs)


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
    done: str | Callable[[Any], str],
) -> Any:
    """`load()` gives the item (404 for one the user may not see), `make(item)` the form,
    `act(item, form)` runs the operation, `render(item, status, page_error=..., **{key: form})`
    draws the case page, `endpoint` is the case page's endpoint taking `ref`; `done` is the
    message, or makes it from what `act` returned."""
    item = load()
    form = make(item)
    if form.validate_on_submit():
        try:
            result = act(item, form)
        except OperationError as exc:
            if isinstance(exc, NotFound):
                raise
            db.session.rollback()
            item = load()
            field_error(form, exc)
            status = 403 if isinstance(exc, Forbidden) else 422
            return render(item, status, page_error=exc.message, **{key: form})
        flash(done(result) if callable(done) else done, "success")
        return redirect(url_for(endpoint, ref=item.ref))
    return render(item, 422, page_error=NOT_SAVED, **{key: form})
