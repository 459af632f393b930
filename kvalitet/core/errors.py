"""Errors raised by operations. Views turn them into Swedish messages, the API into JSON."""

from __future__ import annotations


class OperationError(Exception):
    """Bad input or a refused action: nothing was changed. `field` names the form field."""

    status_code = 422

    def __init__(self, message: str, field: str | None = None, errors: dict | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.errors = errors or ({field: [message]} if field else {})


class WorkflowRefused(OperationError):
    status_code = 409


class ConflictError(OperationError):
    """Someone else saved the item after this user opened it."""

    status_code = 409

    def __init__(self, message: str | None = None):
        super().__init__(
            message
            or "Någon annan har sparat ärendet efter att du öppnade det. Dina ändringar sparades "
            "inte. Ladda om sidan för att se den senaste versionen och gör ändringen igen."
        )


class Forbidden(OperationError):
    status_code = 403

    def __init__(self, message: str = "Du har inte behörighet att göra detta."):
        super().__init__(message)


class NotFound(OperationError):
    status_code = 404

    def __init__(self, message: str = "Sidan eller ärendet finns inte."):
        super().__init__(message)
