"""Merging batches at the commune: any order, repetition and split gives the same state
and indicators; competing edits from two laptops give a conflict and a fixed winner."""
import datetime
import tempfile
import uuid

import pytest
from hypothesis import given, settings, strategies as st, HealthCheck

from fieldapp.forms.versions import base_of
from fieldapp.indicators.compute import compute
from sync import keys
from sync.batch import FORMAT, VERSION, batch_bytes, sign_batch
from sync.export import export_batch
from sync.transfer import import_batch
from tests.support import factories
from tests.support.batches import import_approved, state

VILLAGES = (("thon-3", "Thôn 3", None), ("thon-5", "Thôn 5", 40))
DAY = datetime.date(2025, 8, 5)


def person_data(home, name, year, vneid="none", bank=False, online=False):
    return {"household_id": home, "full_name": name, "birth_year": year, "vneid": vneid,
            "bank_account": bank, "uses_online_services": online}


def village_versions(village_id):
    """A small village's history: households, people (one edited, one deleted), visits, surveys."""
    v = dict(village_id=village_id, author="minh", device_id=f"ph-{village_id}")
    if village_id == "thon-5":
        h4 = factories.household("Hộ Bốn", **v)
        return [h4, factories.person(h4["id"], "Sáu", 1960, "level2", True, True, **v),
                factories.visit(h4["id"], **v), factories.survey("investment", 2, **v)]
    h1, h2, h3 = (factories.household(n, **v) for n in ("Hộ Một", "Hộ Hai", "Hộ Ba"))
    p3 = factories.person(h2["id"], "Ba", 1990, "installed", **v)
    p5 = factories.person(h3["id"], "Năm", 1985, **v)
    return [h1, h2, h3,
            factories.person(h1["id"], "Một", 1980, "level2", True, True, **v),
            factories.person(h1["id"], "Hai", 2010, "level2", **v),
            p3, factories.person(h3["id"], "Bốn", 1970, "level2", True, False, **v), p5,
            factories.version("person", person_data(h2["id"], "Ba", 1990, "installed", False, True),
                              day=DAY, record_id=p3["id"], **v),
            factories.version("person", person_data(h3["id"], "Năm", 1985), day=DAY, hour=11,
                              record_id=p5["id"], deleted=True, **v),
            factories.visit(h1["id"], **v), factories.visit(h2["id"], "absent", **v),
            factories.visit(h3["id"], **v),
            factories.survey("land", 5, **v), factories.survey("civil_status", 3, **v),
            factories.survey("construction", 4, **v)]


@pytest.fixture(scope="module")
def senders(tmp_path_factory):
    """Two village laptops (their keys and site ids) and the versions each holds."""
    out = []
    for village_id, name, _ in VILLAGES:
        site = factories.village_site(tmp_path_factory.mktemp(village_id), village_id, name,
                                      users=False)
        out.append((site, village_versions(village_id)))
    return out


def signed(site, versions, since):
    """A batch of `versions` from `site`, as its export would have made it."""
    settings_ = site.settings
    key = keys.load_site_key(site.data_dir)
    fields = {"format": FORMAT, "version": VERSION, "batch_id": str(uuid.uuid4()),
              "commune_code": settings_["commune_code"],
              "site": {"id": settings_["site_id"], "name": settings_["site_name"],
                       "village_ids": site.village_ids, "public_key": keys.public_key_b64(key)},
              "created_at": "2025-08-25T10:00:00.000Z", "since_seq": since,
              "until_seq": since + len(versions)}
    return batch_bytes(sign_batch(fields, versions, key))


def commune_at(path):
    return factories.commune_site(path, villages=VILLAGES, users=False)


def outcome(commune):
    """What must not depend on how batches arrived: state, indicators, conflicts."""
    histories, currents = state(commune)
    answer = compute(commune.settings, commune.store.histories(), factories.END)
    return histories, currents, answer, sorted(c.id for c in commune.store.conflicts())


@pytest.fixture(scope="module")
def reference(senders, tmp_path_factory):
    commune = commune_at(tmp_path_factory.mktemp("reference"))
    for site, versions in senders:
        import_batch(commune, signed(site, versions, 0))
    return outcome(commune)


def splits(n):
    """Cut points of a list of n versions into consecutive batches."""
    return st.lists(st.integers(1, n - 1), max_size=4).map(lambda cuts: sorted(set(cuts)))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_order_repetition_and_split_gives_the_same_state(senders, reference, data):
    batches = []
    for site, versions in senders:
        for _ in range(data.draw(st.integers(1, 2), label="splittings")):
            cuts = [0] + data.draw(splits(len(versions)), label="cuts") + [len(versions)]
            batches += [signed(site, versions[a:b], a) for a, b in zip(cuts, cuts[1:])]
    repeats = data.draw(st.lists(st.sampled_from(range(len(batches))), max_size=4))
    order = data.draw(st.permutations(batches + [batches[i] for i in repeats]), label="order")
    with tempfile.TemporaryDirectory() as tmp:
        commune = commune_at(tmp + "/commune")
        for body in order:
            import_batch(commune, body)
        assert outcome(commune) == reference


