"""`fieldapp push` seals batches for the commune's key, and `POST /api/v1/batches` opens them.

A recording hop between the village and the real commune server keeps the bytes that went
over the (plain HTTP) wire, so the tests see what a listener on the Wi-Fi would see.
"""
import gzip
import json
import os
import re
import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (missing_required_header, negative_data_rejection,
                                 positive_data_acceptance)

from fieldapp import create_app
from fieldapp.cli import main
from fieldapp.views.openapi import openapi
from fieldapp.site import Site
from sync import crypto
from sync.batch import batch_bytes, gzip_bytes
from sync.export import export_batch
from tests.support import factories
from tests.support.pages import csrf_token, login_page
from tests.support.live import LiveServer
from tests.support.batches import commune, filled_village, server, snapshot  # noqa: F401 (fixtures)
from tests.support.batches import issue_push_token
from tests.support.batches import assert_error

EXAMPLES = int(os.environ.get("FIELDAPP_FUZZ_EXAMPLES", "25"))
PEOPLE = [f"Người {n}".encode() for n in range(3)] + [f"Hộ {n}".encode() for n in range(3)]


class Recorder:
    """An HTTP hop that forwards every POST to `target` and keeps (headers, body)."""

    def __init__(self, target):
        seen = self.seen = []

        class Hop(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                seen.append((dict(self.headers), body))
                forward = {k: v for k, v in self.headers.items()
                           if k in ("Content-Type", "Content-Encoding", "Authorization")}
                request = urllib.request.Request(target + self.path, data=body, method="POST",
                                                 headers=forward)
                try:
                    with urllib.request.urlopen(request, timeout=30) as answer:
                        status, payload = answer.status, answer.read()
                except urllib.error.HTTPError as error:
                    status, payload = error.code, error.read()
                    error.close()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Hop)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(10)


@pytest.fixture
def wire(server):
    hop = Recorder(server.url)
    yield hop
    hop.close()


def invoke(runner, data_dir, *args):
    return runner.invoke(main, ["--data", str(data_dir), *args])


def exports(site):
    with site.meta_lock:
        return [dict(row) for row in site.table("exports").all()]


def ids(site):
    site.store.refresh()
    return {v["id"] for v in site.store.currents()}


def test_push_seals_the_batch_once_the_commune_key_is_known(tmp_path, runner, commune, wire):
    village = filled_village(tmp_path / "village")
    key = crypto.box_public_key(commune.data_dir)
    assert invoke(runner, village.data_dir, "commune-key", key).exit_code == 0
    token = issue_push_token(commune, "thon-3")
    result = invoke(runner, village.data_dir, "push", wire.url, "--token", token)
    assert result.exit_code == 0, result.output
    assert "Đã nhận lô của Thôn 3: 9 bản ghi, 9 mới, 0 trùng." in result.output
    assert "mã hóa" in result.output
    (headers, body), = wire.seen
    assert crypto.is_sealed(body) and headers["Content-Type"] == "application/octet-stream"
    for name in PEOPLE + [b'"records"', b"thon-3", b"fieldapp-batch"]:
        assert name not in body
    # only the commune's private key opens it, and inside is the whole signed batch
    inside = json.loads(gzip.decompress(crypto.open_sealed(commune.data_dir, body)))
    assert inside["record_count"] == 9 and inside["site"]["village_ids"] == ["thon-3"]
    assert ids(Site(commune.data_dir)) == ids(village)
    assert [row["until_seq"] for row in exports(village)] == [9]


def test_the_push_token_page_gives_the_village_the_commune_key(tmp_path, runner, commune, wire):
    client = create_app({"DATA_DIR": commune.data_dir}).test_client()
    assert login_page(client, "canbo", factories.PASSWORD).status_code == 302
    page = client.post("/commune/push-tokens", data={
        "csrf_token": csrf_token(client, "/commune/push-tokens"), "village_id": "thon-3",
        "label": "Máy tổ trưởng"}).get_data(as_text=True)
    key = re.search(r"fieldapp commune-key ([A-Za-z0-9+/=]{44})<", page).group(1)
    assert key == crypto.box_public_key(commune.data_dir)
    assert crypto.fingerprint(key) in page
    token = re.search(r"--token (fa-push-[A-Za-z0-9_-]{43}) --save<", page).group(1)
    village = filled_village(tmp_path / "village")
    assert invoke(runner, village.data_dir, "commune-key", key).exit_code == 0
    result = invoke(runner, village.data_dir, "push", wire.url, "--token", token)
    assert result.exit_code == 0 and "9 bản ghi, 9 mới" in result.output, result.output
    assert crypto.is_sealed(wire.seen[-1][1])


