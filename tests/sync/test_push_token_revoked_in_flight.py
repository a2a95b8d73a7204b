"""A push is checked again under the import's lock: a token revoked, or bound to another
laptop, while a push's body was being read and checked is refused (401, 403), nothing
stored; revoking waits for an import already past that check, which is then taken.
Both tiers: a village laptop's batch at the commune (POST /api/v1/batches) and a
commune's roll-up at the province (POST /api/v1/rollups). A push refused binds its token
to nothing. The moment "while the body is read" is made to happen by running the
revocation inside the read step."""
import threading

import pytest

import sync.transfer
from fieldapp import create_app
from fieldapp.auth import push_tokens
from fieldapp.province import store as province_store
from fieldapp.province.rollup import make_rollup
from fieldapp.province.store import stored_rollups
from sync.batch import batch_bytes, gzip_bytes
from sync.export import export_batch
from sync.rollup import rollup_bytes
from tests.province.test_rollup_push import DAY, filled, issue, province  # noqa: F401
from tests.support import factories
from tests.support.batches import (assert_error, commune, filled_village,  # noqa: F401
                                   push_token, resign)


def during_read(monkeypatch, module, name, act):
    """Run `act()` inside `module.name`, the step that reads a push's body."""
    original = getattr(module, name)

    def reading(*args, **kwargs):
        result = original(*args, **kwargs)
        act()
        return result
    monkeypatch.setattr(module, name, reading)


def push_batch(commune, token, body):
    client = create_app({"DATA_DIR": commune.data_dir}).test_client()
    return client.post("/api/v1/batches", data=body, headers={
        "Authorization": "Bearer " + token, "Content-Type": "application/json"})


def push_rollup(province, token, body):
    client = create_app({"DATA_DIR": province.data_dir}).test_client()
    return client.post("/api/v1/rollups", data=body, headers={
        "Authorization": "Bearer " + token, "Content-Type": "application/json"})


def token_row(site, table):
    with site.meta_lock:
        return site.table(table).all()[-1]


@pytest.fixture
def village(tmp_path):
    return filled_village(tmp_path / "thon3")


def test_a_batch_whose_token_is_revoked_while_it_is_read_is_refused(
        commune, village, monkeypatch):
    token = push_token(commune.data_dir, "thon-3")
    body = batch_bytes(export_batch(village, remember=False))
    during_read(monkeypatch, sync.transfer, "read_checked", lambda: push_tokens.revoke_push_token(
        commune, token_row(commune, push_tokens.PUSH_TOKENS).doc_id))
    answer = push_batch(commune, token, body)
    assert_error(answer.status_code, answer.json, 401, "not_signed_in")
    commune.store.refresh()
    assert commune.store.histories() == {}
    with commune.meta_lock:
        assert commune.table("batches").all() == [] and commune.table("sites").all() == []
    assert token_row(commune, push_tokens.PUSH_TOKENS)["site_id"] is None


def test_a_batch_is_refused_when_another_laptop_took_its_token_meanwhile(
        commune, village, monkeypatch):
    token = push_token(commune.data_dir, "thon-3")
    body = batch_bytes(export_batch(village, remember=False))

    def other_laptop_binds():
        with commune.meta_lock:
            table = commune.table(push_tokens.PUSH_TOKENS)
            table.update({"site_id": "site-other"}, doc_ids=[table.all()[-1].doc_id])
    during_read(monkeypatch, sync.transfer, "read_checked", other_laptop_binds)
    answer = push_batch(commune, token, body)
    assert_error(answer.status_code, answer.json, 403, "forbidden")
    assert "máy khác" in answer.json["error"]["message"]
    assert token_row(commune, push_tokens.PUSH_TOKENS)["site_id"] == "site-other"


def test_the_first_batch_binds_its_token_to_its_laptop_under_the_lock(commune, village):
    token = push_token(commune.data_dir, "thon-3")
    answer = push_batch(commune, token, batch_bytes(export_batch(village, remember=False)))
    assert answer.status_code == 200, answer.json
    assert token_row(commune, push_tokens.PUSH_TOKENS)["site_id"] == village.settings["site_id"]