def test_indicators_at_the_commune_match_hand_counts(senders, reference):
    answer = reference[2]
    def figures(entries):        # the record-based indicators of SPEC §4
        keys_ = ("adult_online_usage", "adult_vneid_level2", "adult_bank_account",
                 "household_vneid_level2", "households_visited", "satisfaction",
                 "satisfaction_land_construction_investment")
        return {e["key"]: (e["numerator"], e["denominator"], e["denominator_source"])
                for e in entries if e["key"] in keys_}
    assert figures(answer["by_village"]["thon-3"]) == {
        "adult_online_usage": (2, 3, "registered"), "adult_vneid_level2": (2, 3, "registered"),
        "adult_bank_account": (2, 3, "registered"), "household_vneid_level2": (2, 3, "registered"),
        "households_visited": (2, 3, "registered"), "satisfaction": (2, 3, "registered"),
        "satisfaction_land_construction_investment": (2, 2, "registered")}
    assert figures(answer["by_village"]["thon-5"]) == {
        "adult_online_usage": (1, 40, "official"), "adult_vneid_level2": (1, 40, "official"),
        "adult_bank_account": (1, 40, "official"), "household_vneid_level2": (1, 1, "registered"),
        "households_visited": (1, 1, "registered"), "satisfaction": (0, 1, "registered"),
        "satisfaction_land_construction_investment": (0, 1, "registered")}
    assert figures(answer["indicators"]) == {
        "adult_online_usage": (3, 43, "mixed"), "adult_vneid_level2": (3, 43, "mixed"),
        "adult_bank_account": (3, 43, "mixed"), "household_vneid_level2": (3, 4, "registered"),
        "households_visited": (3, 4, "registered"), "satisfaction": (2, 4, "registered"),
        "satisfaction_land_construction_investment": (2, 3, "registered")}
    online = [next(e for e in p["indicators"] if e["key"] == "adult_online_usage")
              for p in answer["by_period"]]
    # Ba starts using online services on 5/8 (period 2); Năm, deleted that day, was a
    # registered adult of thôn 3 in period 1.
    assert [(e["numerator"], e["denominator"]) for e in online] == [(2, 44), (3, 43), (3, 43), (3, 43)]
    assert online[1]["change"] == pytest.approx(3 / 43 - 2 / 44)


# -- two laptops editing the same record ---------------------------------------

def two_laptops(tmp_path, same_time=False):
    """Laptops A and B of thôn 3 both hold person P, and both edit it."""
    a = factories.village_site(tmp_path / "a", users=False)
    b = factories.village_site(tmp_path / "b", users=False)
    home = factories.household("Hộ chung", device_id="ph-a")
    base = factories.person(home["id"], "Chung", 1980, device_id="ph-a")
    for laptop in (a, b):
        laptop.store.submit([home, base])
    edit_a = factories.version("person", dict(base["data"], vneid="level2"), day=DAY,
                               device_id="ph-a", record_id=base["id"])
    edit_b = factories.version("person", dict(base["data"], bank_account=True), day=DAY,
                               minute=0 if same_time else 5, device_id="ph-b",
                               record_id=base["id"])
    for edit in (edit_a, edit_b):                             # both made from the shared base
        edit["base"] = base_of(base)
    a.store.submit([edit_a])
    b.store.submit([edit_b])
    return batch_bytes(export_batch(a)), batch_bytes(export_batch(b)), base["id"], edit_b


@pytest.mark.parametrize("same_time", [False, True])
def test_two_laptops_editing_one_record_make_a_conflict_and_a_fixed_winner(tmp_path, same_time):
    from_a, from_b, record_id, edit_b = two_laptops(tmp_path, same_time)
    results = []
    for n, order in enumerate(((from_a, from_b), (from_b, from_a))):
        commune = commune_at(tmp_path / f"commune-{n}")
        first = import_batch(commune, order[0])
        assert import_batch(commune, order[1]).held           # a second laptop of thôn 3
        second = import_approved(commune, order[1])
        assert first.conflicts == [] and second.conflicts == [record_id]
        assert (second.new, second.duplicate) == (1, 2)       # the shared base is a duplicate
        assert [c.id for c in commune.store.conflicts()] == [record_id]
        results.append(commune.store.current(record_id))
        assert len(commune.store.history(record_id)) == 3
    # later updated_at wins; at the same millisecond the greater device_id (ph-b > ph-a)
    assert results[0] == results[1] == edit_b
