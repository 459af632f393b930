"""Every step a person can take in the web has an API call on the same operation (issue 14,
point 6). The test walks the web's POST routes (app.url_map) and fails when one is neither
mapped to its API call below nor on EXEMPT, the short list of routes that are not steps of
the quality work (docs/api.md "Webbsteg utan API-anrop" gives each one's reason). A new web
step therefore needs its API call (or a documented reason) before the suite is green."""

from __future__ import annotations

API = {  # web endpoint -> API endpoint (api.v1.<name>)
    "items.cancel": "avvikelser_cancel", "items.comment": "avvikelser_comment",
    "items.link": "avvikelser_link", "items.transition": "avvikelser_transition",
    "items.upload": "avvikelser_attach", "items.quality_areas": "avvikelser_kvalitetsomraden",
    "avvikelser.new": "avvikelser_create", "avvikelser.edit": "avvikelser_update",
    "avvikelser.analyse": "avvikelser_analys", "avvikelser.assign": "avvikelser_utredare",
    "avvikelser.new_action": "avvikelser_atgard",
    "lexsarah.from_avvikelse": "avvikelser_lexsarah",
    "atgarder.new": "atgarder_create", "atgarder.edit": "atgarder_update",
    "atgarder.done": "atgarder_update", "atgarder.effect": "atgarder_effekt",
    "atgarder.defer": "atgarder_uppskjuten",
    "synpunkter.new": "synpunkter_create", "synpunkter.oral": "synpunkter_create",
    "synpunkter.edit": "synpunkter_update", "synpunkter.route": "synpunkter_update",
    "synpunkter.acknowledge": "synpunkter_bekraftelse", "synpunkter.answer": "synpunkter_svar",
    "lexsarah.new": "lexsarah_create", "lexsarah.immediate": "lexsarah_omedelbara-atgarder",
    "lexsarah.assess": "lexsarah_bedomning", "lexsarah.entry": "lexsarah_utredning",
    "lexsarah.decide": "lexsarah_beslut", "lexsarah.ivo": "lexsarah_ivo",
    "lexsarah.sent": "lexsarah_ivo-utredning-skickad", "lexsarah.spread": "lexsarah_spridning",
    "lexsarah.action": "lexsarah_atgard", "lexsarah.close": "lexsarah_avsluta",
    "lexsarah.confirm": "lexsarah_spreading_confirm",
    "risker.new": "risker_create", "risker.edit": "risker_update",
    "egenkontroll.perform": "egenkontroll_svar", "egenkontroll.finding": "egenkontroll_fynd",
    "rapport.start": "kvalitetsberattelse_start", "rapport.details": "kvalitetsberattelse_details",
    "rapport.inledning": "kvalitetsberattelse_inledning",
    "rapport.order_texts": "kvalitetsberattelse_order_texts",
    "rapport.freeze": "kvalitetsberattelse_freeze", "rapport.text": "rapport_update",
    "mal.new_plan": "mal_plan_create", "mal.copy_plan": "mal_plan_copy",
    "mal.new_goal": "mal_goal_create", "mal.new_indikator": "mal_indikator_create",
    "mal.utfall": "mal_utfall_put", "mal.bedomning": "mal_bedomning_put",
    "mal.import_": "mal_import", "mal.board": "mal_board",
    "mal.edit_goal": "mal_goal_put", "mal.delete_goal": "mal_goal_delete",
    "mal.edit_indikator": "mal_indikator_put", "mal.delete_indikator": "mal_indikator_delete",
    "analys.add_conclusion": "analys_conclusion",
    "admin.user_new": "admin_user_create", "admin.user_edit": "admin_user_update",
    "admin.role_add": "admin_role_add", "admin.role_remove": "admin_role_remove",
    "admin.unit_new": "admin_unit_create", "admin.unit_edit": "admin_unit_update",
    "admin.unit_active": "admin_unit_active", "admin.unit_delete": "admin_unit_delete",
    "admin.lists": "admin_list_add", "admin.list_toggle": "admin_list_toggle",
    "lagrum.index": "lagrum_create", "lagrum.edit": "lagrum_update",
    "gallring.save_rule": "gallring_rule", "gallring.run_now": "gallring_run",
    "gallring.hold": "gallring_hold", "gallring.lift": "gallring_lift",
    "notify.outbox_mail": "outbox_retry", "notify.undeliverable": "undeliverable_handled",
    "egenkontroll.plan_new": "egenkontroll_plan_create",
    "egenkontroll.plan_edit": "egenkontroll_plan_update",
    "egenkontroll.plan_adopt": "egenkontroll_plan_adopt",
    "egenkontroll.plan_copy": "egenkontroll_plan_copy",
    "egenkontroll.kontroll_new": "egenkontroll_kontroll_create",
    "egenkontroll.kontroll_edit": "egenkontroll_kontroll_update",
    "egenkontroll.due_date": "egenkontroll_due_date",
    "egenkontroll.finding_to": "egenkontroll_fynd_till",
    "arshjul.activity_new": "arshjul_activity_create",
    "arshjul.activity_edit": "arshjul_activity_update",
    "arshjul.activities_typical": "arshjul_typical_year", "arshjul.task": "arshjul_task_due",
    "lexmaria.new": "lexmaria_create", "lexmaria.from_avvikelse": "avvikelser_lexmaria",
    "lexmaria.assess": "lexmaria_bedomning", "lexmaria.entry": "lexmaria_utredning",
    "lexmaria.decide": "lexmaria_beslut", "lexmaria.ivo": "lexmaria_ivo",
    "lexmaria.sent": "lexmaria_ivo_sent", "lexmaria.inform": "lexmaria_information",
    "lexmaria.action": "lexmaria_atgard", "lexmaria.close": "lexmaria_avsluta",
    "psb.start": "psb_start", "psb.freeze": "psb_freeze", "psb.text": "psb_text",
    "mal.edit_plan": "mal_plan_update", "mal.adopt": "mal_plan_adopt",
    "mal.internkontroll": "mal_internkontroll_create",
    "mal.edit_internkontroll": "mal_internkontroll_put",
    "mal.delete_internkontroll": "mal_internkontroll_delete",
    "mal.rapport": "mal_rapport_freeze", "mal.refresh": "mal_utfall_refresh",
    "analys.start": "analys_create", "analys.themes": "analys_theme",
    "analys.settings": "analys_setting_put",
}  # fmt: skip

