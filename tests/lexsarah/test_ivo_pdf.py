"""The IVO summary PDF opens, holds the case's facts and never the reporter's identity."""

from __future__ import annotations

import io
import shutil
import subprocess

import pytest
from pypdf import PdfReader

from kvalitet.core import clock
from kvalitet.lexsarah import operations as ops
from tests.conftest import make_user
from tests.lexsarah.helpers import investigate, make_case


def test_ivo_pdf_holds_facts_not_reporter(org, login_as, tmp_path):
    reporter = make_user("Rebecka Rapportsson", "medarbetare", org.a1, title="Undersköterska")
    case = make_case(
        org,
        reporter=reporter,
        title="Utebliven tillsyn nattetid",
        description="Nattillsyn gjordes inte enligt genomförandeplanen.",
    )
    ops.assess(case, org.sas, "missforhallande", "Allvarlig brist.")
    investigate(case, org.sas)
    ops.decide(
        case,
        org.sas,
        outcome="missforhallande",
        allvarligt=True,
        decision_maker_id=org.avdchef_a.id,
        decision_date=clock.today(),
        reason="Allvarlig brist i tillsyn.",
    )
    ops.file_ivo(
        case,
        org.sas,
        filed_date=clock.today(),
        channel="post",
        region="IVO Region Öst",
        attached=False,
    )
    response = login_as(org.sas).get(f"/lexsarah/{case.ref}/ivo-sammanstallning.pdf")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/pdf"
    pdf = response.data
    assert pdf.startswith(b"%PDF")
    text = " ".join((p.extract_text() or "") for p in PdfReader(io.BytesIO(pdf)).pages)
    flat = " ".join(text.split())
    for fact in (
        "Utebliven tillsyn nattetid",
        "Nattillsyn gjordes inte",
        "IVO Region Öst",
        "Missförhållande",
        case.ref,
        org.avdchef_a.name,
        "Orsaker som har identifierats",
        "Samtal med personal",
    ):
        assert fact in flat, fact
    assert "Rebecka" not in flat and "Rapportsson" not in flat
    assert "Undersköterska" not in flat
    path = tmp_path / "ivo.pdf"
    path.write_bytes(pdf)
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm saknas")
    subprocess.run(
        ["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", str(path), str(tmp_path / "sida")],
        check=True,
    )
    assert list(tmp_path.glob("sida*.png"))
