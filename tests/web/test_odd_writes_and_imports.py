"""Edge cases of storage and import, each held by a test."""
import pytest

from fieldapp.forms.rules import RULES
from storage import RecordStore, StorageError
from tests.support.pages import login_page
from tests.support import factories


def test_a_partition_name_ending_in_a_newline_is_refused_not_written_and_lost(tmp_path):
    """`$` matches before a trailing newline: "p\\n" passed the partition check, was written
    to `records/p\\n.0001.json`, which no reload reads back (the segment pattern has no
    newline), so the accepted version vanished and its seq was given out again."""
    store = RecordStore(str(tmp_path))
    home = factories.household()
    with pytest.raises(StorageError):
        store.submit([home], partition="p\n")
    assert len(store) == 0 and store.current(home["id"]) is None
    assert sorted(p.name for p in (tmp_path / "records").iterdir()) == []
    other = factories.household("Lê Văn Hai")
    assert [r.seq for r in store.submit([other])] == [1]
    assert RecordStore(str(tmp_path)).current(other["id"]) == other



def test_a_signed_batch_with_a_lone_surrogate_is_rejected_and_stores_nothing(site_templates,
                                                                              tmp_path):
    """orjson refuses an escaped lone surrogate, json takes it; the record checks let it
    through, and the store could not write it: the import failed with a StorageError
    (a 500 on the push endpoint, a traceback in the CLI) instead of a BatchRejected."""
    import hashlib
    import json

    from sync import keys
    from sync.batch import _split, signed_payload
    from sync.errors import BatchRejected
    from sync.export import export_batch
    from sync.transfer import import_batch
    from tests.support.batches import filled_village, snapshot

    village = filled_village(tmp_path / "v")
    commune = site_templates.copy(tmp_path / "c", factories.commune_site)
    batch = export_batch(village, all_versions=True)
    records = list(batch["records"])
    records[0] = dict(records[0], data=dict(records[0]["data"], address="Xóm \ud800"))
    # the sender writes the records with ASCII escapes, hashes and signs those very bytes
    body = json.dumps(records, ensure_ascii=True, sort_keys=True, separators=(",", ":")).encode()
    fields = {k: v for k, v in batch.items() if k not in ("records", "signature")}
    fields["records_sha256"] = hashlib.sha256(body).hexdigest()
    fields["signature"] = keys.sign(keys.load_site_key(village.data_dir),
                                    signed_payload(dict(fields, records=records), body))
    head, tail = _split(fields)
    before = snapshot(commune.data_dir)
    with pytest.raises(BatchRejected):
        import_batch(commune, head + body + tail)
    assert snapshot(commune.data_dir) == before and len(commune.store) == 0
    # the same batch without the surrogate goes in
    assert import_batch(commune, export_batch(village, all_versions=True)).new == len(records)


def test_an_empty_list_in_a_text_field_is_not_stored_as_a_list(site, client):
    """The full check kept an empty value as sent for text, phone and choices fields, so
    `"address": []` (or `"help": ""`) was stored in a field of the other type; one such
    version from the API made the household search of the whole village a 500."""
    response = client.post("/api/v1/login", json={"username": "minh",
                                                  "secret": factories.VOL_PIN})
    token = response.json["token"]
    home = dict(factories.household("Lê Thị Lan"), author="minh")
    home["data"] = dict(home["data"], address=[])
    visit = dict(factories.visit(home["id"]), author="minh")
    visit["data"] = dict(visit["data"], help="")
    response = client.post("/api/v1/records", json={"records": [home, visit]},
                           headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    site.store.refresh()
    for sent in (home, visit):
        stored = site.store.current(sent["id"])
        if stored is not None:
            for rule in RULES[sent["type"]]:
                value = stored["data"].get(rule.name)
                if rule.kind in ("text", "phone"):
                    assert value is None or isinstance(value, str), (rule.name, value)
                if rule.kind == "choices":
                    assert value is None or isinstance(value, list), (rule.name, value)
    login_page(client, "minh", factories.VOL_PIN)
    page = client.get("/households?q=lan")
    assert page.status_code == 200


def test_records_keep_their_creation_order_when_the_store_is_read_again(tmp_path):
    """The bulk indexing put records with one version first and edited ones after them,
    so the order of currents()/histories() (the members offered on a household's forms,
    ties in sorted lists) changed with every restart of the server."""
    store = RecordStore(str(tmp_path))
    homes = [factories.household(name) for name in ("An", "Bình", "Chi", "Dũng")]
    for home in homes:
        store.submit([home])
    edited = dict(homes[1], updated_at=homes[1]["updated_at"].replace("03:", "04:"),
                  data=dict(homes[1]["data"], address="Xóm 9"))
    # a record created and edited in one submission, after the others
    late = factories.household("Em")
    late_edit = dict(late, updated_at=late["updated_at"].replace("03:", "05:"),
                     data=dict(late["data"], address="Xóm 8"))
    store.submit([edited, late, late_edit, factories.household("Giang")])
    order = [v["data"]["head_name"] for v in store.currents()]
    assert order == ["An", "Bình", "Chi", "Dũng", "Em", "Giang"]
    again = RecordStore(str(tmp_path))
    assert [v["data"]["head_name"] for v in again.currents()] == order
    assert list(again.histories()) == list(store.histories())
    assert again.history(homes[1]["id"]) == [homes[1], edited]
    assert again.history(late["id"]) == [late, late_edit]


def test_a_roster_write_the_store_refuses_is_an_error_page_not_a_500(tmp_path):
    """A roster record's id is fixed by site and username. On a site of two villages, the
    lead of one can write (through the API) the roster record of a name the other lead
    has not added yet; adding it then changes the record's village, the store refuses
    that, and the `Refused` escaped the volunteers page as a 500."""
    from fieldapp import create_app
    from fieldapp.auth.accounts import add_user
    from fieldapp.site import init_site
    from fieldapp.forms.versions import member_record_id
    from fieldapp.site import Site
    from tests.support.pages import csrf_token

    init_site(str(tmp_path), "village", factories.COMMUNE,
              [{"id": v, "name": v, "adult_population": None, "targets": {}}
               for v in ("thon-3", "thon-4")], factories.START, factories.END)
    site = Site(str(tmp_path))
    add_user(site, "lan", "lead", factories.LEAD_PIN, "thon-3")
    add_user(site, "hai", "lead", "592817", "thon-4")
    client = create_app({"DATA_DIR": str(tmp_path), "TESTING": True}).test_client()
    token = client.post("/api/v1/login", json={"username": "lan",
                                               "secret": factories.LEAD_PIN}).json["token"]
    taken = dict(factories.household(), type="member", village_id="thon-3", author="lan",
                 id=member_record_id(site.settings["site_id"], "hoa"),
                 data={"full_name": "Hoa", "active": True})
    response = client.post("/api/v1/records", json={"records": [taken]},
                           headers={"Authorization": f"Bearer {token}"})
    assert response.json["results"][0]["status"] == "accepted"
    login_page(client, "hai", "592817")
    form = {"csrf_token": csrf_token(client, "/volunteers"), "username": "hoa",
            "pin": "582014", "role": "volunteer"}
    response = client.post("/volunteers", data=form)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Danh sách tổ chưa ghi được" in page and "thuộc thôn khác" in page
    site.store.refresh()
    assert site.store.history(taken["id"]) == [taken]
