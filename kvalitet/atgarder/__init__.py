"""Förbättringsåtgärder (improvement actions), DOMAIN.md §5.5."""