EXEMPT = {  # not steps of the quality work, or the API's own machinery
    "auth.login", "auth.logout", "auth.account", "auth.forgot_password", "auth.reset_password",
    "auth.pii_check", "auth.lift_lock",  # the browser session and its safety
    "sso.admin", "sso.remove_mapping", "sso.saml_acs", "sso.saml_sls",
    "sso.oidc_backchannel_logout",  # identity provider protocol endpoints
    "api.tokens", "api.revoke",  # API keys are made in the web (or the CLI), not with a key
    "api.import_start", "api.import_map",  # the import wizard itself (file upload)
    "synpunkter.public",  # the public form for citizens (no account)
    "notify.calendar_token", "notify.notifications_read", "notify.settings",
    "rapport.draft_job", "rapport.version_job", "rapport.template",  # files, not steps
}  # fmt: skip


def test_every_web_step_has_an_api_call_or_is_listed(app):
    rules = list(app.url_map.iter_rules())
    api = {r.endpoint.removeprefix("api.v1.") for r in rules if r.rule.startswith("/api/v1/")}
    web = {r.endpoint for r in rules
           if "POST" in (r.methods or ()) and not r.rule.startswith("/api/")}  # fmt: skip
    unlisted = sorted(web - set(API) - EXEMPT)
    assert not unlisted, f"Webbsteg utan API-anrop och utan skäl i EXEMPT: {unlisted}"
    missing = sorted(f"{w} -> {a}" for w, a in API.items() if w in web and a not in api)
    assert not missing, f"API-anropet finns inte: {missing}"
    assert not (set(API) & EXEMPT)
    assert not sorted(EXEMPT - web), "EXEMPT nämner en väg som inte finns"


def test_the_openapi_document_names_the_422_of_every_write(app):
    from kvalitet.api.routes import ROUTES

    document = app.test_client().get("/api/v1/openapi.json").get_json()
    for route in ROUTES:
        if route.method in ("POST", "PATCH", "PUT") and route.body is not None:
            responses = document["paths"]["/api/v1" + route.path][route.method.lower()]
            assert "422" in responses["responses"], route.endpoint
