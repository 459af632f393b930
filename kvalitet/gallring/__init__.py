"""Gallring: retention rules per kind, a scheduled run, a preview and the gallringslogg."""
