"""Typed decoding of whole batches answers exactly what checking record by record answers.

`clean_versions` takes a batch's records only when every one is valid and already clean;
then it must give the very versions `check_versions` gives (computed here with every
fast path off), and it must take every such batch, or the commune would import slowly.
"""
import copy
import datetime
import json

from hypothesis import given, settings, strategies as st

from fieldapp.forms.rules import MAX_CLOCK_AHEAD, RULES
from fieldapp.forms.versions import ENVELOPE, check_versions
from fieldapp.forms.typed import clean_versions
from tests.support.records import (ENVELOPE_VALUES, NEAR, NOW, NOWS, UUID, VALUES, good_data,
                                   raw_versions)

OTHER = "6f1c2b3a-4d5e-4f60-8172-93a4b5c6d7e8"


def clean(record_type, record_id=UUID, **envelope):
    """A valid version as a village stores it: already clean."""
    raw = {"id": record_id, "type": record_type, "village_id": "thon-3",
           "updated_at": "2025-08-01T09:15:02.123Z", "device_id": "ph-minh", "author": "minh",
           "deleted": False, "data": dict(good_data(record_type))}
    raw.update(envelope)
    checked, bad = check_versions([raw], NOW)
    assert not bad
    return checked[0][1]


def body_of(raws, ascii_only=False):
    """JSON bytes of versions, with every other than ASCII character escaped if asked."""
    return json.dumps(raws, ensure_ascii=ascii_only, sort_keys=True,
                      separators=(",", ":")).encode()


def expected(raws, now):
    """The full check's versions, and whether typed decoding must take the batch: every
    record valid and already clean, tombstones included when their data would be valid
    in a live record too (a tombstone may lack data; typed decoding leaves those out)."""
    checked, bad = check_versions(copy.deepcopy(raws), now)
    versions = [version for _, version in checked]
    live = [dict(raw, deleted=False) if isinstance(raw, dict) and raw.get("deleted") is True
            else raw for raw in raws]
    checked_live, bad_live = check_versions(copy.deepcopy(live), now)
    must_take = not bad and versions == raws and not bad_live and \
        [version for _, version in checked_live] == live
    return versions, bad, must_take


def agrees(raws, now=NOW, ascii_only=False):
    """Assert clean_versions agrees with the full check on a batch; return its answer."""
    versions, bad, must_take = expected(raws, now)
    got = clean_versions(body_of(raws, ascii_only), now)
    if got is not None:
        assert not bad and got == versions
    assert (got is not None) == must_take, (raws, bad)
    return got


def test_every_type_clean_is_taken_whole():
    raws = [clean(t, record_id=UUID if n % 2 else OTHER) for n, t in enumerate(sorted(RULES))]
    raws.append(clean("person", OTHER, deleted=True))      # a tombstone with its data
    got = agrees(raws)
    assert got == raws and got is not raws
    assert [list(v) for v in got] and all(set(v) == set(ENVELOPE) for v in got)


def test_empty_list_and_odd_bodies():
    assert clean_versions(b"[]", NOW) == []
    for body in (b"{}", b"[1]", b"null", b"[{}]", b"[", b'[{"type":"person"}]'):
        assert clean_versions(body, NOW) is None
    raws = [clean("household")]
    assert clean_versions(body_of(raws), NOW.replace(tzinfo=None)) is None   # naive now


def test_given_villages_only_their_records_are_taken():
    raws = [clean("household"), clean("person", OTHER, village_id="thon-4")]
    body = body_of(raws)
    assert clean_versions(body, NOW, ["thon-4", "thon-3"]) == raws
    assert clean_versions(body, NOW, ["thon-3", "thon-3", "thon-4"]) == raws
    assert clean_versions(body, NOW) == raws                         # any village
    for villages in (["thon-3"], ["thon-4", "thon-5"], [], ["thon-3", "thon 4"],
                     ["thon-3", 4], "thon-3thon-4"):
        assert clean_versions(body, NOW, villages) is None, villages
    assert clean_versions(b"[]", NOW, ["thon-3"]) == []


def test_every_single_field_change_agrees():
    """Each field of clean data set to each value, or dropped: taken exactly when clean."""
    for record_type in RULES:
        for rule in RULES[record_type]:
            for value in NEAR[rule.kind] + VALUES + ["drop"]:
                for now in (NOW, NOW.replace(year=2024, month=12, day=31)):
                    raw = clean(record_type)
                    if now.year == 2024:
                        raw["updated_at"] = "2024-12-30T09:15:02.123Z"
                    if value == "drop":
                        raw["data"].pop(rule.name, None)
                    else:
                        raw["data"][rule.name] = value
                    agrees([clean("visit", OTHER), raw], now)


