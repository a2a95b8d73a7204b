"""A commune pushes its roll-up to the province (`POST /api/v1/rollups`, the real waitress
server) with the token the province issued for it: taken with the file import's checks,
the same roll-up twice changes nothing, and a wrong or revoked token, another commune's
token, another province's roll-up, a changed byte, an oversized body or a bomb, and a
roll-up sealed for another key are refused with the JSON error, nothing stored."""
import datetime
import gzip
import re
import zlib
from pathlib import Path

import pytest

from fieldapp import audit, create_app
from fieldapp.auth.accounts import add_user
from fieldapp.cli import main
from fieldapp.province.rollup import make_rollup
from fieldapp.province.store import receipts, stored_rollups
from fieldapp.site import Site, init_province_site, init_site
from sync import crypto
from sync.batch import gzip_bytes
from sync.rollup import rollup_bytes
from tests.support import factories
from tests.support.batches import assert_error, commune, snapshot  # noqa: F401 (fixture)
from tests.support.live import LiveServer
from tests.support.pages import csrf_token, login_page

OTHER = "26068"                    # Phường Biên Hòa, Đồng Nai
DAY = datetime.date(2025, 8, 20)


def province_site(path):
    """A province of Đồng Nai with staff canbotinh (quick hashes)."""
    init_province_site(str(path), "75", factories.START, factories.END)
    site = Site(str(path))
    add_user(site, "canbotinh", "staff", factories.PASSWORD)
    factories._quick_hashes(site, {"canbotinh": factories.PASSWORD})
    return site


@pytest.fixture
def province(site_templates, tmp_path):
    return site_templates.copy(tmp_path / "tinh", province_site)


@pytest.fixture
def server(province):
    live = LiveServer(province.data_dir).start()
    yield live
    live.stop()


@pytest.fixture
def filled(commune):
    """The commune (thon-3, thon-5) with a household and an adult online in thon-3."""
    home = factories.household("Hộ Một", village_id="thon-3")
    commune.store.submit([home, factories.person(home["id"], "Người Một", 1980,
                                                 village_id="thon-3", online=True)])
    return commune


def invoke(runner, data_dir, *args):
    return runner.invoke(main, ["--data", str(data_dir), *args])


def issue(runner, province, code=factories.COMMUNE):
    """A commune's token, issued at the province's command line as its staff would."""
    result = invoke(runner, province.data_dir, "push-token", "issue", code)
    assert result.exit_code == 0, result.output
    return result.stdout.splitlines()[0]


def post(server, token, body, content_type="application/json"):
    return server.request("POST", "/api/v1/rollups", raw=body, token=token,
                          headers={"Content-Type": content_type})


def kept(province):
    """What the province holds of its communes: their roll-ups and the receipts."""
    return stored_rollups(province), [dict(r) for r in receipts(province)]


def test_a_commune_pushes_its_rollup_and_the_province_keeps_it(
        runner, province, server, filled):
    token = issue(runner, province)
    assert token.startswith("fa-tinh-")
    result = invoke(runner, filled.data_dir, "push", server.url, "--token", token, "--save",
                    "--as-of", "20/08/2025")
    assert result.exit_code == 0, result.output
    assert "Đã nhận số liệu của Xã Phú Riềng tính đến 20/08/2025." in result.output
    rollup = stored_rollups(province)[factories.COMMUNE]
    assert rollup["as_of"] == "2025-08-20"
    assert rollup["villages"] == make_rollup(filled, DAY)["villages"]
    thon3 = next(v for v in rollup["villages"] if v["id"] == "thon-3")
    last = thon3["periods"][-1]["indicators"]["adult_online_usage"]
    assert (last["numerator"], last["denominator"]) == (1, 1)
    # the token is stored hashed only, and the entries name the commune, not a person
    for path in snapshot(province.data_dir):
        assert token.encode() not in (Path(province.data_dir) / path).read_bytes(), path
    actions = [e["action"] for e in audit.entries(province)]
    assert "rollup_token.issue" in actions and "rollup.push.new" in actions
    pushed = next(e for e in audit.entries(province) if e["action"] == "rollup.push.new")
    assert pushed["actor"] == f"push:{factories.COMMUNE}"
    assert [e["action"] for e in audit.entries(filled, "rollup.sent")] == ["rollup.sent"]
    # saved: the next push needs neither address nor token
    again = invoke(runner, filled.data_dir, "push", "--as-of", "20/08/2025")
    assert again.exit_code == 0 and "thay cho số liệu cũ hơn" in again.output, again.output


