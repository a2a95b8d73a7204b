"""QR sheets: every code in the printed PDF decodes (poppler + zbar) to the right address."""
import re
import subprocess

import pytest

from fieldapp.auth import cards
from fieldapp.reports import qrsheet
from fieldapp.cli import main
from fieldapp.guide_texts import GUIDES
from tests.support import factories

BASE = "http://192.168.44.7:8080"
PHONE = "http://10.1.2.3:8080"


def decode_pdf(pdf_path, tmp_path):
    """Every QR code on every page of a PDF, as decoded text (pdftoppm then zbarimg)."""
    prefix = tmp_path / "page"
    subprocess.run(["pdftoppm", "-r", "150", "-png", str(pdf_path), str(prefix)], check=True)
    found = []
    pages = sorted(tmp_path.glob("page-*.png"))
    assert pages
    for png in pages:
        result = subprocess.run(["zbarimg", "-q", "--raw", "-Sdisable", "-Sqrcode.enable",
                                 str(png)], capture_output=True, text=True)
        found += [line for line in result.stdout.splitlines() if line]
    return found


def token_at(client, path, base):
    """The CSRF token a page renders, asked for at another host."""
    page = client.get(path, base_url=base).get_data(as_text=True)
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


def login_at(client, base, username, secret):
    """Sign in through the login page as a phone reaching the laptop at `base` would."""
    response = client.post("/login", base_url=base, data={
        "csrf_token": token_at(client, "/login", base), "username": username, "secret": secret})
    assert response.status_code == 302


def with_wifi(site, ssid, password):
    settings = dict(site.settings, wifi={"ssid": ssid, "password": password})
    site.save_settings(settings)


def test_wifi_payload_escapes_reserved_characters():
    assert qrsheet.wifi_payload("Thon3", "secret-123") == "WIFI:T:WPA;S:Thon3;P:secret-123;;"
    assert (qrsheet.wifi_payload('a;b,c:d"e\\', 'p;1')
            == 'WIFI:T:WPA;S:a\\;b\\,c\\:d\\"e\\\\;P:p\\;1;;')
    assert qrsheet.wifi_payload("Open", "") == "WIFI:T:nopass;S:Open;;"


def test_cli_sheet_codes_decode_to_guides_wifi_and_working_login_cards(site, runner, tmp_path):
    with_wifi(site, "To CNS; thon:3", 'p@ss,"w\\1')
    out = tmp_path / "qr.pdf"
    result = runner.invoke(main, ["--data", site.data_dir, "qr", "--out", str(out),
                                  "--base-url", BASE + "/", "--login-cards"])
    assert result.exit_code == 0, result.output
    assert "1 thẻ đăng nhập" in result.output
    codes = decode_pdf(out, tmp_path)
    local = {f"{BASE}/guides/{g.slug}" for g in GUIDES} | {f"{BASE}/guides/quyen-rieng-tu"}
    official = {g.official_url for g in GUIDES}
    wifi = 'WIFI:T:WPA;S:To CNS\\; thon\\:3;P:p@ss\\,\\"w\\\\1;;'
    logins = [c for c in codes if c.startswith(BASE + "/round#card=")]
    assert set(codes) == local | official | {wifi} | set(logins)
    assert sum(c in local for c in codes) == len(GUIDES) + 1 and codes.count(wifi) == 1
    assert len(logins) == 1                          # one volunteer (minh); the lead gets none
    user = cards.redeem_card(site, logins[0].split("#card=", 1)[1])
    assert user["username"] == "minh"


def test_printed_login_cards_name_the_person_with_the_login_below(site, runner, tmp_path):
    factories.roster_member(site, "minh", "Hoàng Kim Thảo")
    out = tmp_path / "qr.pdf"
    result = runner.invoke(main, ["--data", site.data_dir, "qr", "--out", str(out),
                                  "--base-url", BASE + "/", "--login-cards"])
    assert result.exit_code == 0, result.output
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True).stdout
    assert "Thẻ của Hoàng Kim Thảo" in text and "Tên đăng nhập: minh" in text
    assert "Thẻ của minh" not in text


