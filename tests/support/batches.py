"""Helpers for the sync tests: village sites with records, re-signed batches, snapshots."""
import hashlib
import os

import pytest

from sync import keys
from sync.held import held_rows
from sync.batch import sign_batch
from tests.support import factories
from tests.support.live import LiveServer


def filled_village(path, village_id="thon-3", name="Thôn 3", households=3):
    """A village site with `households` households, each with one adult and a visit."""
    site = factories.village_site(path, village_id, name, users=False)
    versions = []
    for n in range(households):
        home = factories.household(f"Hộ {n}", village_id=village_id)
        versions += [home,
                     factories.person(home["id"], f"Người {n}", 1980, vneid="level2",
                                      village_id=village_id),
                     factories.visit(home["id"], village_id=village_id)]
    site.store.submit(versions)
    return site


def resign(batch, data_dir, **changes):
    """The batch with `changes` applied and signed again with the site's key in `data_dir`."""
    fields = {k: v for k, v in batch.items()
              if k not in ("records", "record_count", "records_sha256", "signature")}
    fields.update({k: v for k, v in changes.items()
                   if k not in ("records", "record_count", "records_sha256")})
    signed = sign_batch(fields, changes.get("records", batch["records"]),
                        keys.load_site_key(data_dir))
    for key in ("record_count", "records_sha256"):
        if key in changes:
            signed[key] = changes[key]
    if "record_count" in changes or "records_sha256" in changes:
        from sync.batch import records_bytes, signed_payload
        signed["signature"] = keys.sign(keys.load_site_key(data_dir),
                                        signed_payload(signed, records_bytes(signed["records"])))
    return signed


def import_approved(commune, data, by="canbo"):
    """Import a batch at the commune; a second laptop's batch for a village another one
    sends for is held, so approve that laptop as staff would: return the import receipt."""
    from sync.approval import approve_site
    from sync.transfer import import_batch
    receipt = import_batch(commune, data)
    if not receipt.held:
        return receipt
    decision = approve_site(commune, receipt.site_id,
                            next(r["public_key"] for r in held_rows(commune, receipt.site_id)), by)
    assert decision.found and not decision.failed, decision
    return decision.receipts[-1]


def issue_push_token(commune, village_id):
    """Issue a push token through the staff page of a commune site; return it."""
    return push_token(commune.data_dir, village_id)


def snapshot(data_dir):
    """{relative path: sha256} of every stored file of a data directory (locks and the
    audit log excluded: a refused or repeated request is still recorded there)."""
    out = {}
    for root, _, files in os.walk(data_dir):
        for name in files:
            path = os.path.join(root, name)
            if name.startswith(".") and name.endswith("lock") or name == "audit.log":
                continue
            with open(path, "rb") as handle:
                out[os.path.relpath(path, data_dir)] = hashlib.sha256(handle.read()).hexdigest()
    return out


def state(site):
    """The logical stored state: every version, and the current version of every record."""
    site.store.refresh()
    histories = site.store.histories()
    return ({rid: [factories_key(v) for v in h] for rid, h in histories.items()},
            {rid: h[-1] for rid, h in histories.items()})


def factories_key(version):
    """A comparable identity-and-content of one version."""
    from storage.canonical import canonical_json
    return canonical_json(version)


# fixtures of the HTTP sync tests: a commune of two villages, served for real
@pytest.fixture
def commune(site_templates, tmp_path):
    """A commune of thon-3 and thon-5 with staff canbo and admin quantri (a copy of one
    built once, quick hashes: see conftest.SiteTemplates)."""
    return site_templates.copy(tmp_path / "commune", factories.commune_site, quick_hashes=True,
                               villages=(("thon-3", "Thôn 3", None), ("thon-5", "Thôn 5", 40)))


@pytest.fixture
def server(commune):
    live = LiveServer(commune.data_dir).start()
    yield live
    live.stop()


def push_token(data_dir, village_id):
    """A push token issued through the commune's staff page, as a person would."""
    import re
    from fieldapp import create_app
    from tests.support.pages import csrf_token, login_page
    client = create_app({"DATA_DIR": data_dir}).test_client()
    assert login_page(client, "canbo", factories.PASSWORD).status_code == 302
    page = client.post("/commune/push-tokens", data={
        "csrf_token": csrf_token(client, "/commune/push-tokens"), "village_id": village_id,
        "label": "Máy tổ trưởng"})
    assert page.status_code == 200
    return re.search(r"fa-push-[A-Za-z0-9_-]{43}", page.get_data(as_text=True)).group(0)


def gzip_bomb(header, inflated_bytes):
    """A gzip batch file: `header`'s fields, then records of `{},` repeated until it inflates
    to about `inflated_bytes` (a 250 MB one is about 250 KB)."""
    import json
    import zlib
    fields = {k: v for k, v in header.items() if k != "records"}
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    parts = [packer.compress(json.dumps(fields).encode()[:-1] + b',"records":[')]
    chunk = b"{}," * (1 << 20)
    parts += [packer.compress(chunk) for _ in range(inflated_bytes // len(chunk))]
    parts += [packer.compress(b"{}]}"), packer.flush()]
    return b"".join(parts)


def assert_error(status, body, expected_status, code):
    assert status == expected_status, body
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code and body["error"]["message"]


@pytest.fixture
def bare_village(tmp_path):
    """A village laptop without accounts, whose batches a test makes and signs itself."""
    return factories.village_site(tmp_path / "village", users=False)


@pytest.fixture
def bare_commune(tmp_path):
    """A commune centre without accounts, for importing such batches."""
    return factories.commune_site(tmp_path / "commune", users=False)
