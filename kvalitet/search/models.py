"""No mapped tables: the full-text table is dialect-specific DDL (kvalitet.search.index).
Importing this module (the app factory does, for every module's models) installs the hooks
that create the index with the schema and keep it as items change."""

from kvalitet.search import index

index.install()
