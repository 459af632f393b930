"""The roles a person can hold at a unit of the tree (DOMAIN.md §3). Core, because the one
permission policy (kvalitet.core.permissions) is written in terms of them; kvalitet.org
stores who holds which role where."""

from __future__ import annotations

import enum


class Role(enum.StrEnum):
    MEDARBETARE = "medarbetare"
    ENHETSCHEF = "enhetschef"
    AVDELNINGSCHEF = "avdelningschef"
    SAS = "sas"
    MAS = "mas"
    KVALITETSUTVECKLARE = "kvalitetsutvecklare"
    REGISTRATOR = "registrator"
    LASARE = "lasare"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS = {
    Role.MEDARBETARE: "Medarbetare",
    Role.ENHETSCHEF: "Enhetschef",
    Role.AVDELNINGSCHEF: "Avdelningschef / förvaltningsledning",
    Role.SAS: "SAS (socialt ansvarig samordnare)",
    Role.MAS: "MAS (medicinskt ansvarig sjuksköterska)",
    Role.KVALITETSUTVECKLARE: "Kvalitetsutvecklare",
    Role.REGISTRATOR: "Registrator",
    Role.LASARE: "Läsare (nämnd/revisor)",
    Role.ADMIN: "Administratör",
}

# Roles that lead a unit: the "chef" of a unit is whoever holds one of these at it
# (nearest up the tree first).
CHEF_ROLES = (Role.ENHETSCHEF, Role.AVDELNINGSCHEF)


__all__ = ["CHEF_ROLES", "ROLE_LABELS", "Role"]
