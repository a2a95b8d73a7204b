"""A known village cannot be taken over: a batch from a new laptop (new site id, new key)
for a village another laptop already sends for is held, counts for nothing, and waits
for staff to compare both key fingerprints and approve (a replaced laptop) or refuse it.

Real data directories, the Flask test client for the staff pages, the real server for
the push, the CLI through click's runner.
"""
import base64
import hashlib
import re
import threading

from fieldapp import create_app
from fieldapp.cli import main
from fieldapp.indicators.compute import compute
from fieldapp.site import Site
from sync.batch import batch_bytes
from sync.export import export_batch
from tests.support import factories
from tests.support.pages import csrf_token, login_page
from tests.support.batches import (commune, filled_village, issue_push_token,  # noqa: F401
                                 server, snapshot)


def fingerprint_of(village):
    """The fingerprint staff read for a laptop's key, worked out here from its key file:
    SHA-256 of the base64 public key, the first 16 hex digits in groups of four."""
    from cryptography.hazmat.primitives import serialization
    with open(f"{village.data_dir}/site_key.pem", "rb") as handle:
        key = serialization.load_pem_private_key(handle.read(), password=None)
    raw = key.public_key().public_bytes(serialization.Encoding.Raw,
                                        serialization.PublicFormat.Raw)
    digest = hashlib.sha256(base64.b64encode(raw)).hexdigest()[:16]
    return " ".join(digest[i:i + 4] for i in range(0, 16, 4))


def indicators(commune_dir):
    """The commune's indicators answer as of the campaign's end, read afresh from disk."""
    fresh = Site(commune_dir)
    return compute(fresh.settings, fresh.store.histories(), factories.END)


def staff_client(commune):
    client = create_app({"DATA_DIR": commune.data_dir}).test_client()
    assert login_page(client, "canbo", factories.PASSWORD).status_code == 302
    return client


def upload(client, name, body):
    """Upload one batch file on /commune/import; return (status, page text)."""
    import io
    response = client.post("/commune/import", data={
        "csrf_token": csrf_token(client, "/commune/import"),
        "files": [(io.BytesIO(body), name)]}, content_type="multipart/form-data")
    return response.status_code, response.get_data(as_text=True)


def decide(client, action, page=None):
    """Press approve or refuse on /commune/sites for the first laptop listed."""
    page = page or client.get("/commune/sites").get_data(as_text=True)
    url = re.search(rf'action="(/commune/sites/[0-9a-f-]+/{action})"', page).group(1)
    key = re.search(r'name="public_key" value="([^"]+)"', page).group(1)
    return client.post(url, data={"csrf_token": csrf_token(client, "/commune/sites"),
                                  "public_key": key})


def held_files(commune):
    import os
    folder = os.path.join(commune.data_dir, "held")
    return sorted(os.listdir(folder)) if os.path.isdir(folder) else []


def two_laptops(tmp_path):
    """The laptop thôn 3 has sent from, and a new one for thôn 3 with other households."""
    old = filled_village(tmp_path / "old", households=3)
    new = filled_village(tmp_path / "new", households=2)
    return old, new


