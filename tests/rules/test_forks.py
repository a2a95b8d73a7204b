"""SPEC §3: a version names its base, and two heads from different devices are a fork."""
import itertools

from hypothesis import given, settings, strategies as st

from fieldapp.forms.versions import base_of, bases, check_version, forks
from tests.support import factories


def version(stamp, device, base=None, record=None):
    """A household version of one record, stamped on 1/8/2025 at `stamp` (HH:MM), whose
    note says who wrote it when (so no two versions hold the same data)."""
    made = dict(record or factories.household(), updated_at=f"2025-08-01T{stamp}:00.000Z",
                device_id=device, author=device.removeprefix("ph-"))
    made["data"] = dict(made["data"], note=f"{device} {stamp}")
    made["base"] = base
    return made


def test_a_new_record_an_edit_and_a_merge_name_their_base_and_are_valid():
    new = version("08:00", "ph-lan")
    edit = version("09:00", "ph-minh", base_of(new), new)
    merge = version("10:00", "ph-lan", [base_of(new), base_of(edit)], new)
    for made in (new, edit, merge):
        assert check_version(made).errors == {}
    assert bases(new) == [] and bases(edit) == [("2025-08-01T08:00:00.000Z", "ph-lan")]
    assert len(bases(merge)) == 2


def test_an_old_version_without_base_is_read_as_a_new_record():
    old = version("08:00", "ph-lan")
    del old["base"]
    assert check_version(old).errors == {} and "base" not in check_version(old).version
    assert bases(old) == []


def test_bad_bases_are_refused_in_vietnamese():
    new = version("08:00", "ph-lan")
    ref = base_of(new)
    for base in ({"updated_at": "hôm qua", "device_id": "ph-lan"}, dict(ref, extra=1), [ref],
                 [ref, ref], [], "ph-lan", [dict(ref, updated_at=f"2025-08-01T08:{m:02d}:00.000Z")
                                            for m in range(21)]):
        errors = check_version(dict(new, base=base)).errors
        assert "base" in errors and "phiên bản" in errors["base"], base


def test_two_phones_editing_the_same_version_make_a_fork_and_a_merge_closes_it():
    new = version("08:00", "ph-lan")
    lan = version("09:00", "ph-lan", base_of(new), new)
    minh = version("09:05", "ph-minh", base_of(new), new)
    assert forks([new, lan, minh]) == [lan, minh]
    merge = version("10:00", "ph-lan", [base_of(lan), base_of(minh)], new)
    assert forks([new, lan, minh, merge]) == []
    one_side = version("10:00", "ph-lan", base_of(lan), new)       # an edit of one side
    assert forks([new, lan, minh, one_side]) == [minh, one_side]


def test_an_edit_made_after_seeing_the_other_is_no_fork_however_close_in_time():
    new = version("08:00", "ph-lan")
    minh = version("09:00", "ph-minh", base_of(new), new)
    lan = version("09:00", "ph-lan", base_of(minh), new)
    assert forks([new, minh, lan]) == []


def test_two_places_resolving_a_fork_the_same_way_leave_no_fork():
    new = version("08:00", "ph-lan")
    lan = version("09:00", "ph-lan", base_of(new), new)
    minh = version("09:05", "ph-minh", base_of(new), new)
    kept = [base_of(lan), base_of(minh)]
    here = dict(version("10:00", "ph-lan", kept, new), data=lan["data"])
    there = dict(version("10:30", "laptop-xa", kept, new), data=lan["data"])
    assert forks([new, lan, minh, here, there]) == []
    other = dict(there, data=minh["data"])                         # they chose differently
    assert forks([new, lan, minh, here, other]) == [here, other]


def test_one_phone_editing_its_own_line_without_bases_is_no_fork():
    first, second = version("08:00", "ph-lan"), version("09:00", "ph-lan")
    assert forks([first, second]) == []


@st.composite
def histories(draw):
    """A record's versions from three phones, each made from one earlier version (or a
    merge of two), in a random order, some repeated."""
    record = factories.household()
    made = [version("07:00", "ph-lan", None, record)]
    for n in range(draw(st.integers(1, 7))):
        device = draw(st.sampled_from(["ph-lan", "ph-minh", "ph-hoa"]))
        parents = draw(st.lists(st.sampled_from(made), min_size=1, max_size=2, unique_by=id))
        base = base_of(parents[0]) if len(parents) == 1 else [base_of(p) for p in parents]
        if isinstance(base, list) and base[0] == base[1]:
            base = base[0]
        made.append(version(f"{8 + n:02d}:00", device, base, record))
    shuffled = draw(st.permutations(made + draw(st.lists(st.sampled_from(made), max_size=3))))
    return made, shuffled


@settings(max_examples=200, deadline=None)
@given(histories())
def test_forks_do_not_depend_on_arrival_order_repetition_or_how_batches_split(history):
    made, arrived = history
    unique = list({(v["updated_at"], v["device_id"]): v for v in arrived}.values())
    assert forks(unique) == forks(made)
    named = {ref for v in made for ref in bases(v)}
    heads = [v for v in made if (v["updated_at"], v["device_id"]) not in named]
    expected = heads if len({v["device_id"] for v in heads}) > 1 else []
    assert forks(made) == sorted(expected, key=lambda v: (v["updated_at"], v["device_id"]))
    for cut in range(len(unique) + 1):            # two batches, split anywhere
        assert forks(list(itertools.chain(unique[cut:], unique[:cut]))) == forks(made)
