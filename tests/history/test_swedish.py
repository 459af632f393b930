"""Swedish letters on SQLite and PostgreSQL alike: case-insensitive equality and search
fold å, ä, ö, é and ü (SQLite's lower() folds only ASCII), sorting puts Å, Ä, Ö after Z,
and the import matches list values that begin with Ö."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from kvalitet.api import importer
from kvalitet.core.db_setup import contains_folded, fold, folded, swedish
from kvalitet.demo import seed_list
from kvalitet.extensions import db
from kvalitet.items.models import ListEntry

WORDS = [  # (stored, typed by someone else)
    ("Övrigt", "övrigt"),
    ("ÅTERKOMMANDE FALL", "återkommande fall"),
    ("Ärende om Ängel", "ÄRENDE OM ÄNGEL"),
    ("Café Ölandsgatan", "CAFÉ ÖLANDSGATAN"),
    ("Müller-Ström", "MÜLLER-STRÖM"),
    ("Åsa Öberg", "åsa öberg"),
]
SORTED = ["Adam", "Émile", "Eva", "Zeta", "Åsa", "Ärla", "Örjan"]


@pytest.fixture
def words(app):
    seed_list("test_ord", [w for w, _ in WORDS] + SORTED)
    db.session.commit()


@pytest.mark.parametrize(("stored", "typed"), WORDS)
def test_folded_equality_and_search(words, stored, typed):
    found = db.session.scalar(select(ListEntry.label).where(
        ListEntry.list_key == "test_ord", folded(ListEntry.label) == fold(typed)))  # fmt: skip
    assert found == stored
    part = typed.split()[-1]
    query = select(ListEntry.label).where(ListEntry.list_key == "test_ord")
    hits = db.session.scalars(query.where(contains_folded(ListEntry.label, part))).all()
    assert stored in hits


def test_search_takes_percent_and_underscore_literally(words):
    assert not db.session.scalars(select(ListEntry.label).where(
        ListEntry.list_key == "test_ord", contains_folded(ListEntry.label, "%"))).all()  # fmt: skip


def test_sorted_lists_put_a_ring_a_umlaut_o_umlaut_after_z(words):
    labels = db.session.scalars(select(ListEntry.label).where(
        ListEntry.list_key == "test_ord", ListEntry.label.in_(SORTED))
        .order_by(swedish(ListEntry.label))).all()  # fmt: skip
    assert labels == SORTED


def test_import_matches_a_list_value_beginning_with_o_umlaut(org):
    from kvalitet.avvikelser.models import CATEGORY_LIST

    seed_list(CATEGORY_LIST, ["Övrigt"])
    db.session.commit()
    lookups = importer.Lookups()
    assert lookups.entry(CATEGORY_LIST, "ÖVRIGT") is not None
    assert lookups.entry(CATEGORY_LIST, "övrigt") is not None
    assert lookups.unit("enhet a1") is not None
