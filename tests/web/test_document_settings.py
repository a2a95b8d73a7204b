"""The report's document settings page (issuing body, symbol, signer, recipients): who may
open it, CSRF, every error under its own field in Vietnamese with nothing stored, saved
values printed in the report; the CLI options go through the same checks."""
import html
import re

import docx
import io
import pytest

from fieldapp import create_app
from fieldapp.cli import main
from fieldapp.site import Site
from tests.support import factories
from tests.support.pages import csrf_token, login_page

GOOD = {"issuer": "UBND XÃ PHÚ RIỀNG", "symbol": "BC-UBND", "signer_capacity": "KT. CHỦ TỊCH",
        "signer_title": "PHÓ CHỦ TỊCH", "signer_name": "Nguyễn Văn Ân",
        "recipients": "- UBND huyện\r\n\r\nThường trực Đảng ủy xã\r\nLưu: VT."}


def _lead(client):
    login_page(client, "lan", factories.LEAD_PIN)
    return csrf_token(client, "/reports/document")


def _field_error(page, name):
    """The error text shown in the field block of input `name`, or None."""
    block = re.search(r'<div class="field has-error">((?:(?!<div class="field).)*?name="'
                      + name + r'".*?)</div>', page, re.S)
    if not block:
        return None
    return " ".join(html.unescape(m) for m in re.findall(r'<p class="err"[^>]*>(.*?)</p>',
                                                         block.group(1)))


def test_lead_saves_the_document_settings_and_the_report_prints_them(client, site):
    token = _lead(client)
    page = client.get("/reports/document").get_data(as_text=True)
    assert "Thông tin văn bản" in page and 'href="/reports/document"' in page   # nav tab
    response = client.post("/reports/document", data=dict(GOOD, csrf_token=token))
    assert response.status_code == 302
    stored = Site(site.data_dir).settings["document"]
    assert stored == {"issuer": "UBND XÃ PHÚ RIỀNG", "symbol": "BC-UBND",
                      "signer_capacity": "KT. CHỦ TỊCH", "signer_title": "PHÓ CHỦ TỊCH",
                      "signer_name": "Nguyễn Văn Ân",
                      "recipients": ["UBND huyện", "Thường trực Đảng ủy xã", "Lưu: VT."]}
    again = client.get("/reports/document").get_data(as_text=True)
    assert 'value="BC-UBND"' in again and "Thường trực Đảng ủy xã\nLưu: VT." in again
    word = docx.Document(io.BytesIO(client.get("/reports/report.docx?period=1").data))
    cells = [c.text for t in word.tables for row in t.rows for c in row.cells]
    words = "\n".join([p.text for p in word.paragraphs] + cells)
    for expected in ("UBND XÃ PHÚ RIỀNG", "Số: …………/BC-UBND", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH",
                     "Nguyễn Văn Ân", "- UBND huyện", "- Thường trực Đảng ủy xã", "- Lưu: VT."):
        assert expected in words
    from fieldapp import audit
    assert [e["count"] for e in audit.entries(site, "report.document_saved")] == [5]


def test_clearing_a_field_prints_a_dotted_blank_again(client, site):
    token = _lead(client)
    client.post("/reports/document", data=dict(GOOD, csrf_token=token))
    client.post("/reports/document", data=dict(GOOD, signer_name="  ", recipients="",
                                               csrf_token=token))
    stored = Site(site.data_dir).settings["document"]
    assert stored["signer_name"] == "" and stored["recipients"] == []
    word = docx.Document(io.BytesIO(client.get("/reports/report.docx?period=1").data))
    cells = [c.text for t in word.tables for row in t.rows for c in row.cells]
    assert "Nguyễn Văn Ân" not in "\n".join(cells) and "- …………" in "\n".join(cells)


def test_every_bad_field_gets_its_own_vietnamese_error_and_nothing_is_stored(client, site):
    token = _lead(client)
    before = Site(site.data_dir).settings
    response = client.post("/reports/document", data=dict(
        GOOD, csrf_token=token, symbol="bc/ubnd", issuer="X" * 121,
        signer_name="Nguyễn\x07Ân", recipients="\n".join(f"Nơi {n}" for n in range(21))))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Có ô chưa đúng" in page
    assert "ví dụ BC-UBND" in _field_error(page, "symbol")
    assert "tối đa 120 ký tự" in _field_error(page, "issuer")
    assert "ký tự điều khiển" in _field_error(page, "signer_name")
    assert "tối đa 20" in _field_error(page, "recipients")
    assert _field_error(page, "signer_capacity") is None
    assert 'value="KT. CHỦ TỊCH"' in page                    # what was typed stays
    assert Site(site.data_dir).settings == before


def test_saving_needs_the_form_token(client, site):
    _lead(client)
    before = Site(site.data_dir).settings
    response = client.post("/reports/document", data=GOOD)
    assert response.status_code == 400
    assert Site(site.data_dir).settings == before


def test_volunteers_may_not_open_it_and_commune_staff_may(client, site, site_templates,
                                                          tmp_path):
    login_page(client, "minh", factories.VOL_PIN)
    assert client.get("/reports/document").status_code == 403
    commune = site_templates.copy(tmp_path / "xa", factories.commune_site, quick_hashes=True)
    staff = create_app({"DATA_DIR": commune.data_dir, "TESTING": True}).test_client()
    login_page(staff, "canbo", factories.PASSWORD)
    token = csrf_token(staff, "/reports/document")
    response = staff.post("/reports/document", data=dict(GOOD, csrf_token=token))
    assert response.status_code == 302
    assert Site(commune.data_dir).settings["document"]["symbol"] == "BC-UBND"


@pytest.mark.parametrize("option, value, message", [
    ("--symbol", "bc ubnd", "ví dụ BC-UBND"),
    ("--signer-name", "N" * 81, "tối đa 80 ký tự"),
    ("--recipient", "R" * 201, "Nơi nhận thứ 1 dài quá 200"),
])
def test_cli_options_get_the_same_checks_and_store_nothing_bad(site, runner, tmp_path,
                                                               option, value, message):
    before = Site(site.data_dir).settings
    out = tmp_path / "r.docx"
    result = runner.invoke(main, ["--data", site.data_dir, "report", "--out", str(out),
                                  "--period", "1", option, value])
    assert result.exit_code != 0 and message in result.output, result.output
    assert option in result.output and "Traceback" not in result.output
    assert not out.exists() and Site(site.data_dir).settings == before
