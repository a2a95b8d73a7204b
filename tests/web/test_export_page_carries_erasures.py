"""The lead's export page prepares a file for an erasure even when no record changed,
and once that file is confirmed, the erasure counts as sent."""
import gzip
import json
import re

from fieldapp import create_app, erasing
from sync.transfer import import_batch
from tests.support import factories
from tests.support.pages import csrf_token, login_page


def _prepare(lead):
    token = csrf_token(lead, "/export")
    answer = lead.post("/export", data={"csrf_token": token, "scope": "new"},
                       follow_redirects=True)
    assert answer.status_code == 200
    return answer.get_data(as_text=True)


def _confirm(lead, page):
    batch = re.search(r'name="batch" value="([0-9a-f-]{36})"', page).group(1)
    body = gzip.decompress(lead.get(f"/export/file?batch={batch}").get_data())
    answer = lead.post("/export/confirm", data={"csrf_token": csrf_token(lead, "/export"),
                                                "batch": batch}, follow_redirects=True)
    assert answer.status_code == 200
    return json.loads(body)


def test_an_erasure_alone_gets_a_file_and_counts_as_sent_once_confirmed(tmp_path, site):
    home = factories.household("Nguyễn Văn Đã Gửi")
    site.store.submit([home])
    lead = create_app({"DATA_DIR": site.data_dir, "TESTING": True}).test_client()
    assert login_page(lead, "lan", factories.LEAD_PIN).status_code == 302
    first = _confirm(lead, _prepare(lead))
    assert first["record_count"] == 1 and "erasures" not in first
    assert "Không có thay đổi nào chưa gửi" in _prepare(lead)

    erasing.erase(site, {home["id"]}, "thon-3", "lan")
    page = _prepare(lead)
    assert "Đã chuẩn bị tệp 0 thay đổi và 1 yêu cầu xóa dữ liệu" in page
    assert "Tệp chờ xác nhận" in page
    carried = _confirm(lead, page)
    assert carried["record_count"] == 0
    assert carried["erasures"][0]["record_ids"] == [home["id"]]
    assert "Không có thay đổi nào chưa gửi" in _prepare(lead)

    commune = factories.commune_site(tmp_path / "commune", users=False)
    import_batch(commune, first)
    import_batch(commune, carried)
    assert commune.store.current(home["id"])["data"]["head_name"] == "(đã xóa)"