def test_the_same_rollup_pushed_twice_changes_nothing(runner, province, server, filled):
    token = issue(runner, province)
    body = gzip_bytes(rollup_bytes(make_rollup(filled, DAY)))
    status, answer = post(server, token, body)
    assert status == 200 and answer["receipt"]["outcome"] == "new", answer
    before = kept(province)
    status, answer = post(server, token, body)
    assert status == 200 and answer["receipt"]["outcome"] == "same", answer
    assert "đã được nhận trước đây" in answer["message"]
    assert kept(province) == before


def test_a_wrong_or_revoked_token_is_refused(runner, province, server, filled):
    body = gzip_bytes(rollup_bytes(make_rollup(filled, DAY)))
    token = issue(runner, province)
    staff = server.login("canbotinh", factories.PASSWORD)
    before = snapshot(province.data_dir)
    for wrong in ("fa-tinh-" + "x" * 43, token[:-1] + ("A" if token[-1] != "A" else "B"),
                  "fa-push-" + "x" * 43):
        assert_error(*post(server, wrong, body), 401, "not_signed_in")
    assert_error(*post(server, None, body), 401, "not_signed_in")
    assert_error(*post(server, staff, body), 401, "not_signed_in")
    assert snapshot(province.data_dir) == before
    result = invoke(runner, province.data_dir, "push-token", "revoke", factories.COMMUNE)
    assert result.exit_code == 0 and "Đã thu hồi" in result.output
    before = snapshot(province.data_dir)
    assert_error(*post(server, token, body), 401, "not_signed_in")
    assert snapshot(province.data_dir) == before
    # a new token replaces the old one: the old stops working, the new one pushes
    first = issue(runner, province)
    second = issue(runner, province)
    assert_error(*post(server, first, body), 401, "not_signed_in")
    assert post(server, second, body)[0] == 200


def test_a_communes_token_cannot_post_another_communes_figures(
        runner, province, server, filled, tmp_path):
    token = issue(runner, province, OTHER)
    before = snapshot(province.data_dir)
    status, answer = post(server, token, gzip_bytes(rollup_bytes(make_rollup(filled, DAY))))
    assert_error(status, answer, 403, "forbidden")
    assert OTHER in answer["error"]["message"]
    assert snapshot(province.data_dir) == before
    refused = [e for e in audit.entries(province) if e["action"] == "rollup.push.refused"]
    assert refused and refused[-1]["actor"] == f"push:{OTHER}"
    # nor can a second laptop use a token another laptop of the commune already used
    mine = issue(runner, province)
    assert post(server, mine, gzip_bytes(rollup_bytes(make_rollup(filled, DAY))))[0] == 200
    stranger = factories.commune_site(tmp_path / "xa-khac", users=False)
    status, answer = post(server, mine, gzip_bytes(rollup_bytes(make_rollup(stranger, DAY))))
    assert_error(status, answer, 403, "forbidden")


def test_a_rollup_of_another_province_is_refused(runner, province, server, tmp_path):
    from vietnam_provinces import Ward
    elsewhere = next(w for w in Ward.iter_all() if int(w.province_code) != 75)
    init_site(str(tmp_path / "xa-xa"), "commune", str(int(elsewhere.code)),
              [{"id": "thon-1", "name": "Thôn 1", "adult_population": None, "targets": {}}],
              factories.START, factories.END)
    token = issue(runner, province)
    before = snapshot(province.data_dir)
    status, answer = post(server, token, rollup_bytes(make_rollup(Site(str(tmp_path / "xa-xa")),
                                                                  DAY)))
    assert_error(status, answer, 422, "invalid")
    assert answer["error"]["details"]["problem"] == "province"
    assert snapshot(province.data_dir) == before


