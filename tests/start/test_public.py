"""The e-tjänst carries the municipality's name, asks "Vem är du?" with no answer chosen in
advance, and links to its tillgänglighetsredogörelse (DIGG's model)."""

from __future__ import annotations


def test_etjanst_names_the_municipality_and_links_the_statement(app, client):
    app.config["ORGANISATION_NAME"] = "Exempelby kommun"
    page = client.get("/synpunkter/lamna").get_data(as_text=True)
    assert 'class="navbar-brand order-lg-first" href="/logga-in">Exempelby kommun</a>' in page
    assert "– Exempelby kommun</title>" in page
    assert 'href="/tillganglighet"' in page
    statement = client.get("/tillganglighet")
    assert statement.status_code == 200
    text = statement.get_data(as_text=True)
    for heading in ("Hur tillgänglig är tjänsten?", "Vad kan du göra om du inte kan använda",
                    "Rapportera brister", "Tillsyn", "Teknisk information",
                    "Hur vi testat tjänsten", "Redogörelsen uppdaterades senast"):  # fmt: skip
        assert heading in text, heading
    assert "digg.se" in text


def test_who_are_you_has_no_default(org, client):
    page = client.get("/synpunkter/lamna").get_data(as_text=True)
    select = page.split('name="kalla"')[1].split("</select>")[0]
    assert '<option value="">– välj –</option>' in select and "selected" not in select
    data = {"typ": "klagomal", "unit_id": "", "kalla": "", "description": "Ingen svarade."}
    response = client.post("/synpunkter/lamna", data)
    assert "Välj vem du är." in response.get_data(as_text=True)


def test_empty_list_tells_a_lasare_they_see_aggregates_only(org, login_as):
    page = login_as(org.lasare).get("/avvikelser/").get_data(as_text=True)
    assert 'data-testid="aggregate-note"' in page and "statistik" in page
    assert 'data-testid="aggregate-note"' not in login_as(org.chef_a1).get("/avvikelser/").text


def test_help_pages_per_kind_are_linked_from_rapportera(org, login_as, client):
    chooser = login_as(org.med_a1).get("/rapportera").get_data(as_text=True)
    for kind in ("avvikelse", "lexsarah", "synpunkt"):
        assert f'href="/hjalp/{kind}"' in chooser
        page = client.get(f"/hjalp/{kind}")
        assert page.status_code == 200 and "Vad lagen kräver" in page.get_data(as_text=True)
    assert client.get("/hjalp/okand").status_code == 404


def test_every_kind_has_a_help_page_linked_from_its_form(org, login_as, client):
    from kvalitet.start.views import HELP_PAGES

    for kind in HELP_PAGES:
        page = client.get(f"/hjalp/{kind}").get_data(as_text=True)
        assert "Vad lagen kräver" in page and "Vad stegen betyder" in page, kind
    forms = {
        "egenkontroll": (org.kvalitet, "/egenkontroll/planer/ny"),
        "lexmaria": (org.mas, "/lexmaria/ny"),
        "atgard": (org.chef_a1, "/atgarder/ny"),
        "avvikelse": (org.med_a1, "/avvikelser/ny"),
    }
    for kind, (user, url) in forms.items():
        page = login_as(user).get(url)
        assert page.status_code == 200, url
        assert f'href="/hjalp/{kind}"' in page.get_data(as_text=True), url
