"""Need to know: only SAS, the decision maker and the chef of the unit concerned open a case;
every opening is in the read log, which SAS and admin can see."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from kvalitet.core import clock
from kvalitet.core.audit import AuditEntry
from kvalitet.core.roles import Role
from kvalitet.extensions import db
from kvalitet.lexsarah import operations as ops
from tests.conftest import make_user
from tests.lexsarah.helpers import investigate, make_case


def _reads(case) -> list[int]:
    return list(
        db.session.scalars(
            select(AuditEntry.user_id).where(
                AuditEntry.item_id == case.id, AuditEntry.action == "read"
            )
        )
    )


@pytest.mark.parametrize(
    "who",
    ["med_a1", "med_a2", "chef_b1", "lasare", "kvalitet", "mas", "registrator", "chef_a2", "admin"],
)
def test_outsiders_get_404_and_see_no_title(org, login_as, who):
    case = make_case(org, title="Hemlig rubrik om brist")
    client = login_as(getattr(org, who))
    assert client.get(f"/lexsarah/{case.ref}").status_code == 404
    assert client.get(f"/lexsarah/{case.ref}/ivo-sammanstallning.pdf").status_code == 404
    assert client.get(f"/arende/{case.ref}").status_code == 404
    for url in ("/lexsarah/", "/", "/lexsarah/mote"):
        response = client.get(url)
        assert "Hemlig rubrik" not in response.text
    assert _reads(case) == []


@pytest.mark.parametrize("who", ["sas", "chef_a1"])  # avdchef: tests/security/test_need_to_know.py
def test_need_to_know_users_open_and_are_logged(org, login_as, who):
    case = make_case(org, title="Synlig rubrik")
    user = getattr(org, who)
    client = login_as(user)
    assert client.get(f"/lexsarah/{case.ref}").status_code == 200
    assert client.get(f"/lexsarah/{case.ref}").status_code == 200
    assert "Synlig rubrik" in client.get("/lexsarah/").text
    assert _reads(case).count(user.id) == 2  # the list is not an opening


def test_decision_maker_of_another_unit_sees_the_case(org, login_as):
    forvaltningschef = make_user("Forv Chef", Role.AVDELNINGSCHEF, org.forv)
    # Someone without any role over the unit is made decision maker directly.
    outsider = make_user("Besluts Fattare", None, org.b1)
    case = make_case(org)
    ops.assess(case, org.sas, "missforhallande", "Utreds.")
    investigate(case, org.sas)
    assert login_as(outsider).get(f"/lexsarah/{case.ref}").status_code == 404
    case.decision_maker_id = outsider.id
    db.session.commit()
    assert login_as(outsider).get(f"/lexsarah/{case.ref}").status_code == 200
    assert forvaltningschef.id in {u.id for u in ops.decision_makers(case)}


def test_read_log_shown_to_sas_and_admin_only(org, login_as):
    case = make_case(org)
    login_as(org.chef_a1).get(f"/lexsarah/{case.ref}")
    for user in (org.sas, org.admin):
        page = login_as(user).get(f"/lexsarah/{case.ref}/lasloggen")
        assert page.status_code == 200
        assert org.chef_a1.name in page.text
    for user in (org.chef_a1, org.kvalitet, org.med_a1):
        assert login_as(user).get(f"/lexsarah/{case.ref}/lasloggen").status_code == 404


def test_reporter_identity_only_for_sas(org, login_as):
    case = make_case(org, reporter=org.med_a2, unit=org.a1)
    assert case.reporter_id is None
    assert org.med_a2.name in login_as(org.sas).get(f"/lexsarah/{case.ref}").text
    for user in (org.chef_a1, org.avdchef_a):
        assert org.med_a2.name not in login_as(user).get(f"/lexsarah/{case.ref}").text


def test_only_sas_takes_steps(org, login_as):
    case = make_case(org)
    chef = login_as(org.chef_a1)
    r = chef.post(
        f"/lexsarah/{case.ref}/bedomning",
        {"bedomning-assessment": "missforhallande", "bedomning-assessment_text": "x"},
    )
    assert r.status_code == 403 and "Bara SAS" in r.text
    db.session.expire_all()
    assert case.status == "rapporterad"
    # The chef of the unit may write in the utredning once it has started.
    ops.assess(case, org.sas, "missforhallande", "Utreds.")
    r = chef.post(
        f"/lexsarah/{case.ref}/utredning",
        {
            "post-section": "orsaker",
            "post-entry_date": clock.today().isoformat(),
            "post-source": "Genomgång av journal",
            "post-karaktar": "bedomning",
            "post-text": "Bristande introduktion.",
        },
    )
    assert r.status_code == 302
    db.session.expire_all()
    assert case.entries[0].author_name == org.chef_a1.name
    assert case.entries[0].author_title == org.chef_a1.title


def test_early_anmalan_then_allvarligt_beslut_goes_to_spreading(org, login_as):
    case = make_case(org)
    ops.assess(case, org.sas, "missforhallande", "Allvarligt redan nu.")
    ops.file_ivo(
        case,
        org.sas,
        filed_date=clock.today(),
        channel="etjanst",
        region="IVO Region Mitt",
        attached=False,
    )
    assert case.status == "utredning" and case.ivo_utredning_due is not None
    investigate(case, org.sas)
    ops.decide(
        case,
        org.sas,
        outcome="pataglig_risk",
        allvarligt=True,
        decision_maker_id=org.avdchef_a.id,
        decision_date=clock.today(),
        reason="Risk.",
    )
    assert case.status == "spridning"


def test_stale_form_is_refused(org, login_as):
    case = make_case(org)
    old_version = case.version
    ops.record_immediate(case, org.sas, "Ny åtgärd", case.immediate_measures_at)
    r = login_as(org.sas).post(
        f"/lexsarah/{case.ref}/bedomning",
        {
            "version": old_version,
            "bedomning-assessment": "missforhallande",
            "bedomning-assessment_text": "Utreds.",
        },
    )
    assert r.status_code == 422 and "Någon annan har sparat" in r.text
    db.session.expire_all()
    assert case.status == "rapporterad"


def test_linked_actions_of_another_unit_show_no_title(org, login_as):
    """The case's page lists its actions; one placed at a unit the reader may not see is
    left out (not even its title), as the panel's links are."""
    from datetime import timedelta

    from kvalitet.atgarder.operations import create_atgard

    case = make_case(org, title="Synlig rubrik")
    create_atgard(org.sas, source=case, title="Egen åtgärd i A1", unit=org.a1,
                  owner=org.chef_a1, due_date=clock.today() + timedelta(days=30))  # fmt: skip
    create_atgard(org.sas, source=case, title="Hemlig åtgärd i B1", unit=org.b1,
                  owner=org.chef_b1, due_date=clock.today() + timedelta(days=30))  # fmt: skip
    db.session.commit()
    chef = login_as(org.chef_a1).get(f"/lexsarah/{case.ref}").text
    assert "Egen åtgärd i A1" in chef
    assert "Hemlig åtgärd i B1" not in chef
    assert "Hemlig åtgärd i B1" in login_as(org.sas).get(f"/lexsarah/{case.ref}").text