def test_every_single_envelope_change_agrees():
    for now in NOWS:
        for key, values in ENVELOPE_VALUES.items():
            for value in values + ["drop"]:
                raw = clean("visit", updated_at="2025-08-01T01:15:02.123Z")
                if value == "drop":
                    raw.pop(key, None)
                else:
                    raw[key] = value
                agrees([raw, clean("person", OTHER)], now)


def test_a_stamp_just_past_the_future_limit_sends_the_batch_the_long_way():
    limit = (NOW + MAX_CLOCK_AHEAD).strftime("%Y-%m-%dT%H:%M:%S.%f")[:23] + "Z"
    assert agrees([clean("household", updated_at=limit)]) is not None
    late = (NOW + MAX_CLOCK_AHEAD + datetime.timedelta(milliseconds=1)).strftime(
        "%Y-%m-%dT%H:%M:%S.%f")[:23] + "Z"
    raw = clean("household")
    raw["updated_at"] = late
    assert agrees([raw]) is None


def test_escaped_text_is_checked_as_decoded():
    raws = [clean("household")]
    assert agrees(raws, ascii_only=True) == raws            # "L\u00ea V\u0103n H\u1ea3i"
    raws[0]["data"]["head_name"] = "Le\u0302 Va\u0306n"        # decomposed: not clean
    assert agrees(raws) is None and agrees(raws, ascii_only=True) is None


@settings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(raw_versions(), st.sampled_from(sorted(RULES)).map(clean)),
                min_size=1, max_size=6),
       st.sampled_from(NOWS), st.booleans())
def test_any_batch_agrees(raws, now, ascii_only):
    agrees(raws, now, ascii_only)


def test_every_character_of_a_stamp_changed_agrees():
    """Each position of a stamp set to each separator, a digit or a space: the typed
    checks look at positions, so a separator out of place must not slip through."""
    stamp = "2025-07-31T19:45:29.987Z"
    for at in range(len(stamp)):
        for char in "-T:.Z09 x":
            raw = clean("household")
            raw["updated_at"] = stamp[:at] + char + stamp[at + 1:]
            agrees([clean("person", OTHER), raw])
        raw = clean("household")
        raw["updated_at"] = stamp[:at] + stamp[at + 1:] + "0"      # shifted by one
        agrees([raw])


def test_texts_and_phones_with_line_breaks_agree():
    for value in ("0912 345 678\n", "\n0912 345 678", "0912 345 678\n0987 654 321", "\n",
                  "0912\n345 678", "0912 345 678\r", "0912 345 678\t"):
        for record_type, name in (("household", "phone"), ("household", "head_name"),
                                  ("visit", "note")):
            raw = clean(record_type)
            raw["data"][name] = value
            agrees([raw, clean("person", OTHER)])


TEXTS = ["a\n b", "a\n\nb", "a \nb", "\u0301đầu", "cuối e", "e\u0301", "\u00a0lề", "lề\u3000",
         "A\x00B", "tab\tgiữa", "", "Bình thường", "x\u2028y", "dòng\r\nhai"]


def test_several_texts_of_one_column_agree_whichever_neighbours_they_have():
    """Texts are checked joined: each must still be judged on its own, and a clean text
    must not be refused because of its neighbours."""
    for first in TEXTS:
        for second in TEXTS:
            raws = [clean("visit"), clean("visit", OTHER)]
            raws[0]["data"]["note"], raws[1]["data"]["note"] = first, second
            agrees(raws)


UNREADABLE = ["\u200b", "\u200b\u200c\u200d", "\u2060", "\ufeff", "\u0301", "\u3000\u200b",
              "\u2800", "A\u200b", "\u200bA", "Lan\u202e", "\u2066An\u2069", "\u202aA",
              "a\u202bb", "\u202c", "\u202d", "\u2067", "\u2068", "\u206aa", "7", "Ánh"]


def test_invisible_names_and_bidirectional_controls_agree():
    """Every text field, and the author, set to names without a letter and to texts with
    bidirectional controls (and their allowed neighbours): typed decoding takes a batch
    exactly when the full check finds it valid and clean, and refuses the rest."""
    for value in UNREADABLE:
        for record_type in sorted(RULES):
            for rule in RULES[record_type]:
                if rule.kind != "text":
                    continue
                raw = clean(record_type)
                raw["data"][rule.name] = value
                agrees([raw, clean("person", OTHER)])
        raw = clean("household")
        raw["author"] = value
        agrees([raw, clean("person", OTHER)])
    # a required name must hold a letter; an optional text need not
    unnamed = clean("household")
    unnamed["data"]["head_name"] = "\u200b"
    assert agrees([unnamed]) is None
    assert agrees([clean("household", data=dict(clean("household")["data"],
                                                 address="\u200b"))]) is not None
