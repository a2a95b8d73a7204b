"""Pushing batches over HTTP to a real commune server (`POST /api/v1/batches`)."""
import re

import pytest

from fieldapp import create_app
from fieldapp.cli import main
from fieldapp.site import Site
from sync.batch import batch_bytes, gzip_bytes
from sync.export import export_batch
from tests.support import factories
from tests.support.batches import assert_error
from tests.support.pages import csrf_token, login_page
from tests.support.batches import commune, filled_village, issue_push_token, server, snapshot  # noqa: F401 (fixtures)


@pytest.fixture
def staff_token(server):
    return server.login("canbo", factories.PASSWORD)


def test_push_round_trip_with_a_site_token(tmp_path, runner, commune, server):
    village = filled_village(tmp_path / "village")
    token = issue_push_token(commune, "thon-3")
    result = runner.invoke(main, ["--data", village.data_dir, "push", server.url + "/",
                                  "--token", token])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "Đã nhận lô của Thôn 3: 9 bản ghi, 9 mới, 0 trùng."
    stored = Site(commune.data_dir)
    assert {v["id"] for v in stored.store.currents()} == {v["id"] for v in village.store.currents()}

    result = runner.invoke(main, ["--data", village.data_dir, "push", server.url, "--token", token])
    assert "0 bản ghi" in result.output                     # nothing new since
    village.store.submit([factories.household("Hộ mới")])
    result = runner.invoke(main, ["--data", village.data_dir, "push",
                                  server.url + "/api/v1/batches", "--token", token])
    assert result.exit_code == 0 and "1 bản ghi, 1 mới" in result.output
    assert len(Site(commune.data_dir).store) == 10


def test_staff_token_pushes_plain_and_gzip_bodies(tmp_path, server, staff_token):
    village = filled_village(tmp_path / "village")
    body = batch_bytes(export_batch(village))
    status, answer = server.request("POST", "/api/v1/batches", raw=gzip_bytes(body),
                                    token=staff_token)
    assert status == 200, answer
    assert answer["receipt"]["new"] == 9 and answer["receipt"]["conflicts"] == []
    status, answer = server.request("POST", "/api/v1/batches", raw=body, token=staff_token)
    assert status == 200 and answer["receipt"]["already_imported"] is True


def test_refusals_have_the_json_error_shape_and_store_nothing(tmp_path, commune, server,
                                                              staff_token):
    village = filled_village(tmp_path / "village")
    body = batch_bytes(export_batch(village))
    before = snapshot(commune.data_dir)
    assert_error(*server.request("POST", "/api/v1/batches", raw=body), 401, "not_signed_in")
    assert_error(*server.request("POST", "/api/v1/batches", raw=body,
                                 token="fa-push-" + "a" * 43), 401, "not_signed_in")
    for raw, problem in ((b"", "empty"), (b"not json", "not_json"), (b"{}", "format"),
                         (body[:-10], "truncated"), (body.replace(b'"Ng', b'"Xg', 1), "hash")):
        status, answer = server.request("POST", "/api/v1/batches", raw=raw, token=staff_token)
        assert_error(status, answer, 422, "invalid")
        assert answer["error"]["details"]["problem"] == problem
    assert_error(*server.request("POST", "/api/v1/batches", raw=b"x" * (5 * 1024 * 1024),
                                 token=staff_token), 413, "too_large")
    assert_error(*server.request("GET", "/api/v1/batches", token=staff_token),
                 405, "method_not_allowed")
    assert snapshot(commune.data_dir) == before


def test_a_push_token_serves_one_village_and_one_laptop(tmp_path, commune, server):
    token = issue_push_token(commune, "thon-3")
    other_village = filled_village(tmp_path / "v5", "thon-5", "Thôn 5")
    status, answer = server.request("POST", "/api/v1/batches", token=token,
                                    raw=batch_bytes(export_batch(other_village)))
    assert_error(status, answer, 403, "forbidden")
    assert "thon-3" in answer["error"]["message"]
    first = filled_village(tmp_path / "a")
    status, _ = server.request("POST", "/api/v1/batches", token=token,
                               raw=batch_bytes(export_batch(first)))
    assert status == 200
    second_laptop = filled_village(tmp_path / "b")
    status, answer = server.request("POST", "/api/v1/batches", token=token,
                                    raw=batch_bytes(export_batch(second_laptop)))
    assert_error(status, answer, 403, "forbidden")


def test_revoked_push_token_is_refused(tmp_path, commune, server):
    token = issue_push_token(commune, "thon-3")
    client = create_app({"DATA_DIR": commune.data_dir}).test_client()
    login_page(client, "canbo", factories.PASSWORD)
    page = client.get("/commune/push-tokens").get_data(as_text=True)
    action = re.search(r'action="(/commune/push-tokens/\d+/revoke)"', page).group(1)
    response = client.post(action, data={"csrf_token": csrf_token(client, "/commune/push-tokens")})
    assert response.status_code == 302
    village = filled_village(tmp_path / "village")
    status, answer = server.request("POST", "/api/v1/batches", token=token,
                                    raw=batch_bytes(export_batch(village)))
    assert_error(status, answer, 401, "not_signed_in")
    assert token not in (tmp_path / "commune" / "meta.json").read_text()


def test_village_sites_do_not_take_batches(site, live_server):
    token = live_server.login("quantri", factories.PASSWORD)
    status, answer = live_server.request("POST", "/api/v1/batches", raw=b"{}", token=token)
    assert_error(status, answer, 404, "not_found")
    lead = live_server.login("lan", factories.LEAD_PIN)
    assert_error(*live_server.request("POST", "/api/v1/batches", raw=b"{}", token=lead),
                 403, "forbidden")
