"""Units of the organisation tree, users and their roles at places in the tree."""

from __future__ import annotations

import enum
from datetime import date, datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kvalitet.core.base import TimestampMixin, UTCDateTime
from kvalitet.core.errors import OperationError
from kvalitet.core.roles import ROLE_LABELS, Role
from kvalitet.extensions import db


class UnitKind(enum.StrEnum):
    NAMND = "namnd"
    FORVALTNING = "forvaltning"
    AVDELNING = "avdelning"
    ENHET = "enhet"
    TEAM = "team"

    @property
    def label(self) -> str:
        return UNIT_KIND_LABELS[self]


UNIT_KIND_LABELS = {
    UnitKind.NAMND: "Nämnd",
    UnitKind.FORVALTNING: "Förvaltning",
    UnitKind.AVDELNING: "Avdelning",
    UnitKind.ENHET: "Enhet",
    UnitKind.TEAM: "Team",
}


class Unit(TimestampMixin, db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "unit"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[UnitKind] = mapped_column(String(20))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"), index=True)
    # Materialised path of ids, e.g. "/1/4/9/": a subtree is every path that starts with it.
    path: Mapped[str] = mapped_column(String(500), index=True, default="")
    depth: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Shown by name in the public e-tjänst for synpunkter.
    public: Mapped[bool] = mapped_column(Boolean, default=False)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    # The unit's life in the organisation (not when it was registered in Kvalitet): history
    # recorded for the unit must fall inside it. Unknown dates are NULL (no bound).
    founded_on: Mapped[date | None] = mapped_column(Date)
    closed_on: Mapped[date | None] = mapped_column(Date)

    parent: Mapped[Unit | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Unit]] = relationship(back_populates="parent", order_by="Unit.name")

    def __repr__(self) -> str:
        return f"<Unit {self.id} {self.name}>"

    @property
    def kind_label(self) -> str:
        return UNIT_KIND_LABELS.get(UnitKind(self.kind), str(self.kind))

    def ancestor_ids(self) -> list[int]:
        """Ids from the root down to and including this unit."""
        return [int(part) for part in self.path.strip("/").split("/") if part]

    def ancestor_path(self, depth: int) -> str:
        """The path of the unit above (or at) this one at `depth` (its own path when this
        unit lies higher), read off the path without loading the parents."""
        ids = self.ancestor_ids()[: depth + 1]
        return "/" + "".join(f"{i}/" for i in ids)

    def is_within(self, other: Unit) -> bool:
        return self.path.startswith(other.path)

    def life_error(self, day: date) -> str | None:
        """Why nothing can have happened at the unit on `day`, or None inside its life."""
        if self.founded_on is not None and day < self.founded_on:
            return (f"Enheten fanns inte {day:%Y-%m-%d}: {self.name} startade "
                    f"{self.founded_on:%Y-%m-%d}.")  # fmt: skip
        if self.closed_on is not None and day > self.closed_on:
            return (f"Enheten fanns inte {day:%Y-%m-%d}: {self.name} lades ned "
                    f"{self.closed_on:%Y-%m-%d}.")  # fmt: skip
        return None


def check_unit_life(unit: Unit, day: date, field: str = "occurred_at") -> None:
    """Refuse a date outside the unit's life (founded_on..closed_on) with a Swedish 422."""
    message = unit.life_error(day)
    if message is not None:
        raise OperationError(message, field=field)


class User(UserMixin, TimestampMixin, db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254), unique=True)
    title: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(255), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # The unit the person works at: default unit when they report something.
    home_unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"), index=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Changes on password change, so old sessions stop working.
    session_token: Mapped[str] = mapped_column(String(64), default="")
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)

    home_unit: Mapped[Unit | None] = relationship()
    roles: Mapped[list[RoleAssignment]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"

    # Flask-Login
    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    @property
    def is_active(self) -> bool:  # type: ignore[override]
        return self.active

    def has_role(self, *roles: str) -> bool:
        wanted = {str(r) for r in roles}
        return any(ra.role in wanted for ra in self.roles)

    @property
    def is_admin(self) -> bool:
        return self.has_role(Role.ADMIN)

    @property
    def display(self) -> str:
        return self.display_of(self.name, self.title)

    @staticmethod
    def display_of(name: str, title: str | None) -> str:
        """ "Name, title" (the name alone without a title), as pickers and lists show people."""
        return f"{name}, {title}" if title else name


class RoleAssignment(TimestampMixin, db.Model):  # type: ignore[name-defined,misc]
    """A role held at a unit, valid for the unit's whole subtree."""

    __tablename__ = "role_assignment"
    __table_args__ = (UniqueConstraint("user_id", "role", "unit_id", name="user_role_unit"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    role: Mapped[Role] = mapped_column(String(30), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)

    user: Mapped[User] = relationship(back_populates="roles")
    unit: Mapped[Unit] = relationship(lazy="joined")

    @property
    def role_label(self) -> str:
        return ROLE_LABELS.get(Role(self.role), str(self.role))


class UserSession(db.Model):  # type: ignore[name-defined,misc]
    """A logged-in browser session, checked on every request: logout, a password change or
    the idle and absolute timeouts end it on the server, so a copied cookie stops working.
    Only a hash of the key in the cookie is stored."""

    __tablename__ = "user_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    end_reason: Mapped[str] = mapped_column(String(30), default="")


class LoginThrottle(db.Model):  # type: ignore[name-defined,misc]
    """Failed logins per account+address ("konto") and per address ("adress"). An
    account+address row slows that pair down exponentially; only an address row locks, so
    nobody can lock a colleague out from their own computer."""

    __tablename__ = "login_throttle"
    __table_args__ = (UniqueConstraint("scope", "key", name="login_throttle_scope_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(10))  # "konto" or "adress"
    key: Mapped[str] = mapped_column(String(400))
    address: Mapped[str] = mapped_column(String(64), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    failures: Mapped[int] = mapped_column(Integer, default=0)
    first_failure_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_failure_at: Mapped[datetime] = mapped_column(UTCDateTime)
    blocked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PasswordReset(db.Model):  # type: ignore[name-defined,misc]
    """A single-use, expiring password reset link. Only a hash of the token is stored."""

    __tablename__ = "password_reset"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()