def test_every_official_address_is_a_government_site():
    for guide in GUIDES:
        assert guide.official_url.startswith("https://") and guide.official_url.endswith(".gov.vn")


def test_sheet_without_wifi_settings_says_so_and_has_no_wifi_code(site, runner, tmp_path):
    out = tmp_path / "qr.pdf"
    result = runner.invoke(main, ["--data", site.data_dir, "qr", "--out", str(out),
                                  "--base-url", BASE])
    assert result.exit_code == 0, result.output
    assert "Chưa có tên Wi-Fi" in result.output
    codes = decode_pdf(out, tmp_path)
    assert not [c for c in codes if c.startswith("WIFI:")]
    assert not [c for c in codes if "#card=" in c]


@pytest.mark.parametrize("args, message", [
    (["--base-url", "ftp://x"], "http://"),
])
def test_qr_bad_options_are_refused(site, runner, tmp_path, args, message):
    result = runner.invoke(main, ["--data", site.data_dir, "qr", "--out",
                                  str(tmp_path / "q.pdf")] + args)
    assert result.exit_code != 0 and message in result.output


def test_login_cards_only_on_a_village_site(site_templates, tmp_path, runner):
    commune = site_templates.copy(tmp_path / "c", factories.commune_site)
    result = runner.invoke(main, ["--data", commune.data_dir, "qr", "--out",
                                  str(tmp_path / "q.pdf"), "--login-cards"])
    assert result.exit_code != 0 and "máy của thôn" in result.output


def test_page_sheet_points_at_the_address_in_use(client, site, tmp_path):
    with_wifi(site, "Thôn 3 Wi-Fi", "mat-khau-1")
    login_at(client, PHONE, "lan", factories.LEAD_PIN)
    response = client.get("/reports/qr.pdf", base_url=PHONE)
    assert response.status_code == 200
    out = tmp_path / "page.pdf"
    out.write_bytes(response.data)
    codes = decode_pdf(out, tmp_path)
    assert {f"http://10.1.2.3:8080/guides/{g.slug}" for g in GUIDES} <= set(codes)
    assert not [c for c in codes if "#card=" in c]


def test_lead_page_sheet_with_login_cards(client, site, tmp_path):
    login_at(client, PHONE, "lan", factories.LEAD_PIN)
    assert client.post("/reports/qr-login.pdf", base_url=PHONE).status_code == 400
    response = client.post("/reports/qr-login.pdf", base_url=PHONE,
                           data={"csrf_token": token_at(client, "/reports/", PHONE)})
    assert response.status_code == 200
    out = tmp_path / "cards.pdf"
    out.write_bytes(response.data)
    logins = [c for c in decode_pdf(out, tmp_path) if "#card=" in c]
    assert len(logins) == 1 and logins[0].startswith("http://10.1.2.3:8080/round#card=")
    made = cards.list_cards(site, "thon-3")
    assert [(c["username"], c["made_by"], c["status"]) for c in made] == [("minh", "lan", "unused")]


def test_commune_sheet_names_the_commune_once_and_points_at_its_own_address(tmp_path, runner):
    from fieldapp.cli.server import remember_address
    commune = factories.commune_site(tmp_path / "xa", users=False)
    remember_address(commune.data_dir, "http://10.9.8.7:8081/")
    with_wifi(commune, "Xa-PhuRieng", "mat-khau-xa")
    out = tmp_path / "xa.pdf"
    result = runner.invoke(main, ["--data", commune.data_dir, "qr", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "http://10.9.8.7:8081/" in result.output
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True).stdout
    head = text.split("cắt theo đường nét đứt")[0]
    assert head.count(commune.settings["commune_name"]) == 1, head
    assert "máy của xã" in text and "của Tổ" not in text
    codes = decode_pdf(out, tmp_path)
    local = [c for c in codes if c.startswith("http://")]
    assert local and all(c.startswith("http://10.9.8.7:8081/guides/") for c in local)