def test_a_second_laptop_for_a_known_village_is_held_until_staff_approve_it(tmp_path,
                                                                           commune):
    old, new = two_laptops(tmp_path)
    staff = staff_client(commune)
    status, page = upload(staff, "old.json", batch_bytes(export_batch(old)))
    assert status == 200 and "Đã nhận lô của Thôn 3: 9 bản ghi, 9 mới" in page
    before = indicators(commune.data_dir)
    adults_before = before["by_village"]["thon-3"][0]["denominator"]
    assert adults_before == 3
    stored_before = snapshot(f"{commune.data_dir}/records")

    held_body = batch_bytes(export_batch(new))
    status, page = upload(staff, "new.json", held_body)
    assert status == 200, page
    assert "Chờ duyệt máy mới: new.json" in page and "CHƯA được nhận" in page
    assert fingerprint_of(new) in page
    assert indicators(commune.data_dir) == before          # the held batch counts for nothing
    assert snapshot(f"{commune.data_dir}/records") == stored_before
    # sent again: the same held batch, not a second one
    status, page = upload(staff, "new-again.json", held_body)
    assert "đang chờ từ trước" in page
    assert len(held_files(commune)) == 1

    page = staff.get("/commune/sites").get_data(as_text=True)
    assert fingerprint_of(old) in page and fingerprint_of(new) in page
    assert fingerprint_of(old) != fingerprint_of(new)
    assert page.count("Thôn 3") >= 2 and "thon-3" in page
    assert re.search(r"<td>\d\d/\d\d/20\d\d \d\d:\d\d</td>", page)    # when it arrived
    assert "Duyệt máy mới và nhận 1 lô" in page
    assert indicators(commune.data_dir) == before

    # approving without a CSRF token changes nothing
    url = re.search(r'action="(/commune/sites/[0-9a-f-]+/approve)"', page).group(1)
    assert staff.post(url, data={}).status_code == 400
    assert indicators(commune.data_dir) == before

    response = decide(staff, "approve", page)
    assert response.status_code == 303
    page = staff.get("/commune/sites").get_data(as_text=True)
    assert "Đã duyệt máy mới và nhận 1 lô (6 bản ghi mới)" in page
    assert "Không có máy mới nào chờ duyệt" in page and held_files(commune) == []
    after = indicators(commune.data_dir)
    assert after != before and after["by_village"]["thon-3"][0]["denominator"] == 3 + 2
    history = staff.get("/commune/batches").get_data(as_text=True)
    assert fingerprint_of(new) in history and fingerprint_of(old) in history
    # the approved laptop's next batch goes straight in
    new.store.submit([factories.household("Hộ mới")])
    status, page = upload(staff, "new-2.json", batch_bytes(export_batch(new)))
    assert "Đã nhận lô của Thôn 3: 1 bản ghi, 1 mới" in page


def test_refusing_a_new_laptop_drops_its_held_batches(tmp_path, commune):
    old, new = two_laptops(tmp_path)
    staff = staff_client(commune)
    upload(staff, "old.json", batch_bytes(export_batch(old)))
    before = indicators(commune.data_dir)
    upload(staff, "new-1.json", batch_bytes(export_batch(new)))
    new.store.submit([factories.household("Hộ thứ ba")])
    upload(staff, "new-2.json", batch_bytes(export_batch(new)))
    assert len(held_files(commune)) == 2
    page = staff.get("/commune/sites").get_data(as_text=True)
    assert "Duyệt máy mới và nhận 2 lô" in page

    response = decide(staff, "refuse", page)
    assert response.status_code == 303
    page = staff.get("/commune/sites").get_data(as_text=True)
    assert "Đã từ chối máy này và xóa 2 lô chờ duyệt" in page
    assert held_files(commune) == [] and indicators(commune.data_dir) == before
    with commune.meta_lock:
        assert {row["name"] for row in commune.table("sites").all()} == {"Thôn 3"}
        assert len(commune.table("sites")) == 1 and len(commune.table("batches")) == 1