def test_a_changed_byte_or_a_forged_signature_is_refused(runner, province, server, filled):
    token = issue(runner, province)
    good = rollup_bytes(make_rollup(filled, DAY))
    before = snapshot(province.data_dir)
    forged = good.replace(b'"numerator":0', b'"numerator":9', 1)
    assert forged != good
    for body, problem in ((forged, "signature"), (good[:-30], "not_json"),
                          (b"\x00\xffkh\xf4ng ph\xe1i", "not_json"),
                          (b'{"format":"fieldapp-batch"}', "format")):
        status, answer = post(server, token, body)
        assert_error(status, answer, 422, "invalid")
        assert answer["error"]["details"]["problem"] == problem, answer
    assert snapshot(province.data_dir) == before


def test_an_oversized_body_or_a_gzip_bomb_is_refused_before_work(runner, province, server):
    token = issue(runner, province)
    before = snapshot(province.data_dir)
    assert_error(*post(server, token, b" " * (5 * 1024 * 1024)), 413, "too_large")
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    bomb = packer.compress(b'{"format":"fieldapp-rollup","x":"' + b"0" * (20 * 1024 * 1024)) \
        + packer.flush()
    assert len(bomb) < 100_000
    assert_error(*post(server, token, bomb), 413, "too_large")
    assert snapshot(province.data_dir) == before


def test_a_sealed_rollup_is_opened_only_with_the_provinces_key(
        runner, province, server, filled, tmp_path):
    token = issue(runner, province)
    key = crypto.box_public_key(province.data_dir)
    elsewhere = tmp_path / "khoa-khac"
    elsewhere.mkdir()
    other_key = crypto.create_box_key(str(elsewhere))
    body = gzip_bytes(rollup_bytes(make_rollup(filled, DAY)))
    before = snapshot(province.data_dir)
    status, answer = post(server, token, crypto.seal(body, other_key), "application/octet-stream")
    assert_error(status, answer, 422, "invalid")
    assert answer["error"]["details"]["problem"] == "encrypted"
    sealed = bytearray(crypto.seal(body, key))
    sealed[-5] ^= 1
    status, answer = post(server, token, bytes(sealed), "application/octet-stream")
    assert answer["error"]["details"]["problem"] == "encrypted" and "máy của xã" in \
        answer["error"]["message"]
    assert snapshot(province.data_dir) == before
    # the commune stores the province's key once; from then on its push is sealed
    stored = invoke(runner, filled.data_dir, "province-key", key)
    assert stored.exit_code == 0, stored.output
    result = invoke(runner, filled.data_dir, "push", server.url, "--token", token,
                    "--as-of", "20/08/2025")
    assert result.exit_code == 0 and "mã hóa cho khóa của tỉnh" in result.output, result.output
    assert stored_rollups(province)[factories.COMMUNE]["as_of"] == "2025-08-20"
    sent, = audit.entries(filled, "rollup.sent")
    assert sent["sealed"] is True


def test_a_sealed_rollup_file_is_named_enc_and_the_province_imports_it(
        runner, province, filled, tmp_path):
    key = invoke(runner, province.data_dir, "province-key").stdout.strip()
    plain = invoke(runner, filled.data_dir, "rollup", "--out", str(tmp_path / "x.enc"))
    assert plain.exit_code != 0 and "province-key" in plain.output
    assert invoke(runner, filled.data_dir, "province-key", key).exit_code == 0
    result = invoke(runner, filled.data_dir, "rollup", "--out", str(tmp_path / "xa.json.gz"),
                    "--as-of", "20/08/2025")
    assert result.exit_code == 0 and "xa.enc" in result.output, result.output
    body = (tmp_path / "xa.enc").read_bytes()
    assert crypto.is_sealed(body) and b"thon-3" not in body and b"Th\xc3\xb4n" not in body
    imported = invoke(runner, province.data_dir, "import", str(tmp_path / "xa.enc"))
    assert imported.exit_code == 0 and "Đã nhận số liệu của Xã Phú Riềng" in imported.output
    unsealed = invoke(runner, filled.data_dir, "rollup", "--no-encrypt", "--out",
                      str(tmp_path / "xa.json.gz"))
    assert unsealed.exit_code == 0 and gzip.decompress((tmp_path / "xa.json.gz").read_bytes())