def test_push_is_plain_without_a_key_and_encrypt_refuses_to_send_without_one(
        tmp_path, runner, commune, wire):
    village = filled_village(tmp_path / "village")
    token = issue_push_token(commune, "thon-3")
    before = snapshot(commune.data_dir)
    result = invoke(runner, village.data_dir, "push", wire.url, "--token", token, "--encrypt")
    assert result.exit_code != 0 and "Chưa có khóa công khai của xã" in result.output
    assert wire.seen == [] and exports(village) == [] and snapshot(commune.data_dir) == before
    result = invoke(runner, village.data_dir, "push", wire.url, "--token", token, "--to", "abc")
    assert result.exit_code != 0 and "không hợp lệ" in result.output and wire.seen == []

    result = invoke(runner, village.data_dir, "push", wire.url, "--token", token)
    assert result.exit_code == 0, result.output
    assert "mã hóa" not in result.output
    assert wire.seen[-1][1][:2] == b"\x1f\x8b"           # gzip, readable by a listener
    assert b"Ng" in gzip.decompress(wire.seen[-1][1])

    # with the key known, --no-encrypt still sends plain; --to seals without settings
    key = crypto.box_public_key(commune.data_dir)
    assert invoke(runner, village.data_dir, "commune-key", key).exit_code == 0
    village.store.submit([factories.household("Hộ thêm")])
    result = invoke(runner, village.data_dir, "push", wire.url, "--token", token, "--no-encrypt")
    assert result.exit_code == 0 and "1 bản ghi, 1 mới" in result.output, result.output
    assert wire.seen[-1][1][:2] == b"\x1f\x8b"
    fresh = filled_village(tmp_path / "fresh", "thon-5", "Thôn 5")
    other_token = issue_push_token(commune, "thon-5")
    result = invoke(runner, fresh.data_dir, "push", wire.url, "--token", other_token,
                    "--to", key)
    assert result.exit_code == 0 and "9 bản ghi, 9 mới" in result.output, result.output
    assert crypto.is_sealed(wire.seen[-1][1])


def test_a_push_sealed_for_another_commune_is_refused_and_stays_unsent(
        tmp_path, runner, commune, wire):
    village = filled_village(tmp_path / "village")
    stranger = factories.commune_site(tmp_path / "other", users=False)
    wrong = crypto.box_public_key(stranger.data_dir)
    assert invoke(runner, village.data_dir, "commune-key", wrong).exit_code == 0
    token = issue_push_token(commune, "thon-3")
    before = snapshot(commune.data_dir)
    result = invoke(runner, village.data_dir, "push", wire.url, "--token", token)
    assert result.exit_code == 1
    assert "Máy của xã từ chối lô" in result.output and "khóa khác" in result.output
    assert "fieldapp commune-key KHÓA" in result.output          # says what to fix
    assert crypto.is_sealed(wire.seen[-1][1])
    assert snapshot(commune.data_dir) == before
    assert exports(village) == []                                # not counted as sent
    right = crypto.box_public_key(commune.data_dir)
    assert invoke(runner, village.data_dir, "commune-key", right).exit_code == 0
    result = invoke(runner, village.data_dir, "push", wire.url, "--token", token)
    assert result.exit_code == 0 and "9 bản ghi, 9 mới" in result.output, result.output


def flip(data, at):
    data = bytearray(data)
    data[at] ^= 0x01
    return bytes(data)