def test_a_revocation_waits_for_an_import_past_its_check(commune, village, monkeypatch):
    """The import holds the lock from the check to the store: a revocation begun while it
    runs lands after it, so the batch is taken whole and the next push is refused."""
    token = push_token(commune.data_dir, "thon-3")
    body = batch_bytes(export_batch(village, remember=False))
    revoked, started = threading.Event(), threading.Event()
    original = sync.transfer.store_checked

    def storing(*args, **kwargs):
        worker = threading.Thread(target=lambda: (started.set(), push_tokens.revoke_push_token(
            commune, token_row(commune, push_tokens.PUSH_TOKENS).doc_id), revoked.set()))
        worker.start()
        started.wait(5)
        assert not revoked.wait(0.2)            # it waits for the lock this import holds
        result = original(*args, **kwargs)
        storing.worker = worker
        return result
    monkeypatch.setattr(sync.transfer, "store_checked", storing)
    answer = push_batch(commune, token, body)
    storing.worker.join(5)
    assert answer.status_code == 200 and revoked.is_set(), answer.json
    commune.store.refresh()
    assert len(commune.store.histories()) == 9          # 3 households, 3 adults, 3 visits
    assert token_row(commune, push_tokens.PUSH_TOKENS)["revoked"] is True


def test_a_rollup_whose_token_is_revoked_while_it_is_read_is_refused(
        runner, province, filled, monkeypatch):
    token = issue(runner, province)
    body = gzip_bytes(rollup_bytes(make_rollup(filled, DAY)))
    during_read(monkeypatch, province_store, "read_rollup_json",
                lambda: push_tokens.revoke_rollup_token(province, commune_code=filled.settings[
                    "commune_code"]))
    answer = push_rollup(province, token, body)
    assert_error(answer.status_code, answer.json, 401, "not_signed_in")
    assert stored_rollups(province) == {}


def test_a_rollup_is_refused_when_another_laptop_took_its_token_meanwhile(
        runner, province, filled, monkeypatch):
    token = issue(runner, province)
    body = gzip_bytes(rollup_bytes(make_rollup(filled, DAY)))

    def other_laptop_binds():
        with province.meta_lock:
            table = province.table(push_tokens.ROLLUP_TOKENS)
            table.update({"site_id": "site-other"}, doc_ids=[table.all()[-1].doc_id])
    during_read(monkeypatch, province_store, "read_rollup_json", other_laptop_binds)
    answer = push_rollup(province, token, body)
    assert_error(answer.status_code, answer.json, 403, "forbidden")
    assert "máy khác" in answer.json["error"]["message"]
    assert stored_rollups(province) == {}


def test_a_rollup_refused_for_its_key_leaves_its_token_unbound(
        runner, province, filled, tmp_path):
    """The commune's key is pinned by its first roll-up (here from a file); a roll-up
    signed by another machine of the commune is refused, and its token binds nothing:
    the commune's own laptop can still use it."""
    province_store.import_rollup(province, gzip_bytes(rollup_bytes(make_rollup(filled, DAY))))
    token = issue(runner, province)
    other = factories.commune_site(tmp_path / "other-laptop", users=False)
    answer = push_rollup(province, token, gzip_bytes(rollup_bytes(make_rollup(other, DAY))))
    assert answer.status_code == 422 and "khóa" in answer.json["error"]["message"], answer.json
    row = token_row(province, push_tokens.ROLLUP_TOKENS)
    assert row["site_id"] is None and row["last_used"] is None
    answer = push_rollup(province, token, gzip_bytes(rollup_bytes(make_rollup(filled, DAY))))
    assert answer.status_code == 200, answer.json
    assert token_row(province, push_tokens.ROLLUP_TOKENS)["site_id"] == filled.settings["site_id"]


def test_a_batch_refused_at_its_store_leaves_its_token_unbound(commune, village, tmp_path):
    """A batch that passes the token's checks but is refused when stored (a record of a
    village the laptop does not send for) binds its token to nothing."""
    token = push_token(commune.data_dir, "thon-3")
    batch = export_batch(village, remember=False)
    stray = dict(batch["records"][0], village_id="thon-5")
    bad = resign(dict(batch, records=[stray, *batch["records"][1:]]), village.data_dir)
    answer = push_batch(commune, token, batch_bytes(bad))
    assert answer.status_code == 422, answer.json
    row = token_row(commune, push_tokens.PUSH_TOKENS)
    assert row["site_id"] is None and row["last_used"] is None
    answer = push_batch(commune, token, batch_bytes(batch))
    assert answer.status_code == 200, answer.json
    assert token_row(commune, push_tokens.PUSH_TOKENS)["site_id"] == village.settings["site_id"]
