"""Riskanalys (risk register per unit), DOMAIN.md §5.6."""
