"""A village laptop whose store holds phones recorded before consent existed: `export`
(and `serve`, and the export page) remove just those phones from every stored version,
history included, the erasure travels with `fields: ["phone"]`, the commune imports the
batch and an older batch still carrying the phones, and no phone is left on either disk;
the indicators stay as they were."""
import json
import os

import pytest

from fieldapp import audit, phone_consent
from fieldapp.cli import main
from fieldapp.forms.consent import fields_needing_consent
from fieldapp.indicators.compute import site_compute
from fieldapp.site import Site
from sync.errors import BatchRejected
from sync.export import export_batch
from sync.transfer import import_batch
from tests.support import factories
from tests.support.disk import texts_on_disk
from tests.support.batches import snapshot

MESSAGE = "số điện thoại không có đồng ý liên hệ qua điện thoại"
LOST = ["0911000001", "0911000002", "0911000003", "0911000004"]   # no phone_contact consent
KEPT = "0988000009"                                               # agreed: stays


def invoke(runner, data_dir, *args):
    return runner.invoke(main, ["--data", str(data_dir), *args])


def _edit(version, hour, **data):
    return dict(version, updated_at=factories.stamp(factories.START, hour),
                data=dict(version["data"], **data),
                base={"updated_at": version["updated_at"], "device_id": version["device_id"]})


def _pre_consent_village(path):
    """A village store written straight through storage (no rules), as an older fieldapp
    left it: phones without consent in current versions and only in history."""
    site = factories.village_site(path, users=False)
    never = factories.household("Hộ Chưa Đồng Ý", hour=8)
    never["data"]["phone"] = LOST[0]
    other_purpose = _edit(never, 9, consent=factories.consent("campaign_support"))
    agreed_later = factories.household("Hộ Đồng Ý Sau", hour=8)
    agreed_later["data"]["phone"] = LOST[1]
    agreed_now = _edit(agreed_later, 9, phone=LOST[2], consent=factories.consent())
    person = factories.person(never["id"], "Người Có Số", 1970, vneid="level2", online=True)
    person["data"]["phone"] = LOST[3]
    agreed = factories.household("Hộ Có Đồng Ý", hour=8)
    agreed["data"].update(phone=KEPT, consent=factories.consent("phone_contact"))
    child = factories.person(agreed["id"], "Cháu Nhỏ", 2015, vneid="level2")
    visit = factories.visit(never["id"], help=["vneid_level2"])
    site.store.submit([never, other_purpose, agreed_later, agreed_now, person, agreed, child,
                       visit])
    return site, {"never": never["id"], "later": agreed_later["id"], "person": person["id"],
                  "agreed": agreed["id"]}


def _indicator(site, key):
    return next(e for e in site_compute(site, factories.END)["indicators"] if e["key"] == key)


def _level2_adults(site):
    """Adults at level 2, counted here from the current versions."""
    return sum(1 for v in site.store.currents() if v["type"] == "person" and not v["deleted"]
               and v["data"]["vneid"] == "level2"
               and v["data"]["birth_year"] <= factories.END.year - 18)


def test_the_pre_consent_phones_are_found_in_current_versions_and_in_history(tmp_path):
    site, ids = _pre_consent_village(tmp_path / "village")
    assert phone_consent.phones_without_consent(site.store.histories()) == {
        "thon-3": sorted([ids["never"], ids["later"], ids["person"]])}


def test_export_removes_them_everywhere_and_the_commune_imports_the_batch(tmp_path, runner):
    village, ids = _pre_consent_village(tmp_path / "village")
    commune = factories.commune_site(tmp_path / "commune", users=False)
    older = export_batch(village, all_versions=True, remember=False)   # as before the upgrade
    with pytest.raises(BatchRejected):                                 # what the upgrade fixes
        import_batch(commune, older)
    assert not commune.store.currents()
    before = site_compute(village, factories.END)
    level2 = _level2_adults(village)
    assert level2 == 1

    out = tmp_path / "lo.json"
    result = invoke(runner, village.data_dir, "export", "--out", str(out), "--no-encrypt")
    assert result.exit_code == 0, result.output
    assert f"Đã xóa 3 {MESSAGE}." in result.output
    village = Site(village.data_dir)
    assert texts_on_disk(village.data_dir, LOST) == set() and texts_on_disk(village.data_dir, [KEPT])
    for record_id in (ids["never"], ids["later"], ids["person"]):
        history = village.store.history(record_id)
        assert history and all("phone" not in v["data"] for v in history)
    assert village.store.current(ids["agreed"])["data"]["phone"] == KEPT
    assert village.store.current(ids["later"])["data"]["consent"]      # the facts stay
    assert not [v for h in village.store.histories().values() for v in h
                if fields_needing_consent(v["type"], v["data"])]
    batch = json.loads(out.read_bytes())
    [entry] = batch["erasures"]
    assert entry["reason"] == "consent" and entry["fields"] == ["phone"]
    assert sorted(entry["record_ids"]) == sorted([ids["never"], ids["later"], ids["person"]])
    [logged] = audit.entries(village, "consent.phones")
    assert logged["actor"] == "cli" and logged["count"] == 3
    assert sorted(logged["ids"]) == sorted(entry["record_ids"])
    assert not texts_on_disk(os.path.join(village.data_dir, "audit.log"), LOST + [KEPT])

    result = invoke(runner, commune.data_dir, "import", str(out))
    assert result.exit_code == 0 and "TỪ CHỐI" not in result.output, result.output
    commune = Site(commune.data_dir)
    assert len(commune.store.currents()) == len(village.store.currents())
    receipt = import_batch(commune, older)        # the old batch, phones in history, later
    assert receipt.new == 0 and receipt.duplicate == older["record_count"]
    assert texts_on_disk(commune.data_dir, LOST) == set()
    assert site_compute(village, factories.END) == before
    for site in (village, commune):
        assert _indicator(site, "adult_vneid_level2")["numerator"] == level2 == \
            _level2_adults(site)

    files = snapshot(village.data_dir)
    again = invoke(runner, village.data_dir, "export", "--out", str(tmp_path / "lo2.json"),
                   "--no-encrypt")
    assert again.exit_code == 0 and MESSAGE not in again.output, again.output
    assert len(audit.entries(Site(village.data_dir), "consent.phones")) == 1
    assert snapshot(village.data_dir).keys() == files.keys()


