"""The search index of items gallrade before this revision is written anew: the scrub's plain
UPDATEs had passed the index's flush hook, so their old texts were still searchable

Revision ID: e4a7c1f9d3b2
Revises: b5d2e8f1a7c3
Create Date: 2026-12-02 21:20:00

A gallrad item has its reference and its title "(gallrad)" left, every free text empty, so
its index row is those two lines (kvalitet.search.index.document). Only rows of gallrade
items are touched.
"""

from alembic import op

revision = "e4a7c1f9d3b2"
down_revision = "b5d2e8f1a7c3"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "UPDATE search_fts SET body = concat_ws(E'\\n', item.ref, nullif(item.title, ''))"
            " FROM item JOIN gallrad_item ON gallrad_item.item_id = item.id"
            " WHERE search_fts.item_id = item.id"
        )
        return
    op.execute("DELETE FROM search_fts WHERE rowid IN (SELECT item_id FROM gallrad_item)")
    op.execute(
        "INSERT INTO search_fts (rowid, body)"
        " SELECT item.id, item.ref || coalesce(char(10) || nullif(item.title, ''), '')"
        " FROM item JOIN gallrad_item ON gallrad_item.item_id = item.id"
    )


def downgrade() -> None:
    pass  # the old texts are not brought back
