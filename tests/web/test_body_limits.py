"""Bodies cost bounded memory: batches are measured before they are parsed, by sender,
and small endpoints refuse bodies over a few KB unread (SPEC §7, issue 14)."""
import http.client
import json
import time
import tracemalloc
import uuid

from fieldapp.forms.errors import FieldappError
from sync.batch import PUSH_LIMITS, UPLOAD_LIMITS, batch_bytes, gzip_bytes
from sync.export import export_batch
from sync.transfer import import_batch
from tests.support import factories
from tests.support.batches import (commune, filled_village, gzip_bomb, push_token,  # noqa: F401
                                server, snapshot)

MB = 1024 * 1024


def peak_rss_mb(pid):
    """The process's peak resident memory so far (VmHWM), in MB."""
    with open(f"/proc/{pid}/status") as status:
        line = next(line for line in status if line.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024


def assert_json_error(status, body, expected_status, code):
    assert status == expected_status, body
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code and body["error"]["message"]


def test_a_gzip_bomb_is_refused_in_seconds_and_the_server_stays_small(tmp_path, commune,
                                                                       server):
    village = filled_village(tmp_path / "village")
    token = push_token(commune.data_dir, "thon-3")
    staff = server.login("canbo", factories.PASSWORD)
    real = export_batch(village)
    status, _ = server.request("POST", "/api/v1/batches", raw=gzip_bytes(batch_bytes(real)),
                               token=token)
    assert status == 200                  # a real push first: the server is warmed up
    before, stored = peak_rss_mb(server.process.pid), snapshot(commune.data_dir)
    # the attack as found: 250 MB of `{},` in 256 KB, then one that fits every cap but
    # holds far more values than could be checked one by one
    huge = gzip_bomb(dict(real, batch_id=str(uuid.uuid4())), 250 * MB)
    fits = gzip_bomb(dict(real, batch_id=str(uuid.uuid4())), PUSH_LIMITS.bytes - MB)
    assert len(huge) < 300 * 1024
    for bomb, who, code in ((huge, token, "too_large"), (huge, staff, "too_large"),
                            (fits, token, "invalid"), (fits, staff, "invalid")):
        started = time.monotonic()
        status, answer = server.request("POST", "/api/v1/batches", raw=bomb, token=who)
        assert time.monotonic() - started < 10            # "refused in seconds"
        assert_json_error(status, answer, 413 if code == "too_large" else 422, code)
        assert answer["error"]["details"]["problem"] in ("too_large", "records")
    assert server.request("GET", "/healthz") == (200, {"status": "ok"})
    assert peak_rss_mb(server.process.pid) - before < 300
    assert snapshot(commune.data_dir) == stored


def test_the_push_cap_is_lower_than_the_staff_cap(tmp_path, commune):
    village = filled_village(tmp_path / "village")
    bomb = gzip_bomb(export_batch(village), PUSH_LIMITS.bytes + MB)
    error = refusal(commune, bomb)
    assert error.status == 413 and error.details["problem"] == "too_large"
    # the staff cap lets it be inflated; its records are then refused unparsed
    assert refusal(commune, bomb, UPLOAD_LIMITS).details["problem"] == "records"


def refusal(commune, data, limits=PUSH_LIMITS):
    """The error refusing `data`, after asserting that it cost under 100 MB of Python memory
    (generically parsed, these files would cost over 200 MB)."""
    tracemalloc.start()
    try:
        import_batch(commune, data, limits=limits)
    except FieldappError as error:
        assert tracemalloc.get_traced_memory()[1] < 100 * MB
        return error
    finally:
        tracemalloc.stop()
    raise AssertionError("the batch was taken")


def test_the_header_is_checked_before_the_records_are_decoded(tmp_path, commune):
    real = export_batch(filled_village(tmp_path / "village"))
    records = b"[" + b"{}," * (3 * MB) + b"{}]"          # 9 MB of records: 8 M values
    def with_records(**changes):
        fields = dict({k: v for k, v in real.items() if k != "records"}, **changes)
        return json.dumps(fields).encode()[:-1] + b',"records":' + records + b"}"
    assert refusal(commune, with_records(commune_code="99999")).details["problem"] == "commune"
    assert refusal(commune, with_records(format="other")).details["problem"] == "format"
    too_many = refusal(commune, with_records(record_count=PUSH_LIMITS.records + 1))
    assert too_many.status == 413 and too_many.details["problem"] == "too_large"
    assert refusal(commune, with_records(record_count=PUSH_LIMITS.records + 1),
                   UPLOAD_LIMITS).details["problem"] == "records"


def test_a_large_field_besides_the_records_is_not_parsed(tmp_path, commune):
    real = export_batch(filled_village(tmp_path / "village"))
    bomb = b"[" + b"{}," * (3 * MB) + b"{}]"
    extra = batch_bytes(real)[:-1] + b',"zzz":' + bomb + b"}"
    error = refusal(commune, extra)
    assert error.details["problem"] == "format" and "trường lạ zzz" in error.message
    site = batch_bytes(real).replace(b'"site":{', b'"site":{"x":' + bomb + b",", 1)
    assert refusal(commune, site).details["problem"] == "format"
    not_an_object = refusal(commune, bomb)
    assert not_an_object.details["problem"] == "format"
    broken = refusal(commune, b'{"records":' + bomb[:-1] + b"?}")
    assert broken.details["problem"] == "not_json"
    assert refusal(commune, b'{"records":' + bomb[:-5]).details["problem"] == "truncated"


def raw_post(server, path, body, headers):
    """(status, parsed JSON) of a POST sent with http.client (chunked when asked)."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        chunked = headers.get("Transfer-Encoding") == "chunked"
        connection.request("POST", path, body=iter([body]) if chunked else body,
                           headers=headers, encode_chunked=chunked)
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


def test_sign_in_refuses_bodies_over_a_few_kb_with_the_json_error(site, live_server):
    padded = json.dumps({"username": "minh", "secret": factories.VOL_PIN,
                         "pad": "x" * 20_000}).encode()
    for headers in ({"Content-Type": "application/json"},
                    {"Content-Type": "application/json", "Transfer-Encoding": "chunked"}):
        assert_json_error(*raw_post(live_server, "/api/v1/login", padded, headers),
                          413, "too_large")
    assert live_server.login("minh", factories.VOL_PIN)
