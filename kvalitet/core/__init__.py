"""Shared machinery: model base, workflow engine, audit log, permissions, calendars."""
