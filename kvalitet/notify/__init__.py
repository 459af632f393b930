"""Notifications: in the app (the bell), by e-mail through the outbox, and digests."""
