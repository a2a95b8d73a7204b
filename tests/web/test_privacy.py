"""Data minimisation: no personal data in the server's log or in stray files, and batch
files on a USB stick sealed for the commune's public key.

The real server is driven through sign-ins (right and wrong), record posts with names
and phone numbers, searches and bad requests; then its whole output and every file of
the data directory are searched for the personal strings. Only the record store may hold
names and phone numbers; PINs, passwords, tokens and search terms must be nowhere.
"""
import gzip
import http.client
import json
import logging
import os
import re
import urllib.parse

import pytest

from fieldapp import create_app
from fieldapp.auth.accounts import get_user, session_stamp
from fieldapp.cli import main
from fieldapp.site import Site
from sync import crypto
from tests.support import factories
from tests.support.pages import csrf_token
from tests.support.batches import filled_village, snapshot

NAME, PERSON, PHONE = "Phạm Bí Mật", "Đoàn Riêng Tư", "0987654321"
SEARCH = "timkiembimat"
WRONG_PIN, WRONG_PASSWORD = "918273", "sai-mat-khau-bi-mat"


def _page_login(server, username, secret):
    """Sign in through the real login page; return (status, session cookie)."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    conn.request("GET", "/login")
    response = conn.getresponse()
    body = response.read().decode()
    cookie = response.getheader("Set-Cookie").split(";")[0]
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', body).group(1)
    form = urllib.parse.urlencode({"csrf_token": token, "username": username, "secret": secret})
    conn.request("POST", "/login", form, {"Content-Type": "application/x-www-form-urlencoded",
                                          "Cookie": cookie})
    response = conn.getresponse()
    response.read()
    cookie = (response.getheader("Set-Cookie") or cookie).split(";")[0]
    conn.close()
    return response.status, cookie


def _get(server, path, cookie):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    conn.request("GET", path, headers={"Cookie": cookie})
    response = conn.getresponse()
    body = response.read().decode("utf-8", "replace")
    conn.close()
    return response.status, body


def _files(data_dir):
    for root, _, names in os.walk(data_dir):
        for name in names:
            path = os.path.join(root, name)
            with open(path, "rb") as handle:
                yield os.path.relpath(path, data_dir), handle.read()


def test_no_personal_data_in_the_log_or_stray_files(site, live_server):
    server = live_server
    secrets_used = [factories.VOL_PIN, factories.LEAD_PIN, factories.PASSWORD, WRONG_PIN,
                    WRONG_PASSWORD]
    # sign-ins, right and wrong, through the API and the page
    token = server.login("minh", factories.VOL_PIN)
    assert server.request("POST", "/api/v1/login",
                          {"username": "minh", "secret": WRONG_PIN})[0] == 401
    assert server.request("POST", "/api/v1/login",
                          {"username": "quantri", "secret": WRONG_PASSWORD})[0] == 401
    assert _page_login(server, "lan", WRONG_PIN)[0] == 401
    status, cookie = _page_login(server, "lan", factories.LEAD_PIN)
    assert status == 302
    # records with names and phone numbers
    home = factories.household(NAME)
    home["data"].update(phone=PHONE, consent=factories.consent())
    person = factories.person(home["id"], name=PERSON)
    status, body = server.request("POST", "/api/v1/records", {"records": [home, person]}, token)
    assert status == 200 and [r["status"] for r in body["results"]] == ["accepted"] * 2
    # a rejected record carrying personal data, and a record of someone else's village
    bad = factories.person(home["id"], name=PERSON + " " + "x" * 200)
    bad["data"]["phone"] = "09-" + PHONE
    status, body = server.request("POST", "/api/v1/records", {"records": [bad]}, token)
    assert body["results"][0]["status"] == "rejected"
    # searches, pages, pulls
    assert _get(server, f"/households?q={SEARCH}", cookie)[0] == 200
    status, page = _get(server, "/households?q=" + urllib.parse.quote(NAME), cookie)
    assert status == 200 and NAME in page
    assert _get(server, f"/households/{home['id']}", cookie)[0] == 200
    assert server.request("GET", "/api/v1/records?since=0", token=token)[0] == 200
    # errors: bad JSON holding a name, an unknown page named after a person, bad tokens
    raw = ('{"records": [{"data": {"head_name": "' + NAME + '"').encode()
    assert server.request("POST", "/api/v1/records", raw=raw, token=token)[0] == 400
    assert _get(server, "/households/" + urllib.parse.quote(PERSON), cookie)[0] == 404
    assert server.request("GET", f"/khong-co/{SEARCH}?q={PHONE}")[0] == 404
    assert server.request("GET", "/api/v1/me", token=token[::-1])[0] == 401
    assert server.request("POST", "/api/v1/login/card", {"code": token})[0] == 401
    assert server.request("POST", "/api/v1/records", raw=b"\xff\xfe" + PHONE.encode(),
                          token=token)[0] == 400

    output = server.output()
    assert "fieldapp" in output                      # the log was really captured
    personal = [NAME, PERSON, PHONE, SEARCH, token, token[::-1]] + secrets_used
    for text in personal:
        assert text not in output, f"{text!r} in the server log"
        quoted = urllib.parse.quote(text)
        assert quoted not in output, f"{quoted!r} in the server log"

    allowed = re.compile(r"^records/[^/]+\.json$")
    for name, content in _files(site.data_dir):
        assert not name.endswith((".tmp", ".temp", "~")) and ".tmp" not in name, name
        for text in [SEARCH, token] + secrets_used:
            assert text.encode() not in content, f"{text!r} in {name}"
        if not allowed.match(name):
            for text in (NAME, PERSON, PHONE):
                assert text.encode() not in content, f"{text!r} in {name}"


def test_an_unexpected_error_logs_no_personal_data(site, caplog):
    """A crash inside a view is logged with its traceback but not with the values it
    was handling: exception messages often quote them (int('Phạm...'))."""
    app = create_app({"DATA_DIR": site.data_dir, "TESTING": True})
    app.config["PROPAGATE_EXCEPTIONS"] = False

    def boom():
        from flask import request
        return str(int(request.args["year"]))

    app.add_url_rule("/boom", "boom", boom)
    with caplog.at_level(logging.ERROR):
        response = app.test_client().get("/boom?year=" + urllib.parse.quote(NAME + PHONE))
    assert response.status_code == 500
    assert "Dữ liệu của bạn không bị thay đổi" in response.get_data(as_text=True)
    logged = caplog.text
    assert "ValueError" in logged and "/boom" in logged and "boom" in logged
    assert NAME not in logged and PHONE not in logged


# ------------------------------------------------------------------ sealed batches

def invoke(runner, data_dir, *args):
    return runner.invoke(main, ["--data", str(data_dir), *args])


@pytest.fixture
def sealed(site_templates, tmp_path, runner):
    """(village site, commune dir, sealed file) with the commune's key set at the village."""
    village = filled_village(tmp_path / "village")
    village.store.submit([factories.household(NAME)])
    commune_dir = tmp_path / "commune"
    site_templates.copy(commune_dir, factories.commune_site)
    shown = invoke(runner, commune_dir, "commune-key")
    assert shown.exit_code == 0, shown.output
    key = shown.stdout.strip()
    assert len(key) == 44
    assert os.stat(commune_dir / crypto.BOX_KEY_FILE).st_mode & 0o777 == 0o600
    assert invoke(runner, commune_dir, "commune-key").stdout.strip() == key     # stable
    result = invoke(runner, village.data_dir, "commune-key", key)
    assert result.exit_code == 0 and "Đã lưu khóa" in result.output
    out = tmp_path / "usb" / "thon-3.enc"
    out.parent.mkdir()
    result = invoke(runner, village.data_dir, "export", "--out", str(out), "--encrypt")
    assert result.exit_code == 0, result.output
    assert "Đã xuất 10 bản ghi" in result.output and "mã hóa" in result.output
    return village, commune_dir, out


