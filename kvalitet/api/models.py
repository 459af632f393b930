"""Personal API tokens. Only a SHA-256 hash of the token is stored; the token itself is shown
once when it is created."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kvalitet.core.base import UTCDateTime
from kvalitet.core.clock import now
from kvalitet.extensions import db
from kvalitet.org.models import User


class ApiToken(db.Model):  # type: ignore[name-defined,misc]
    """A personal API token ("API-nyckel"). It acts with its user's rights only."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    # The first characters of the token, shown in lists so the user can tell tokens apart.
    prefix: Mapped[str] = mapped_column(String(20))
    # sha256 hex of the whole token (the token carries 256 bits of randomness).
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(foreign_keys=[user_id])

    @property
    def is_valid(self) -> bool:
        return self.revoked_at is None and self.expires_at > now()

    @property
    def state_label(self) -> str:
        if self.revoked_at is not None:
            return "Återkallad"
        if self.expires_at <= now():
            return "Utgången"
        return "Giltig"
