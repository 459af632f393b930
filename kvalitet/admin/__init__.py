"""Administration: organisation tree, users and roles, configurable lists, audit search."""
