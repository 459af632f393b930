"""Organisation tree, users, roles and login."""