def test_a_sealed_batch_hides_the_data_and_imports(sealed, runner):
    village, commune_dir, out = sealed
    data = out.read_bytes()
    assert crypto.is_sealed(data)
    assert NAME.encode() not in data and "Hộ 0".encode() not in data
    with pytest.raises(OSError):
        gzip.decompress(data)
    result = invoke(runner, commune_dir, "import", str(out))
    assert result.exit_code == 0, result.output
    assert "10 bản ghi, 10 mới" in result.output
    commune = Site(str(commune_dir))
    assert {v["id"] for v in commune.store.currents()} == \
        {v["id"] for v in village.store.currents()}
    assert NAME in {v["data"].get("head_name") for v in commune.store.currents()}


def test_the_import_page_and_the_push_api_open_sealed_files(sealed, tmp_path):
    _, commune_dir, out = sealed
    commune = Site(str(commune_dir))
    app = create_app({"DATA_DIR": str(commune_dir), "TESTING": True})
    client = app.test_client()
    with client.session_transaction() as session:
        session["username"], session["stamp"] = "canbo", session_stamp(get_user(commune, "canbo"))
    with open(out, "rb") as handle:
        response = client.post("/commune/import", data={
            "csrf_token": csrf_token(client, "/commune/import"),
            "files": (handle, "thon-3.enc")}, content_type="multipart/form-data")
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    assert "10 mới" in response.get_data(as_text=True)
    token = client.post("/api/v1/login", json={"username": "canbo",
                                               "secret": factories.PASSWORD}).json["token"]
    answer = client.post("/api/v1/batches", data=out.read_bytes(),
                         headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200 and answer.json["receipt"]["already_imported"]


def test_a_file_sealed_for_another_commune_is_refused(sealed, tmp_path, runner):
    _, _, out = sealed
    other = tmp_path / "other-commune"
    factories.commune_site(other, users=False)
    invoke(runner, other, "commune-key")
    before = snapshot(other)
    result = invoke(runner, other, "import", str(out))
    assert result.exit_code == 1
    assert "TỪ CHỐI" in result.output and "khóa khác" in result.output
    assert snapshot(other) == before
    # a commune that never made a key (initialised before init made one) says so
    third = tmp_path / "third"
    factories.commune_site(third, users=False)
    os.unlink(third / crypto.BOX_KEY_FILE)
    result = invoke(runner, third, "import", str(out))
    assert result.exit_code == 1 and "chưa có khóa giải mã" in result.output


@pytest.mark.parametrize("where", ["ephemeral", "nonce", "ciphertext", "tag", "truncated",
                                   "recipient"])
def test_a_tampered_sealed_file_is_refused_and_nothing_stored(sealed, tmp_path, runner, where):
    _, commune_dir, out = sealed
    data = bytearray(out.read_bytes())
    start = len(crypto.MAGIC)
    spot = {"recipient": start + 3, "ephemeral": start + 40, "nonce": start + 70,
            "ciphertext": crypto.HEADER + 100, "tag": len(data) - 3}.get(where)
    if where == "truncated":
        data = data[:len(data) // 2]
    else:
        data[spot] ^= 0x01
    bad = tmp_path / "bad.enc"
    bad.write_bytes(bytes(data))
    before = snapshot(commune_dir)
    result = invoke(runner, commune_dir, "import", str(bad))
    assert result.exit_code == 1 and "TỪ CHỐI" in result.output, result.output
    expected = "khóa khác" if where == "recipient" else "bị sửa hoặc bị hỏng"
    assert expected in result.output
    assert snapshot(commune_dir) == before


def test_export_encrypt_needs_a_valid_commune_key(tmp_path, runner):
    village = filled_village(tmp_path / "village")
    out = tmp_path / "x.enc"
    result = invoke(runner, village.data_dir, "export", "--out", str(out), "--encrypt")
    assert result.exit_code != 0 and "Chưa có khóa công khai của xã" in result.output
    result = invoke(runner, village.data_dir, "export", "--out", str(out), "--to", "abc")
    assert result.exit_code != 0 and "không hợp lệ" in result.output
    result = invoke(runner, village.data_dir, "commune-key", "A" * 43)
    assert result.exit_code != 0 and "không hợp lệ" in result.output
    assert not out.exists()
    with village.meta_lock:
        assert village.table("exports").all() == []       # nothing counted as sent


def test_once_the_commune_key_is_known_export_seals_unless_told_not_to(sealed, runner, tmp_path):
    village, commune_dir, _ = sealed
    village.store.submit([factories.household("Hộ mới " + NAME)])
    usb = tmp_path / "usb"
    result = invoke(runner, village.data_dir, "export", "--out", str(usb / "a.json.gz"), "--all")
    assert result.exit_code == 0 and "mã hóa" in result.output, result.output
    assert f"ghi là {usb / 'a.enc'} (không phải {usb / 'a.json.gz'})" in result.output
    assert not (usb / "a.json.gz").exists()          # a sealed file never wears a .json name
    sealed_file = (usb / "a.enc").read_bytes()
    assert crypto.is_sealed(sealed_file) and NAME.encode() not in sealed_file
    result = invoke(runner, village.data_dir, "export", "--out", str(usb / "b.json"), "--all",
                    "--no-encrypt")
    assert result.exit_code == 0 and "chưa mã hóa" in result.output, result.output
    plain = json.loads((usb / "b.json").read_bytes())
    assert plain["record_count"] == len(village.store)
    result = invoke(runner, commune_dir, "import", str(usb / "a.enc"))
    assert result.exit_code == 0, result.output
    assert "Hộ mới " + NAME in {v["data"].get("head_name") for v in Site(str(commune_dir)).store.currents()}


def test_without_a_commune_key_export_writes_the_plain_batch(tmp_path, runner):
    village = filled_village(tmp_path / "village")
    out = tmp_path / "thon.json"
    result = invoke(runner, village.data_dir, "export", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "chưa mã hóa (lưu khóa của xã bằng `fieldapp commune-key KHÓA`" in result.output
    assert json.loads(out.read_bytes())["format"] == "fieldapp-batch"
    result = invoke(runner, village.data_dir, "export", "--out", str(out), "--no-encrypt",
                    "--to", "A" * 44)
    assert result.exit_code != 0 and "mâu thuẫn" in result.output


def test_a_plain_batch_is_not_written_under_a_sealed_name(tmp_path, runner):
    village = filled_village(tmp_path / "village")
    out = tmp_path / "thon.enc"
    result = invoke(runner, village.data_dir, "export", "--out", str(out))
    assert result.exit_code != 0 and "chưa có khóa của xã" in result.output, result.output
    assert not out.exists() and village.table("exports").all() == []