def test_two_staff_approving_at_once_import_the_held_batch_once(tmp_path, commune):
    old, new = two_laptops(tmp_path)
    first, second = staff_client(commune), staff_client(commune)
    upload(first, "old.json", batch_bytes(export_batch(old)))
    upload(first, "new.json", batch_bytes(export_batch(new)))
    page = first.get("/commune/sites").get_data(as_text=True)
    answers = []
    clients = [first, second]
    start = threading.Barrier(2)

    def press(client):
        start.wait()
        answers.append(decide(client, "approve", page).status_code)
    threads = [threading.Thread(target=press, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == [303, 303]
    said = [c.get("/commune/sites").get_data(as_text=True) for c in clients]
    assert sum("Đã duyệt máy mới và nhận 1 lô" in text for text in said) == 1
    assert sum("không còn lô nào chờ duyệt" in text for text in said) == 1
    with commune.meta_lock:
        assert len(commune.table("batches")) == 2
    assert len(Site(commune.data_dir).store) == 9 + 6


def test_a_push_from_a_new_laptop_is_answered_held_in_vietnamese(tmp_path, runner, commune,
                                                                  server):
    old, new = two_laptops(tmp_path)
    token = issue_push_token(commune, "thon-3")
    result = runner.invoke(main, ["--data", old.data_dir, "push", server.url, "--token", token])
    assert result.exit_code == 0, result.output
    before = indicators(commune.data_dir)
    # the replaced laptop gets a new token, as staff issue one per laptop
    status, answer = server.request("POST", "/api/v1/batches", raw=batch_bytes(
        export_batch(new, remember=False)), token=issue_push_token(commune, "thon-3"))
    assert status == 202, answer
    assert answer["receipt"]["held"] is True and answer["receipt"]["new"] == 0
    assert "chờ duyệt" in answer["message"] and fingerprint_of(new) in answer["message"]
    result = runner.invoke(main, ["--data", new.data_dir, "push", server.url,
                                  "--token", issue_push_token(commune, "thon-3")])
    assert result.exit_code == 0, result.output
    assert "CHƯA được nhận, đang chờ duyệt" in result.output
    assert indicators(commune.data_dir) == before


def test_fieldapp_import_of_a_held_batch_says_so_and_exits_non_zero(tmp_path, runner,
                                                                     commune):
    old, new = two_laptops(tmp_path)
    paths = []
    for laptop in (old, new):
        path = tmp_path / f"{laptop.settings['site_id']}.json"
        path.write_bytes(batch_bytes(export_batch(laptop)))
        paths.append(str(path))
    result = runner.invoke(main, ["--data", commune.data_dir, "import", *paths])
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith(paths[0] + ": Đã nhận lô của Thôn 3")
    assert lines[1].startswith(paths[1] + ": CHỜ DUYỆT — ")
    assert "1 lô chưa được nhận vì đang chờ duyệt máy mới" in result.output
    assert "Traceback" not in result.output


def test_held_batches_are_bounded(tmp_path, commune, monkeypatch):
    from sync import held
    monkeypatch.setattr(held, "MAX_HELD", 2)
    old, new = two_laptops(tmp_path)
    staff = staff_client(commune)
    upload(staff, "old.json", batch_bytes(export_batch(old)))
    for n in range(2):
        new.store.submit([factories.household(f"Hộ {n}")])
        assert "Chờ duyệt máy mới" in upload(staff, f"new-{n}.json",
                                             batch_bytes(export_batch(new)))[1]
    before = snapshot(commune.data_dir)
    new.store.submit([factories.household("Hộ quá")])
    status, page = upload(staff, "new-3.json", batch_bytes(export_batch(new)))
    assert status == 422 and "không giữ thêm lô nào" in page
    assert snapshot(commune.data_dir) == before


def test_a_forgotten_key_keeps_its_village_from_a_new_laptop(tmp_path, commune):
    old, new = two_laptops(tmp_path)
    staff = staff_client(commune)
    upload(staff, "old.json", batch_bytes(export_batch(old)))
    admin = create_app({"DATA_DIR": commune.data_dir}).test_client()
    login_page(admin, "quantri", factories.PASSWORD)
    page = admin.get("/commune/batches").get_data(as_text=True)
    url = re.search(r'action="(/commune/batches/[0-9a-f-]+/forget-key)"', page).group(1)
    assert admin.post(url, data={"csrf_token": csrf_token(admin, "/commune/batches")}
                      ).status_code == 302
    assert "Khóa cũ đã được gỡ" in admin.get("/commune/batches").get_data(as_text=True)
    status, page = upload(staff, "new.json", batch_bytes(export_batch(new)))
    assert "Chờ duyệt máy mới" in page
    page = staff.get("/commune/sites").get_data(as_text=True)
    assert "Khóa đã được gỡ" in page and fingerprint_of(new) in page
