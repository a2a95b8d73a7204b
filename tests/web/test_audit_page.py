"""/audit for the site's admins: the audit log newest first, people's names with their
logins, Vietnamese words for actions, filtered by action and date, a page at a time."""
import datetime
import json
import os
import re
import tracemalloc

import pytest

from fieldapp import audit, create_app
from fieldapp.auth.accounts import get_user, session_stamp
from fieldapp.forms.versions import make_version, member_record_id
from tests.support.commune import page_text
from tests.support import factories as f


def _client(site, username):
    client = create_app({"DATA_DIR": site.data_dir, "TESTING": True}).test_client()
    with client.session_transaction() as session:
        session["username"], session["stamp"] = username, session_stamp(get_user(site, username))
    return client


def _write_log(site, entries):
    """Entries as the journal holds them, written at once (appending each would fsync)."""
    with open(os.path.join(site.data_dir, "audit.log"), "a", encoding="utf-8") as handle:
        for entry in entries:
            handle.write(json.dumps(entry, ensure_ascii=False, sort_keys=True) + "\n")


def _entry(day, n, action="login.ok", actor="minh"):
    at = datetime.datetime(day.year, day.month, day.day, 1, 0, tzinfo=datetime.timezone.utc)
    return {"at": (at + datetime.timedelta(seconds=n)).isoformat(timespec="seconds"),
            "actor": actor, "action": action, "count": n}


def test_only_the_admin_opens_the_audit_log(site):
    assert _client(site, "quantri").get("/audit").status_code == 200
    for username in ("lan", "minh"):
        assert _client(site, username).get("/audit").status_code == 403
    anonymous = create_app({"DATA_DIR": site.data_dir, "TESTING": True}).test_client()
    assert "/login" in anonymous.get("/audit").headers["Location"]


def test_newest_first_with_names_and_vietnamese_words(site):
    site.store.submit([make_version("member", "thon-3", {
        "full_name": "Lê Thị Minh", "username": "minh", "role": "volunteer", "active": True},
        "lan", "web-lan", record_id=member_record_id(site.settings["site_id"], "minh"))])
    audit.record(site, "minh", "login.ok")
    audit.record(site, "cli", "subject.export", ids=["8c0b5c1e-aaaa"], count=3)
    audit.record(site, "lan", "some.new_action")
    text = page_text(_client(site, "quantri").get("/audit")).split(" Xem ", 1)[1]
    new, export, login = (text.index("some.new_action"),
                          text.index("Xuất dữ liệu của một người (dòng lệnh)"),
                          text.index("Đăng nhập"))
    assert new < export < login
    assert "Lê Thị Minh (minh)" in text and "Dòng lệnh trên máy (cli)" not in text
    assert "Dòng lệnh trên máy" in text
    assert "bản ghi: 8c0b5c1e" in text and "số lượng: 3" in text


def test_filters_by_action_and_by_local_day(site):
    day = datetime.date(2026, 11, 20)
    _write_log(site, [_entry(day, 1), _entry(day, 2, "user.add", "lan"),
                      _entry(day + datetime.timedelta(days=1), 3, "subject.request", "lan"),
                      _entry(day + datetime.timedelta(days=2), 4)])
    admin = _client(site, "quantri")
    text = page_text(admin.get("/audit?action=subject"))
    listed = text.split(" Xem ", 1)[1]
    assert "Ghi nhận yêu cầu về dữ liệu cá nhân" in listed and "Đăng nhập" not in listed
    # 21/11 in Vietnam: the entry of 01:00 UTC on the 21st (08:00 local)
    text = page_text(admin.get("/audit?since=2026-11-21&until=2026-11-21"))
    assert "số lượng: 3" in text
    assert "số lượng: 4" not in text and "số lượng: 2" not in text
    assert "số lượng: 1" in page_text(admin.get("/audit?until=20/11/2026"))
    bad = admin.get("/audit?since=hôm-qua")
    assert bad.status_code == 400 and "Từ ngày" in page_text(bad)
    assert admin.get("/audit?action=<script>").status_code == 400


def test_a_long_log_is_paged_newest_first(site):
    day = datetime.date(2026, 11, 1)
    _write_log(site, [_entry(day, n) for n in range(120)])
    admin = _client(site, "quantri")
    first = admin.get("/audit").get_data(as_text=True)
    counts = [int(c) for c in re.findall(r"số lượng: (\d+)", first)]
    assert counts == list(range(119, 69, -1))
    assert "Cũ hơn" in first and "Mới hơn" not in first
    third = admin.get("/audit?page=3").get_data(as_text=True)
    counts = [int(c) for c in re.findall(r"số lượng: (\d+)", third)]
    assert counts == list(range(19, -1, -1)) and "Cũ hơn" not in third


def test_a_page_of_a_large_log_holds_a_page_not_the_log(site):
    day = datetime.date(2026, 11, 1)
    filler = "x" * 200
    _write_log(site, [dict(_entry(day, n), note=filler) for n in range(30_000)])
    size = os.path.getsize(os.path.join(site.data_dir, "audit.log"))
    admin = _client(site, "quantri")
    admin.get("/audit")                 # templates compiled, caches warm
    tracemalloc.start()
    try:
        answer = admin.get("/audit?page=2")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert answer.status_code == 200 and "số lượng: 29949" in answer.get_data(as_text=True)
    assert size > 7_000_000 and peak < size / 5, (size, peak)