def test_bad_sealed_bodies_get_the_json_error_shape_and_store_nothing(tmp_path, commune, server):
    staff = server.login("canbo", factories.PASSWORD)
    village = filled_village(tmp_path / "village")
    plain = gzip_bytes(batch_bytes(export_batch(village, remember=False)))
    key = crypto.box_public_key(commune.data_dir)
    good = crypto.seal(plain, key)
    stranger = factories.commune_site(tmp_path / "other", users=False)
    cases = [
        (crypto.seal(plain, crypto.box_public_key(stranger.data_dir)), "encrypted", "khóa khác"),
        (good[:crypto.HEADER + 10], "encrypted", "cắt cụt"),
        (good[:len(good) // 2], "encrypted", "bị sửa hoặc bị hỏng"),
        (good[:-1], "encrypted", "bị sửa hoặc bị hỏng"),
        (flip(good, crypto.HEADER + 5), "encrypted", "bị sửa hoặc bị hỏng"),
        (flip(good, len(good) - 2), "encrypted", "bị sửa hoặc bị hỏng"),
        (flip(good, len(crypto.MAGIC) + 40), "encrypted", "bị sửa hoặc bị hỏng"),
        (crypto.MAGIC, "encrypted", "cắt cụt"),
        (crypto.seal(b"not a batch", key), "not_json", "JSON"),
        (crypto.seal(gzip_bytes(b"{}"), key), "format", "không phải lô"),
        (crypto.seal(gzip_bytes(batch_bytes(export_batch(village, remember=False)))[:-30], key),
         "truncated", "cắt cụt"),
    ]
    before = snapshot(commune.data_dir)
    for body, problem, words in cases:
        status, answer = server.request("POST", "/api/v1/batches", raw=body, token=staff,
                                        headers={"Content-Type": "application/octet-stream"})
        assert_error(status, answer, 422, "invalid")
        assert answer["error"]["details"]["problem"] == problem, (problem, answer)
        assert words in answer["error"]["message"], answer
    assert_error(*server.request("POST", "/api/v1/batches", raw=good), 401, "not_signed_in")
    thon5 = issue_push_token(commune, "thon-5")
    before = snapshot(commune.data_dir)                      # the token page wrote meta.json
    status, answer = server.request("POST", "/api/v1/batches", raw=good, token=thon5)
    assert_error(status, answer, 403, "forbidden")
    assert snapshot(commune.data_dir) == before

    status, answer = server.request("POST", "/api/v1/batches", raw=good, token=staff)
    assert status == 200 and answer["receipt"]["new"] == 9, answer
    # a commune that lost (or never had) its key says so and stores nothing
    os.rename(os.path.join(commune.data_dir, crypto.BOX_KEY_FILE), tmp_path / "aside.pem")
    village.store.submit([factories.household("Hộ sau")])
    later = crypto.seal(gzip_bytes(batch_bytes(export_batch(village, remember=False))), key)
    before = snapshot(commune.data_dir)
    status, answer = server.request("POST", "/api/v1/batches", raw=later, token=staff)
    assert_error(status, answer, 422, "invalid")
    assert "chưa có khóa giải mã" in answer["error"]["message"]
    assert snapshot(commune.data_dir) == before


# ------------------------------------------------- the description, fuzzed at a commune

schema = schemathesis.openapi.from_dict(openapi()).include(path="/api/v1/batches")
EXCLUDED = [negative_data_rejection, positive_data_acceptance, missing_required_header]


@pytest.fixture(scope="module")
def commune_server(tmp_path_factory):
    commune = factories.commune_site(tmp_path_factory.mktemp("fuzz") / "commune")
    live = LiveServer(commune.data_dir).start()
    token = live.login("canbo", factories.PASSWORD)
    yield commune, live, token
    live.stop()


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_batches_endpoint_answers_as_described_to_staff(case, commune_server):
    commune, live, token = commune_server
    before = snapshot(commune.data_dir)
    response = case.call(base_url=live.url, headers={"Authorization": f"Bearer {token}"},
                         timeout=30)
    case.validate_response(response, excluded_checks=EXCLUDED)
    sent = response.request.headers.get("Authorization")
    if response.request.method != "POST":          # OPTIONS answers 200, others 405
        expected = (200, 405)
    elif sent != f"Bearer {token}":
        expected = (401,)
    else:                                   # no generated body is a signed batch
        expected = (400, 413, 422)
    assert response.status_code in expected, (sent, response.text)
    assert snapshot(commune.data_dir) == before


def test_staff_can_require_sealed_pushes_and_a_plain_one_is_told_how_to_seal(
        tmp_path, runner, commune, wire):
    village = filled_village(tmp_path / "village")
    token = issue_push_token(commune, "thon-3")
    client = create_app({"DATA_DIR": commune.data_dir}).test_client()
    assert login_page(client, "canbo", factories.PASSWORD).status_code == 302
    page = client.get("/commune/push-tokens").get_data(as_text=True)
    assert "Chỉ nhận lô đã mã hóa" in page
    assert client.post("/commune/push-tokens/sealing", data={"required": "1"}).status_code == 400
    answer = client.post("/commune/push-tokens/sealing", data={
        "csrf_token": csrf_token(client, "/commune/push-tokens"), "required": "1"})
    assert answer.status_code == 303
    page = client.get("/commune/push-tokens").get_data(as_text=True)
    assert "Xã chỉ nhận lô đã mã hóa qua mạng." in page
    assert Site(commune.data_dir).settings["require_sealed_push"] is True

    before = snapshot(commune.data_dir)
    result = invoke(runner, village.data_dir, "push", wire.url, "--token", token)
    assert result.exit_code == 1 and "chỉ nhận lô đã mã hóa" in result.output, result.output
    key = crypto.box_public_key(commune.data_dir)
    assert f"fieldapp commune-key {key}" in result.output           # says what to run
    assert snapshot(commune.data_dir) == before and exports(village) == []
    status, body = http_post(wire.url, gzip_bytes(batch_bytes(export_batch(village,
                                                                             remember=False))), token)
    assert_error(status, body, 422, "invalid")
    assert body["error"]["details"]["problem"] == "not_sealed"

    assert invoke(runner, village.data_dir, "commune-key", key).exit_code == 0
    result = invoke(runner, village.data_dir, "push", wire.url, "--token", token)
    assert result.exit_code == 0 and "9 bản ghi, 9 mới" in result.output, result.output

    # a volunteer of the commune? no such role; a signed-out person cannot switch it off
    other = create_app({"DATA_DIR": commune.data_dir}).test_client()
    answer = other.post("/commune/push-tokens/sealing", data={
        "csrf_token": csrf_token(other, "/login"), "required": "0"})
    assert answer.status_code in (302, 303, 400) and \
        Site(commune.data_dir).settings["require_sealed_push"] is True


def http_post(url, body, token):
    request = urllib.request.Request(url + "/api/v1/batches", data=body, method="POST", headers={
        "Content-Type": "application/json", "Content-Encoding": "gzip",
        "Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        with error:
            return error.code, json.loads(error.read())
