"""The consequence × likelihood scale (1–4 each) that avvikelser and riskanalyser share."""

from __future__ import annotations

CONSEQUENCE_LABELS = {1: "Försumbar", 2: "Lindrig", 3: "Betydande", 4: "Allvarlig"}
LIKELIHOOD_LABELS = {1: "Mycket liten", 2: "Liten", 3: "Stor", 4: "Mycket stor"}


def risk_level(value: int | None) -> int:
    """Colour band 1-4 of a consequence × likelihood product (1-16)."""
    if not value:
        return 0
    if value <= 2:
        return 1
    if value <= 6:
        return 2
    if value <= 9:
        return 3
    return 4


__all__ = ["CONSEQUENCE_LABELS", "LIKELIHOOD_LABELS", "risk_level"]