def test_an_older_batch_imported_first_is_judged_after_the_erasure_it_carries(tmp_path):
    """The commune applies the erasures to the incoming versions, then judges them."""
    village, _ = _pre_consent_village(tmp_path / "village")
    commune = factories.commune_site(tmp_path / "commune", users=False)
    older = export_batch(village, all_versions=True, remember=False)
    phone_consent.migrate(village, "lan")
    carried = export_batch(village, all_versions=True, remember=False)
    import_batch(commune, carried)
    assert import_batch(commune, older).duplicate == older["record_count"]
    assert texts_on_disk(commune.data_dir, LOST) == set()


def test_an_entry_without_fields_still_erases_everything_and_imports(tmp_path):
    from fieldapp import erasing
    village, ids = _pre_consent_village(tmp_path / "village")
    commune = factories.commune_site(tmp_path / "commune", users=False)
    phone_consent.migrate(village, "lan")
    _, erased = erasing.household_records(village.store, ids["agreed"])
    erasing.erase(village, erased, "thon-3", "lan")
    batch = export_batch(village)
    assert [("fields" in e) for e in batch["erasures"]] == [True, False]
    import_batch(commune, batch)
    assert texts_on_disk(commune.data_dir, LOST + [KEPT, "Hộ Có Đồng Ý"]) == set()


def test_serve_removes_them_at_start_and_says_so(tmp_path):
    from tests.support.live import LiveServer
    site, _ = _pre_consent_village(tmp_path / "village")
    server = LiveServer(site.data_dir).start()
    try:
        assert f"Đã xóa 3 {MESSAGE}." in server.output()
    finally:
        server.stop()
    assert texts_on_disk(site.data_dir, LOST) == set()
    assert [e["actor"] for e in audit.entries(site, "consent.phones")] == ["system"]


ENTRY = {"id": "0b7c2f5e-4a7b-4c1e-9d3a-2f6e8a9b1c0d", "reason": "consent",
         "at": "2026-03-02T08:15:00.000Z", "village_id": "thon-3",
         "record_ids": ["1c7c2f5e-4a7b-4c1e-9d3a-2f6e8a9b1c0d"], "fields": ["phone"]}


@pytest.mark.parametrize("change, good", [
    ({}, True),
    ({"fields": ["note", "phone"]}, True),
    ({"reason": "request"}, True),                       # a request may be limited too
    ({"fields": None}, False),
    ({"fields": []}, False),
    ({"fields": ["full_name"]}, False),                  # required: becomes (đã xóa) only
    ({"fields": ["phone", "phone"]}, False),
    ({"fields": ["phone", "note"]}, False),              # not in order
    ({"reason": "purge", "record_ids": []}, False),
    ({"fields": "phone"}, False),
    ({"extra": 1}, False),
])
def test_a_field_limited_entry_is_checked_before_anything_is_stored(change, good):
    from sync.erasures import format_errors
    entry = {k: v for k, v in dict(ENTRY, **change).items()}
    assert (format_errors([entry], ["thon-3"]) == []) is good


def test_a_consent_entry_needs_its_fields_and_an_old_entry_needs_none():
    from sync.erasures import format_errors
    old = {k: v for k, v in ENTRY.items() if k != "fields"}
    assert format_errors([old], ["thon-3"]) != []                    # reason consent
    assert format_errors([dict(old, reason="request")], ["thon-3"]) == []


def test_the_export_page_removes_them_before_preparing_the_file_and_says_so(tmp_path, site):
    import gzip
    import re

    from fieldapp import create_app
    from tests.support.pages import csrf_token, login_page
    home = factories.household("Hộ Trang Xuất")
    home["data"]["phone"] = LOST[0]
    site.store.submit([home])
    lead = create_app({"DATA_DIR": site.data_dir, "TESTING": True}).test_client()
    assert login_page(lead, "lan", factories.LEAD_PIN).status_code == 302
    answer = lead.post("/export", data={"csrf_token": csrf_token(lead, "/export"),
                                        "scope": "new"}, follow_redirects=True)
    page = answer.get_data(as_text=True)
    assert f"Đã xóa 1 {MESSAGE}." in page
    batch_id = re.search(r'name="batch" value="([0-9a-f-]{36})"', page).group(1)
    body = gzip.decompress(lead.get(f"/export/file?batch={batch_id}").get_data())
    assert LOST[0].encode() not in body
    assert json.loads(body)["erasures"][0]["fields"] == ["phone"]
    commune = factories.commune_site(tmp_path / "commune", users=False)
    assert import_batch(commune, json.loads(body)).new == 1
    assert [e["actor"] for e in audit.entries(site, "consent.phones")] == ["lan"]
