"""Consent travels with the records (SPEC §3): a batch is judged by the same rules, so a
phone without `phone_contact` refuses it; a survey's comment is not judged by an import,
whose batches arrive in any order (the village judged it when it was written)."""
import pytest

from sync.batch import batch_bytes
from sync.errors import BatchRejected
from sync.export import export_batch
from sync.transfer import import_batch
from tests.support import factories
from tests.support.batches import filled_village, resign


@pytest.fixture
def sites(tmp_path):
    village = filled_village(tmp_path / "village", households=2)
    commune = factories.commune_site(tmp_path / "commune", users=False)
    return village, commune


def _signed(village, records):
    batch = export_batch(village, all_versions=True)
    return batch_bytes(resign(batch, village.data_dir, records=batch["records"] + records))


def test_a_batch_with_a_phone_its_consent_does_not_allow_is_refused(sites):
    village, commune = sites
    home = factories.household("Hộ có số")
    home["data"].update(phone="0912345678", consent=factories.consent("campaign_support"))
    with pytest.raises(BatchRejected) as caught:
        import_batch(commune, _signed(village, [home]))
    assert caught.value.problem == "records"
    commune.store.refresh()
    assert len(commune.store) == 0


def test_consent_and_the_phone_it_allows_reach_the_commune_unchanged(sites):
    village, commune = sites
    home = factories.household("Hộ có số")
    home["data"].update(phone="0912345678", consent=factories.consent("phone_contact"))
    import_batch(commune, _signed(village, [home]))
    commune.store.refresh()
    assert commune.store.current(home["id"])["data"] == home["data"]


def test_an_import_keeps_a_comment_whose_household_came_in_another_batch_or_not_yet(sites):
    village, commune = sites
    rated = factories.survey(household_id="6f1c2b3a-4d5e-4f60-8172-93a4b5c6d7e8")
    rated["data"]["comment"] = "Nhanh gọn"
    import_batch(commune, _signed(village, [rated]))
    commune.store.refresh()
    assert commune.store.current(rated["id"])["data"]["comment"] == "Nhanh gọn"