def test_province_staff_issue_tokens_on_a_page_shown_once(province):
    client = create_app({"DATA_DIR": province.data_dir}).test_client()
    assert login_page(client, "canbotinh", factories.PASSWORD).status_code == 302
    token = csrf_token(client, "/province/push-tokens")
    page = client.post("/province/push-tokens", data={
        "csrf_token": token, "commune": factories.COMMUNE, "label": "<b>Máy UBND</b>"})
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "Mã gửi mới cho Xã Phú Riềng" in text
    issued = re.search(r"fa-tinh-[A-Za-z0-9_-]{43}", text).group(0)
    assert f"fieldapp province-key {crypto.box_public_key(province.data_dir)}" in text
    assert "&lt;b&gt;Máy UBND&lt;/b&gt;" in text and "<b>Máy UBND" not in text
    listing = client.get("/province/push-tokens").get_data(as_text=True)
    assert issued not in listing and "đang dùng" in listing
    bad = client.post("/province/push-tokens", data={"csrf_token": token, "commune": "99999"})
    assert bad.status_code == 422 and "Hãy chọn một xã" in bad.get_data(as_text=True)
    assert client.post("/province/push-tokens", data={"commune": OTHER}).status_code == 400
    row_id = re.search(r"/province/push-tokens/(\d+)/revoke", listing).group(1)
    revoked = client.post(f"/province/push-tokens/{row_id}/revoke",
                          data={"csrf_token": token})
    assert revoked.status_code == 303
    assert "đã thu hồi" in client.get("/province/push-tokens").get_data(as_text=True)
    assert client.post("/province/push-tokens/999/revoke",
                       data={"csrf_token": token}).status_code == 404


def test_commune_staff_send_the_rollup_with_the_button(runner, province, server, filled):
    client = create_app({"DATA_DIR": filled.data_dir}).test_client()
    assert login_page(client, "canbo", factories.PASSWORD).status_code == 302
    page = client.get("/commune/rollup?as_of=2025-08-20").get_data(as_text=True)
    assert "Gửi lên tỉnh</button>" not in page and 'href="/connection"' in page
    token = issue(runner, province)
    filled.update_settings(lambda s: s.update(push={"url": server.url, "token": token}))
    page = client.get("/commune/rollup?as_of=2025-08-20").get_data(as_text=True)
    assert "Gửi lên tỉnh</button>" in page and server.url in page
    form = csrf_token(client, "/commune/rollup")
    sent = client.post("/commune/rollup/push?as_of=2025-08-20", data={"csrf_token": form},
                       follow_redirects=True)
    text = sent.get_data(as_text=True)
    assert "Đã gửi số liệu tính đến 20/08/2025 qua mạng" in text, text
    assert stored_rollups(province)[factories.COMMUNE]["as_of"] == "2025-08-20"
    filled.update_settings(lambda s: s.update(push={"url": server.url, "token": "fa-tinh-x"}))
    refused = client.post("/commune/rollup/push?as_of=2025-08-20",
                          data={"csrf_token": form}, follow_redirects=True)
    assert "Máy của tỉnh từ chối số liệu" in refused.get_data(as_text=True)
    actions = [e["action"] for e in audit.entries(filled, "rollup.sent")]
    assert actions == ["rollup.sent", "rollup.sent.refused"]


def test_keys_and_tokens_are_refused_where_they_do_not_belong(runner, province, filled):
    bad = invoke(runner, filled.data_dir, "province-key", "A" * 44)
    assert bad.exit_code != 0 and "Khóa công khai của tỉnh không hợp lệ" in bad.output
    assert "province_public_key" not in Site(filled.data_dir).settings
    at_commune = invoke(runner, filled.data_dir, "push-token", "list")
    assert at_commune.exit_code != 0 and "chỉ dùng ở máy của tỉnh" in at_commune.output
    unknown = invoke(runner, province.data_dir, "push-token", "issue", "99999")
    assert unknown.exit_code != 0 and "Không có xã, phường mã 99999" in unknown.output
    given = invoke(runner, province.data_dir, "province-key", "A" * 44)
    assert given.exit_code != 0 and "không nhận khóa" in given.output
    no_url = invoke(runner, filled.data_dir, "push")
    assert no_url.exit_code != 0 and "máy của tỉnh" in no_url.output
