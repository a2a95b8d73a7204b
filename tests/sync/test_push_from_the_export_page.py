"""The lead's "Gửi qua mạng" on /export: a push to the commune address and token saved
on the laptop (`fieldapp push URL --token T --save`), against the real commune server."""
import re
import socket

import pytest

from fieldapp import create_app
from fieldapp.cli import main
from fieldapp.site import Site
from sync import crypto
from tests.support import factories
from tests.support.batches import commune, server  # noqa: F401 (fixtures)
from tests.support.batches import issue_push_token, snapshot
from tests.support.pages import csrf_token, login_page


@pytest.fixture
def village(tmp_path):
    site = factories.village_site(tmp_path / "village", quick_hashes=True)
    homes = [factories.household(f"Hộ {n}") for n in range(3)]
    site.store.submit(homes + [factories.person(h["id"], f"Người {n}", 1980)
                               for n, h in enumerate(homes)])
    return site


@pytest.fixture
def lead(village):
    client = create_app({"DATA_DIR": village.data_dir}).test_client()
    assert login_page(client, "lan", factories.LEAD_PIN).status_code == 302
    return client


def press(client):
    token = csrf_token(client, "/export")
    answer = client.post("/export/push", data={"csrf_token": token})
    assert answer.status_code == 303
    return client.get("/export").get_data(as_text=True)


def sent_until(site):
    with site.meta_lock:
        return [row["until_seq"] for row in site.table("exports").all()]


def ids(data_dir):
    return {v["id"] for v in Site(str(data_dir)).store.currents()}


def test_the_button_sends_the_changes_sealed_and_they_count_as_sent(
        village, lead, commune, server, runner):
    assert "export/push" not in lead.get("/export").get_data(as_text=True)
    assert runner.invoke(main, ["--data", village.data_dir, "commune-key",
                                crypto.box_public_key(commune.data_dir)]).exit_code == 0
    # the push saves the address and token, and sends nothing more than it has to
    result = runner.invoke(main, ["--data", village.data_dir, "push", server.url,
                                  "--token", issue_push_token(commune, "thon-3"), "--save"])
    assert result.exit_code == 0 and "Đã lưu địa chỉ" in result.output, result.output
    assert sent_until(village) == [6]
    page = lead.get("/export").get_data(as_text=True)
    assert 'action="/export/push"' in page and server.url in page

    village.store.submit([factories.household("Hộ mới")])
    page = press(lead)
    assert "Đã gửi 1 thay đổi qua mạng (đã mã hóa)" in page, page
    assert "1 bản ghi, 1 mới" in page                      # the commune's own receipt
    assert ids(commune.data_dir) == ids(village.data_dir)
    assert sent_until(village) == [6, 7]
    assert re.search(r"Có <strong>0</strong> thay đổi chưa gửi", page)


def test_an_unreachable_commune_leaves_everything_waiting(village, lead, tmp_path):
    with socket.socket() as probe:                          # a port nobody answers on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    village.update_settings(lambda s: s.update(push={"url": f"http://127.0.0.1:{port}",
                                                     "token": "fa-push-x"}))
    page = press(lead)
    assert "Không kết nối được tới http://127.0.0.1:" in page
    assert "Dữ liệu vẫn còn trên máy" in page and sent_until(village) == []


def test_a_refused_token_says_so_and_stores_nothing_at_the_commune(
        village, lead, commune, server):
    village.update_settings(lambda s: s.update(push={"url": server.url, "token": "fa-push-sai"}))
    before = snapshot(commune.data_dir)
    page = press(lead)
    assert "Máy của xã từ chối lô" in page and sent_until(village) == []
    assert snapshot(commune.data_dir) == before


def test_without_a_saved_address_the_page_says_how_to_save_one(village, lead):
    page = press(lead)
    assert "chưa lưu địa chỉ và mã gửi" in page and sent_until(village) == []
