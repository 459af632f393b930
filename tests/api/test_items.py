"""Done when: an API client with a token can do everything a chef does in the UI for their
unit, and nothing outside it (per kind)."""

from __future__ import annotations

from sqlalchemy import func, select

from kvalitet.core import clock
from kvalitet.core.audit import AuditEntry
from kvalitet.extensions import db
from kvalitet.items.models import Item
from tests.api.conftest import category_id

PNR = "19121212-1212"


def _report(client, unit, **extra):
    body = {"unit_id": unit.id, "description": "Beslut skickades inte ut i tid",
            "category_id": category_id(), "title": "Utebliven expediering", **extra}  # fmt: skip
    response = client.post("/api/v1/avvikelser", json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_avvikelse_whole_chef_flow_through_the_api(org, api_as):
    reporter = api_as(org.med_a1)
    chef = api_as(org.chef_a1)
    created = _report(reporter, org.a1)
    ref = created["ref"]
    assert created["status"] == "rapporterad" and created["unit"]["id"] == org.a1.id

    listed = chef.get(f"/api/v1/avvikelser?unit={org.a1.id}&status=rapporterad").get_json()
    assert [i["ref"] for i in listed["items"]] == [ref] and listed["total"] == 1

    taken = chef.post(f"/api/v1/avvikelser/{ref}/utredare", json={"owner_id": None})
    assert taken.status_code == 200, taken.get_json()
    assert taken.get_json()["status"] == "under_utredning"
    assert taken.get_json()["owner"]["id"] == org.chef_a1.id

    analysed = chef.post(f"/api/v1/avvikelser/{ref}/analys", json={
        "analysis": "Rutinen för expediering saknades.", "causes": ["rutin_saknas"],
        "consequence": 2, "likelihood": 3})  # fmt: skip
    assert analysed.status_code == 200, analysed.get_json()
    assert analysed.get_json()["fields"]["severity"] == 6

    action = chef.post(f"/api/v1/avvikelser/{ref}/atgard", json={
        "title": "Skriv rutin för expediering", "due_date": "2030-01-31"})  # fmt: skip
    assert action.status_code == 201, action.get_json()
    action_ref = action.get_json()["ref"]
    assert action.get_json()["kind"] == "ATG"

    # Closing is refused while the action is open: 409 with the reason in Swedish.
    refused = chef.post(f"/api/v1/avvikelser/{ref}/transitions", json={"transition": "avsluta"})
    assert refused.status_code == 409
    assert action_ref in refused.get_json()["error"]["message"]

    version = chef.get(f"/api/v1/atgarder/{action_ref}").get_json()["version"]
    deferred = chef.post(f"/api/v1/atgarder/{action_ref}/uppskjuten", json={
        "deferred": True, "reason": "Tas i nästa års plan",
        "expected_version": version})  # fmt: skip
    assert deferred.status_code == 200, deferred.get_json()

    stale = chef.post(f"/api/v1/avvikelser/{ref}/transitions",
                      json={"transition": "avsluta", "expected_version": 1})  # fmt: skip
    assert stale.status_code == 409
    current = chef.get(f"/api/v1/avvikelser/{ref}").get_json()
    assert [t["name"] for t in current["transitions"] if t["possible"]] == ["atgarda", "avsluta"]
    closed = chef.post(
        f"/api/v1/avvikelser/{ref}/transitions",
        json={"transition": "avsluta", "expected_version": current["version"]},
    )
    assert closed.status_code == 200, closed.get_json()
    assert closed.get_json()["status"] == "avslutad" and closed.get_json()["closed_at"]

    comment = chef.post(f"/api/v1/avvikelser/{ref}/comments", json={"body": "Klar."})
    assert comment.status_code == 201
    detail = chef.get(f"/api/v1/avvikelser/{ref}").get_json()
    assert [c["body"] for c in detail["comments"]] == ["Klar."]
    assert any(link["ref"] == action_ref for link in detail["links"])
    # The same audit trail as the UI: every step recorded.
    actions = set(db.session.scalars(
        select(AuditEntry.action).where(AuditEntry.item_id == created["id"])))  # fmt: skip
    assert {"created", "assign", "analysis", "transition", "comment"} <= actions


def test_avvikelse_outside_own_unit_is_invisible_and_untouchable(org, api_as):
    ref = _report(api_as(org.med_a2), org.a2, title="Hemlig rubrik A2")["ref"]
    other = api_as(org.chef_b1)
    listing = other.get("/api/v1/avvikelser").get_json()
    assert listing["total"] == 0 and "Hemlig rubrik A2" not in str(listing)
    for method, url, body in [
        ("GET", f"/api/v1/avvikelser/{ref}", None),
        ("POST", f"/api/v1/avvikelser/{ref}/transitions", {"transition": "utred"}),
        ("POST", f"/api/v1/avvikelser/{ref}/comments", {"body": "Hej"}),
        ("POST", f"/api/v1/avvikelser/{ref}/utredare", {"owner_id": None}),
        ("POST", f"/api/v1/avvikelser/{ref}/analys", {"analysis": "x"}),
        ("PATCH", f"/api/v1/avvikelser/{ref}", {"title": "Ändrad"}),
        ("POST", f"/api/v1/avvikelser/{ref}/cancel", {"reason": "x"}),
        ("POST", f"/api/v1/avvikelser/{ref}/atgard", {"title": "x"}),
    ]:
        response = other.open(method, url, json=body)
        assert response.status_code == 404, (url, response.get_json())
        assert "Hemlig rubrik" not in response.get_data(as_text=True)
    # Linking one's own item to it does not reveal it either.
    own = _report(other, org.b1)["ref"]
    response = other.post(f"/api/v1/avvikelser/{own}/links", json={"target": ref})
    assert response.status_code == 422 and "target" in response.get_json()["error"]["fields"]
    # The chef of A1 (a sibling unit) does not see it either; the avdelningschef does.
    assert api_as(org.chef_a1).get(f"/api/v1/avvikelser/{ref}").status_code == 404
    assert api_as(org.avdchef_a).get(f"/api/v1/avvikelser/{ref}").status_code == 200
    # Nothing changed.
    item = db.session.scalar(select(Item).where(Item.ref == ref))
    assert item.status == "rapporterad" and item.title == "Hemlig rubrik A2"


def test_bad_input_gives_422_with_field_names_and_nothing_saved(org, api_as):
    client = api_as(org.chef_a1)
    before = db.session.scalar(select(func.count(Item.id)))
    missing = client.post("/api/v1/avvikelser", json={"title": "x"})
    assert missing.status_code == 422
    fields = missing.get_json()["error"]["fields"]
    assert fields["description"] == ["Fältet krävs."] and "category_id" in fields
    wrong = client.post(
        "/api/v1/avvikelser",
        json={"description": 5, "category_id": "a", "event_at": "igår", "bogus": 1},
    )
    fields = wrong.get_json()["error"]["fields"]
    assert set(fields) == {"description", "category_id", "event_at", "bogus"}
    pnr = client.post(
        "/api/v1/avvikelser", json={"description": f"Gäller {PNR}", "category_id": category_id()}
    )
    assert pnr.status_code == 422 and "description" in pnr.get_json()["error"]["fields"]
    unknown_category = client.post(
        "/api/v1/avvikelser", json={"description": "x", "category_id": 999999}
    )
    assert unknown_category.status_code == 422
    assert "category_id" in unknown_category.get_json()["error"]["fields"]
    not_json = client.open("POST", "/api/v1/avvikelser", headers={"Content-Type": "text/plain"})
    assert not_json.status_code == 400
    bad_query = client.get("/api/v1/avvikelser?page=abc&status=nej")
    assert bad_query.status_code == 400
    assert set(bad_query.get_json()["error"]["fields"]) == {"page", "status"}
    assert db.session.scalar(select(func.count(Item.id))) == before


def test_atgard_chef_flow_and_scope(org, api_as):
    chef = api_as(org.chef_a1)
    created = chef.post("/api/v1/atgarder", json={
        "title": "Inför checklista", "unit_id": org.a1.id, "owner_id": org.chef_a1.id,
        "due_date": "2030-06-30", "atgard_typ": "forebyggande"})  # fmt: skip
    assert created.status_code == 201, created.get_json()
    ref = created.get_json()["ref"]
    started = chef.post(f"/api/v1/atgarder/{ref}/transitions", json={"transition": "paborja"})
    assert started.status_code == 200 and started.get_json()["status"] == "paborjad"
    refused = chef.post(f"/api/v1/atgarder/{ref}/transitions", json={"transition": "genomford"})
    assert (
        refused.status_code == 409
        and "vad som har gjorts" in refused.get_json()["error"]["message"]
    )
    updated = chef.patch(f"/api/v1/atgarder/{ref}", json={"done_text": "Checklistan används."})
    assert updated.status_code == 200, updated.get_json()
    done = chef.post(f"/api/v1/atgarder/{ref}/transitions", json={"transition": "genomford"})
    assert done.status_code == 200 and done.get_json()["status"] == "genomford"
    effect = chef.post(f"/api/v1/atgarder/{ref}/effekt", json={"effect_text": "Färre fel."})
    assert effect.status_code == 200 and effect.get_json()["fields"]["effect_text"] == "Färre fel."
    # Another unit's chef may neither create for A1 nor see the action.
    other = api_as(org.chef_b1)
    assert (
        other.post("/api/v1/atgarder", json={"title": "x", "unit_id": org.a1.id}).status_code == 403
    )
    assert other.get(f"/api/v1/atgarder/{ref}").status_code == 404
    assert other.get("/api/v1/atgarder").get_json()["total"] == 0


def test_synpunkt_chef_flow_and_scope(org, api_as):
    registrator = api_as(org.registrator)
    created = registrator.post("/api/v1/synpunkter", json={
        "unit_id": org.a1.id, "typ": "klagomal", "kalla": "narstaende", "kanal": "brev",
        "description": "Väntade länge på svar.", "contact_name": "N.N."})  # fmt: skip
    assert created.status_code == 201, created.get_json()
    ref = created.get_json()["ref"]
    chef = api_as(org.chef_a1)
    assert ref in [i["ref"] for i in chef.get("/api/v1/synpunkter").get_json()["items"]]
    ack = chef.post(f"/api/v1/synpunkter/{ref}/bekraftelse", json={"method": "e_post"})
    assert ack.status_code == 200, ack.get_json()
    assert ack.get_json()["status"] == "bekraftad"
    answered = chef.post(
        f"/api/v1/synpunkter/{ref}/svar",
        json={
            "text": "Vi har sett över rutinen.",
            "method": "brev",
            "date": clock.today().isoformat(),
        },
    )
    assert answered.status_code == 200, answered.get_json()
    assert answered.get_json()["status"] == "besvarad"
    other = api_as(org.chef_b1)
    assert other.get(f"/api/v1/synpunkter/{ref}").status_code == 404
    assert (
        other.post(
            f"/api/v1/synpunkter/{ref}/svar", json={"text": "x", "method": "brev"}
        ).status_code
        == 404
    )


def test_lexsarah_report_is_hidden_from_the_reporter_and_other_units(org, api_as):
    reporter = api_as(org.med_a1)
    created = reporter.post(
        "/api/v1/lexsarah",
        json={"unit_id": org.a1.id, "title": "Missförhållande", "description": "Insats uteblev."},
    )
    assert created.status_code == 201, created.get_json()
    ref = created.get_json()["ref"]
    assert created.get_json()["visible"] is False and "description" not in created.get_json()
    assert reporter.get(f"/api/v1/lexsarah/{ref}").status_code == 404
    assert api_as(org.sas).get(f"/api/v1/lexsarah/{ref}").status_code == 200
    assert api_as(org.chef_b1).get(f"/api/v1/lexsarah/{ref}").status_code == 404
    # Reads of lex Sarah are logged, through the API as in the UI.
    reads = db.session.scalar(select(func.count(AuditEntry.id)).where(
        AuditEntry.action == "read", AuditEntry.user_id == org.sas.id))  # fmt: skip
    assert reads == 1


def test_units_me_kinds_and_statistics(org, api_as):
    chef = api_as(org.chef_a1)
    units = chef.get("/api/v1/units").get_json()
    assert {u["name"] for u in units} >= {"Enhet A1", "Enhet B1"}
    me = chef.get("/api/v1/me").get_json()
    assert me["roles"][0]["role"] == "enhetschef" and me["roles"][0]["unit"]["id"] == org.a1.id
    kinds = {k["code"] for k in chef.get("/api/v1/kinds").get_json()}
    assert {"AVV", "ATG", "SYN", "LXS"} <= kinds
    _report(api_as(org.med_a1), org.a1)
    stats = chef.get("/api/v1/statistics/avvikelser").get_json()
    assert stats["unit"]["id"] == org.a1.id and stats["current"]["total"] == 1
    assert stats["previous"]["total"] == 0 and stats["suppressed"] is False
    # Another unit's statistics are refused; a medarbetare has none.
    assert chef.get(f"/api/v1/statistics/avvikelser?unit={org.b1.id}").status_code == 403
    assert api_as(org.med_a1).get("/api/v1/statistics/avvikelser").status_code == 403
    # A läsare sees aggregates with small groups suppressed.
    reader = api_as(org.lasare).get("/api/v1/statistics/avvikelser").get_json()
    assert reader["suppressed"] is True and reader["current"]["total"] == 1
    assert "<5" in str(reader["current"]["by_category"])


def test_odd_query_strings_give_400_not_500(org, api_as):
    client = api_as(org.chef_a1)
    for query in ("page=%C2%B3", "page=x", "unit=99999999999", "from=9999-12-31",
                  "to=0001-01-01", "year=", "overdue=ja", "per_page=0"):  # fmt: skip
        response = client.get(f"/api/v1/avvikelser?{query}")
        assert response.status_code == 400, (query, response.get_json())
    assert client.get("/api/v1/avvikelser?from=2020-01-01&to=2020-12-31").status_code == 200
    assert client.get("/api/v1/statistics/avvikelser?year=2025/26").status_code == 200


def test_moving_an_item_out_of_ones_scope_answers_with_a_receipt(org, api_as):
    ref = _report(api_as(org.med_a1), org.a1)["ref"]
    chef = api_as(org.chef_a1)
    moved = chef.patch(f"/api/v1/avvikelser/{ref}", json={"unit_id": org.b1.id})
    assert moved.status_code == 200, moved.get_json()
    assert moved.get_json() == {
        "id": moved.get_json()["id"],
        "ref": ref,
        "kind": "AVV",
        "visible": False,
        "message": f"{ref} är sparat. Du har inte behörighet att läsa ärendet.",
    }
    assert api_as(org.chef_b1).get(f"/api/v1/avvikelser/{ref}").status_code == 200


def test_risk_chef_flow_and_scope(org, api_as):
    chef = api_as(org.chef_a1)
    refused = chef.post(
        "/api/v1/risker",
        json={"title": "Sårbar bemanning helger", "unit_id": org.a1.id, "likelihood": 5},
    )
    assert refused.status_code == 422
    assert set(refused.get_json()["error"]["fields"]) == {"likelihood", "consequence"}
    created = chef.post("/api/v1/risker", json={
        "title": "Sårbar bemanning helger", "unit_id": org.a1.id, "likelihood": 3,
        "consequence": 4})  # fmt: skip
    assert created.status_code == 201, created.get_json()
    ref = created.get_json()["ref"]
    assert created.get_json()["fields"]["risk_value"] == 12
    changed = chef.patch(f"/api/v1/risker/{ref}", json={"likelihood": 2})
    assert changed.status_code == 200 and changed.get_json()["fields"]["risk_value"] == 8
    assert api_as(org.chef_b1).get(f"/api/v1/risker/{ref}").status_code == 404
    assert (
        api_as(org.chef_b1)
        .post(
            "/api/v1/risker",
            json={"title": "x", "unit_id": org.a1.id, "likelihood": 1, "consequence": 1},
        )
        .status_code
        == 403
    )


def test_egenkontroll_answers_through_the_api(org, api_as):
    from datetime import UTC, datetime

    from kvalitet.core import clock
    from tests.egenkontroll.helpers import make_plan

    clock.freeze(datetime(2026, 1, 20, 9, tzinfo=UTC))
    _plan, kontroll = make_plan(org)
    chef = api_as(org.chef_a1)
    listed = chef.get(f"/api/v1/egenkontroll?unit={org.a1.id}").get_json()["items"]
    assert listed, "the adopted plan gives the unit occurrences"
    ref = listed[-1]["ref"]
    questions = [f.id for f in kontroll.fragor]
    answers = [{"fraga_id": q, "case_no": n, "value": "ja"} for q in questions for n in (1, 2, 3)]
    saved = chef.post(
        f"/api/v1/egenkontroll/{ref}/svar",
        json={"case_count": 3, "answers": answers, "summary": "Allt i ordning.", "complete": True},
    )
    assert saved.status_code == 200, saved.get_json()
    assert saved.get_json()["status"] == "genomford"
    finding = chef.post(f"/api/v1/egenkontroll/{ref}/fynd", json={"text": "Logg saknas en dag"})
    assert finding.status_code == 200, finding.get_json()
    from kvalitet.egenkontroll.models import Fynd

    assert (
        db.session.scalar(select(Fynd.text).where(Fynd.egenkontroll_id == saved.get_json()["id"]))
        == "Logg saknas en dag"
    )
    assert api_as(org.chef_a2).get(f"/api/v1/egenkontroll/{ref}").status_code == 404


def test_attachments_through_the_api(org, api_as):
    import io

    ref = _report(api_as(org.med_a1), org.a1)["ref"]
    chef = api_as(org.chef_a1)
    sent = chef.raw.post(f"/api/v1/avvikelser/{ref}/attachments",
                         headers={"Authorization": f"Bearer {chef.token}"},
                         data={"file": (io.BytesIO(b"%PDF-1.4 utredning"), "utredning.pdf")},
                         content_type="multipart/form-data")  # fmt: skip
    assert sent.status_code == 201, sent.get_json()
    assert sent.get_json()["filename"] == "utredning.pdf" and sent.get_json()["size"] == 18
    detail = chef.get(f"/api/v1/avvikelser/{ref}").get_json()
    assert [a["filename"] for a in detail["attachments"]] == ["utredning.pdf"]
    refused = chef.raw.post(f"/api/v1/avvikelser/{ref}/attachments",
                            headers={"Authorization": f"Bearer {chef.token}"},
                            data={"file": (io.BytesIO(b"MZ"), "virus.exe")},
                            content_type="multipart/form-data")  # fmt: skip
    assert refused.status_code == 422 and "file" in refused.get_json()["error"]["fields"]
    missing = chef.post(f"/api/v1/avvikelser/{ref}/attachments", json={})
    assert missing.status_code == 400
    other = api_as(org.chef_b1)
    outside = other.raw.post(f"/api/v1/avvikelser/{ref}/attachments",
                             headers={"Authorization": f"Bearer {other.token}"},
                             data={"file": (io.BytesIO(b"x"), "a.pdf")},
                             content_type="multipart/form-data")  # fmt: skip
    assert outside.status_code == 404


def test_list_filters_open_and_kind_columns(org, api_as):
    reporter = api_as(org.med_a1)
    first = _report(reporter, org.a1, category_id=category_id("Dokumentation"))["ref"]
    second = _report(reporter, org.a1, category_id=category_id("Bemötande"))["ref"]
    chef = api_as(org.chef_a1)

    def refs(query: str) -> list[str]:
        response = chef.get(f"/api/v1/avvikelser?{query}")
        assert response.status_code == 200, response.get_json()
        return [i["ref"] for i in response.get_json()["items"]]

    assert refs(f"category_id={category_id('Bemötande')}") == [second]
    assert refs("open=true") == [second, first]
    assert refs("q=" + first) == [first]
    assert refs(f"unit={org.b1.id}") == []
    assert refs("per_page=1&page=2") == [first]
    # Page on by cursor: `next` of one page is `after` of the next, to the end.
    third = _report(reporter, org.a1)["ref"]
    page = chef.get("/api/v1/avvikelser?per_page=1").get_json()
    walked = [i["ref"] for i in page["items"]]
    while page["next"]:
        page = chef.get(f"/api/v1/avvikelser?per_page=1&after={page['next']}").get_json()
        walked += [i["ref"] for i in page["items"]]
    assert walked == [third, second, first] and page["page"] == 3


def test_transfer_to_lexsarah_and_action_from_a_synpunkt(org, api_as):
    ref = _report(api_as(org.med_a1), org.a1)["ref"]
    chef = api_as(org.chef_a1)
    moved = chef.post(f"/api/v1/avvikelser/{ref}/lexsarah", json={})
    assert moved.status_code == 201, moved.get_json()
    lxs = moved.get_json()["ref"]
    assert lxs.startswith("LXS-")
    assert api_as(org.sas).get(f"/api/v1/lexsarah/{lxs}").status_code == 200
    again = chef.post(f"/api/v1/avvikelser/{ref}/lexsarah", json={})
    assert again.status_code == 422 and "redan" in again.get_json()["error"]["message"]
    assert (
        api_as(org.chef_b1).post(f"/api/v1/avvikelser/{ref}/lexsarah", json={}).status_code == 404
    )

    syn = api_as(org.registrator).post("/api/v1/synpunkter", json={
        "unit_id": org.a1.id, "typ": "klagomal", "kalla": "brukare", "kanal": "telefon",
        "description": "Svårt att nå handläggaren."}).get_json()["ref"]  # fmt: skip
    action = chef.post("/api/v1/atgarder", json={
        "title": "Telefontid varje dag", "unit_id": org.a1.id, "source": syn})  # fmt: skip
    assert action.status_code == 201, action.get_json()
    links = chef.get(f"/api/v1/synpunkter/{syn}").get_json()["links"]
    assert [link["ref"] for link in links] == [action.get_json()["ref"]]
    hidden = chef.post("/api/v1/atgarder", json={"title": "x", "unit_id": org.a1.id,
                                                  "source": "AVV-1900-0001"})  # fmt: skip
    assert hidden.status_code == 422 and "source" in hidden.get_json()["error"]["fields"]


def test_chef_writes_report_text_through_the_api(org, api_as):
    """The chef's part of the kvalitetsberättelse: write the avdelning's text, mark it klar."""
    from kvalitet.api.serialize import slug
    from kvalitet.core.registry import kind_spec
    from kvalitet.rapport import operations as rapport_ops
    from kvalitet.rapport.models import Berattelsetext

    rapport_ops.start_report(org.kvalitet, org.forv, 2025)
    block = db.session.scalars(
        select(Berattelsetext).where(Berattelsetext.owner_id == org.avdchef_a.id)
    ).first()
    assert block is not None
    path = f"/api/v1/{slug(kind_spec('KBN'))}/{block.ref}"
    chef = api_as(org.avdchef_a)
    response = chef.patch(path, json={"text": "Dokumentationen har blivit bättre."})
    assert response.status_code == 200, response.get_json()
    db.session.refresh(block)
    assert block.text == "Dokumentationen har blivit bättre." and block.status == "utkast"
    refused = chef.patch(path, json={"text": "Gäller 811218-9876"})
    assert refused.status_code == 422 and "personnummer" in str(refused.get_json())
    # A chef of another avdelning cannot even see it.
    other = api_as(org.chef_b1).patch(path, json={"text": "x"})
    assert other.status_code == 404
    db.session.refresh(block)
    assert block.text == "Dokumentationen har blivit bättre."


def test_chef_confirms_lexsarah_spreading_through_the_api(org, api_as):
    """The chef's part of a lex Sarah case: confirm that the lessons are known and applied at
    the unit, without access to the case itself."""
    from kvalitet.lexsarah import operations as ls_ops
    from kvalitet.lexsarah.models import Spridning
    from tests.lexsarah.helpers import investigate, make_case

    case = make_case(org)
    ls_ops.assess(case, org.sas, "missforhallande", "Utreds.")
    investigate(case, org.sas)
    ls_ops.decide(case, org.sas, outcome="missforhallande", allvarligt=False,
                  decision_maker_id=org.avdchef_a.id, decision_date=clock.today(),
                  reason="Rutin saknades.")  # fmt: skip
    assert case.status == "spridning"
    ls_ops.set_spreading(case, org.sas, unit_ids=[org.a2.id],
                         spread_text="Inför dubbelkontroll av delgivning.",
                         ledningsgrupp_date=clock.today())  # fmt: skip
    chef = api_as(org.chef_a2)
    pending = chef.get("/api/v1/lexsarah-spridning").get_json()
    assert [(p["case_ref"], p["lessons"], p["confirmed_at"]) for p in pending] == [
        (case.ref, "Inför dubbelkontroll av delgivning.", None)
    ]
    assert chef.get(f"/api/v1/lexsarah/{case.ref}").status_code == 404  # no need to know
    row_id = pending[0]["id"]
    # The chef of another unit neither sees nor confirms it.
    outsider = api_as(org.chef_b1)
    assert outsider.get("/api/v1/lexsarah-spridning").get_json() == []
    assert outsider.post(f"/api/v1/lexsarah-spridning/{row_id}/confirm", json={}).status_code == 404
    done = chef.post(f"/api/v1/lexsarah-spridning/{row_id}/confirm", json={"note": "APT 3/12"})
    assert done.status_code == 200, done.get_json()
    row = db.session.get(Spridning, row_id)
    db.session.refresh(row)
    assert row.confirmed_by_id == org.chef_a2.id and row.confirm_note == "APT 3/12"
    again = chef.post(f"/api/v1/lexsarah-spridning/{row_id}/confirm", json={})
    assert again.status_code == 422 and "Redan bekräftat" in str(again.get_json())
