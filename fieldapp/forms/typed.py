"""Whole batches of plainly valid, already clean versions, decoded and checked at C speed.

A village's laptop sends versions it has already checked and cleaned, so at the commune
the common case is a batch whose every record passes unchanged. msgspec decodes such a
batch's records straight into structs made from `RULES`: the exact envelope, every field
of its type and no other, lengths, ranges and choices, and the village among the sending
site's. What the structs cannot say is then checked column by column: ids, references
and stamps by the place of each character in the joined column, phones by their length
when all are digits (else one regex over their distinct values), devices, dates and
lists of choices once per distinct value (a commune has few of each), and texts all at
once. Only texts and authors can be other than ASCII: they alone are checked for NFC.

`clean_versions` answers the versions as dicts, exactly what `fieldapp.forms.versions.check_versions`
answers for the same records, or None on any doubt (an invalid record, a value that
cleaning would change, a tombstone with partial data): the caller then
parses the records as plain JSON and checks them one by one, which alone words the
errors. `tests/test_typed_records.py` holds both to the same answers.

Measured gain (`python bench/import.py --compare`, 150,000 versions, 2/12/2026, 2 shared
cores, load 2-3): the import takes 1.9-2.4x parse with it, 4.9-5.7x without (records
checked one by one by check_versions): 2.3-2.6x the time, in CPU time too.
"""
import datetime
import functools
import itertools
import operator
import unicodedata
from typing import Annotated, Literal, Union

import msgspec
from msgspec import UNSET, Meta, UnsetType

from fieldapp.forms.consent import GIVEN_BY, NOTICE_VERSIONS, PURPOSES, agreed
from fieldapp.forms.rules import (CHOICES, DATE_RE, MAX_CLOCK_AHEAD, MIN_BIRTH_YEAR,
                                  RULES, UNSAFE_TEXT_RE, has_letter)
from fieldapp.forms.versions import DEVICE_RE, MAX_BASES, MAX_VILLAGES, VILLAGE_RE

__all__ = ["clean_versions"]



def _length(low, high):
    return Meta(min_length=low, max_length=high)


def _field_type(rule, year):
    """The msgspec type of one field's plainly valid, clean values."""
    kind = rule.kind
    if kind in ("text", "phone"):
        return Annotated[str, _length(1 if rule.required else 0, rule.max_length)]
    if kind == "year":
        return Annotated[int, Meta(ge=MIN_BIRTH_YEAR, le=year)]
    if kind == "rating":
        return Annotated[int, Meta(ge=1, le=5)]
    if kind == "bool":
        return bool
    if kind == "ref":
        return Annotated[str, _length(36, 36)]
    if kind == "choice":
        return Literal[tuple(CHOICES[rule.choices])]
    if kind == "choices":
        # empty, or unique and in the order of the choices: checked per distinct list
        return Annotated[list[Literal[tuple(CHOICES[rule.choices])]],
                         Meta(max_length=len(CHOICES[rule.choices]))]
    if kind == "date":
        return Annotated[str, _length(10, 10)]
    if kind == "consent":
        return _CONSENT
    raise AssertionError(f"unknown field kind {kind}")


# a consent (fieldapp/forms/consent.py): its purposes' order and its day checked per
# distinct value, as choices and dates are
_CONSENT = msgspec.defstruct("consent", [
    ("notice_version", Literal[NOTICE_VERSIONS]),
    ("purposes", Annotated[list[Literal[tuple(PURPOSES)]], Meta(max_length=len(PURPOSES))]),
    ("by", Literal[tuple(GIVEN_BY)]),
    ("on", Annotated[str, _length(10, 10)])], forbid_unknown_fields=True, gc=False)


# a version's base (SPEC §3): absent, null, the version it was made from, or a merge's list
_REF = msgspec.defstruct("base_ref", [("updated_at", Annotated[str, _length(24, 24)]),
                                      ("device_id", Annotated[str, _length(1, 64)])],
                         forbid_unknown_fields=True, gc=False)
_BASE = Union[None, _REF, Annotated[list[_REF], Meta(min_length=2, max_length=MAX_BASES)],
              UnsetType]


def _types(year, villages):
    """{record type: its envelope struct} for birth years up to `year` (and villages among
    `villages`, when given)."""
    village = Literal[villages] if villages else Annotated[str, _length(1, 40)]
    envelopes = {}
    for record_type, rules in RULES.items():
        fields = [(rule.name, _field_type(rule, year)) if rule.required
                  else (rule.name, Union[_field_type(rule, year), UnsetType], UNSET)
                  for rule in rules]
        data = msgspec.defstruct(f"{record_type}_data", fields, kw_only=True,
                                 forbid_unknown_fields=True, gc=False)
        envelopes[record_type] = msgspec.defstruct(record_type, [
            ("id", Annotated[str, _length(36, 36)]),
            ("village_id", village),
            ("updated_at", Annotated[str, _length(24, 24)]),
            ("device_id", Annotated[str, _length(1, 64)]),
            ("author", Annotated[str, _length(1, 64)]),
            ("deleted", bool),
            ("data", data),
            ("base", _BASE, UNSET),
        ], tag_field="type", tag=record_type, forbid_unknown_fields=True, gc=False)
    return envelopes


@functools.lru_cache(maxsize=64)     # a commune's sending sites, this year
def _decoder(year, villages=None):
    return msgspec.json.Decoder(list[Union[tuple(_types(year, villages).values())]])


def clean_versions(body, now, villages=None):
    """The versions of a batch's records (JSON bytes) when every one is valid and clean as
    it stands, and of one of `villages` (a list of village ids) when given; else None (see
    the module's docstring)."""
    if now.utcoffset() is None:
        return None
    if villages is not None:
        if not (isinstance(villages, list) and 0 < len(villages) <= MAX_VILLAGES
                and all(isinstance(v, str) and VILLAGE_RE.match(v) for v in villages)):
            return None                   # (a decoder is made and kept per distinct list)
        villages = tuple(sorted(set(villages)))
    today = now.date()
    decoder = _decoder(today.year, villages)
    try:
        records = decoder.decode(body)
    except (ValueError, RecursionError):   # msgspec's errors, bad UTF-8 and deep nesting
        return None
    if not records:
        return []
    latest = (now + MAX_CLOCK_AHEAD).astimezone(datetime.timezone.utc)
    tomorrow = (today + datetime.timedelta(days=1)).isoformat()
    kinds, datas = list(map(type, records)), list(map(_DATA, records))
    if not (_envelopes_clean(records, latest.isoformat(timespec="milliseconds")[:23],
                             villages is None)
            and all(_data_clean(kind.__struct_config__.tag, _of_kind(datas, kinds, kind),
                                tomorrow) for kind in set(kinds))):
        return None
    return msgspec.to_builtins(records)


_DATA = operator.attrgetter("data")


def _of_kind(datas, kinds, kind):
    """The data of the records whose envelope struct is `kind` (`kinds`: each one's)."""
    return list(itertools.compress(datas, map(functools.partial(operator.is_, kind), kinds)))


_HEX, _DIGITS = b"0123456789abcdef", b"0123456789"
_HOURS = frozenset(f"{hour:02d}" for hour in range(24))


def _uuids(ids):
    """Whether every text of `ids` is a lowercase UUID (each is 36 characters long)."""
    joined, n = "".join(ids), len(ids)
    return (len(joined) == 36 * n and joined.isascii()
            and all(joined[at::36] == "-" * n for at in (8, 13, 18, 23))
            and len(joined.encode("ascii").translate(None, _HEX)) == 4 * n)


def _stamps(stamps, latest):
    """Whether every stamp (24 characters) is a plain UTC time of a real day (as
    `versions.UPDATED_AT_RE` has it, hours to 23, minutes and seconds to 59), none after `latest`."""
    joined, n = "".join(stamps), len(stamps)
    if not (len(joined) == 24 * n and joined.isascii()
            and all(joined[at::24] == mark * n for at, mark in _STAMP_MARKS)
            and len(joined.encode("ascii").translate(None, _DIGITS)) == 7 * n
            and set(joined[14::24]) <= _TENS and set(joined[17::24]) <= _TENS
            and max(stamps)[:23] <= latest):
        return False
    hours = set(map(_HOUR, stamps))
    return all(hour[11:] in _HOURS for hour in hours) and all(
        map(_real_day, {hour[:10] for hour in hours}))


# where a stamp has its separators: 2025-08-01T09:15:02.123Z
_STAMP_MARKS = ((4, "-"), (7, "-"), (10, "T"), (13, ":"), (16, ":"), (19, "."), (23, "Z"))
_TENS = frozenset("012345")
_HOUR = operator.itemgetter(slice(0, 13))       # 2025-08-01T09


def _envelopes_clean(records, latest, any_village):
    """Whether ids, villages, stamps, devices and authors are plainly valid and no stamp is
    after `latest` (deleted, the type, lengths and villages of a given list are settled
    by decoding)."""
    def column(name):
        return map(operator.attrgetter(name), records)
    return (_uuids(list(column("id")))
            and _stamps(list(column("updated_at")), latest)
            and (not any_village or all(map(VILLAGE_RE.match, set(column("village_id")))))
            and all(map(DEVICE_RE.match, set(column("device_id"))))
            and _texts_safe(set(column("author")))
            and _bases_clean(column("base")))


_ANY_TIME = "9999-99-99T99:99:99.999"


def _bases_clean(column):
    """Whether every base names plainly valid versions, a merge's each once."""
    refs = []
    for base in column:
        if base is UNSET or base is None:
            continue
        if type(base) is list:
            if len({(ref.updated_at, ref.device_id) for ref in base}) != len(base):
                return False
            refs += base
        else:
            refs.append(base)
    return not refs or (_stamps([ref.updated_at for ref in refs], _ANY_TIME)
                        and all(map(DEVICE_RE.match, {ref.device_id for ref in refs})))


def _texts_safe(texts):
    """Whether every text is NFC with no control or bidirectional character (authors)."""
    return not UNSAFE_TEXT_RE.search("".join(texts)) and _nfc(texts)


def _texts_clean(texts):
    """Whether every text is as cleaning leaves it: NFC, trimmed, no control or
    bidirectional character.

    Those are looked for in all of them at once. NUL is a control character, so once
    none is found in the texts, NUL can join them; and it composes with nothing and
    reorders nothing, so the joined text is NFC exactly when each of them is.
    """
    flat = "".join(texts)
    if not (flat.isprintable() or not UNSAFE_TEXT_RE.search(flat)):
        return False
    return (all(map(operator.eq, texts, map(str.strip, texts)))
            and unicodedata.is_normalized("NFC", "\x00".join(texts)))


def _nfc(texts):
    """Whether every text is NFC. A newline composes with nothing and reorders nothing,
    so the texts joined by newlines are NFC exactly when each of them is."""
    return unicodedata.is_normalized("NFC", "\n".join(texts))


def _phones_clean(phones):
    """Whether every text (a set) is empty or a phone as the rules store it: digits only,
    8 to 20 of them (SPEC §3). Any other form goes to the full check, which normalises."""
    joined = "".join(phones)
    if not (joined.isascii() and joined.isdigit()) and joined:
        return False
    lengths = set(map(len, phones)) - {0}
    return not lengths or (min(lengths) >= 8 and max(lengths) <= 20)


def _data_clean(record_type, datas, tomorrow):
    """Whether every data of one type is plainly valid and clean, column by column
    (years, ratings, booleans and choices are settled by decoding)."""
    refs = []
    for rule in RULES[record_type]:
        kind = rule.kind
        if kind not in _LOOKED_AT:
            continue
        values = map(operator.attrgetter(rule.name), datas)
        if kind == "ref":
            refs += values if rule.required else filter(_IS_SET, values)
            continue
        if kind == "choices":
            values = set(map(tuple, filter(_IS_SET, values)))
        elif kind == "consent":
            values = [c for c in values if c is not UNSET]
            if not (_dates_clean({c.on for c in values}, tomorrow) and all(
                    _in_order(p, "purpose") for p in {tuple(c.purposes) for c in values})):
                return False
            continue
        else:
            values = set(values)
            values.discard(UNSET)
        if kind == "phone":
            if not _phones_clean(values):
                return False
        elif kind == "text":
            if not _texts_clean(values) or (rule.required and not all(map(has_letter, values))):
                return False       # (a required text is a name: a letter in each)
        elif kind == "date":
            if not _dates_clean(values, tomorrow):
                return False
        else:
            if not all(map(_in_order, values, itertools.repeat(rule.choices))):
                return False
    return _uuids(refs) and (record_type not in ("household", "person") or _phones_agreed(datas))


def _phones_agreed(datas):
    """Whether every household or person with a phone agreed to `phone_contact`
    (fieldapp.forms.consent.fields_needing_consent)."""
    return all(agreed(d.consent and {"purposes": d.consent.purposes}, "phone_contact")
               for d in datas if d.phone)


def _dates_clean(days, tomorrow):
    """Whether every text of a set is a real day from 2000 to `tomorrow`, as stored."""
    return all(d.isascii() and DATE_RE.match(d) and "2000-01-01" <= d <= tomorrow
               and _real_day(d) for d in days)


def _real_day(text):
    """Whether an ASCII YYYY-MM-DD text is a real day (called once per distinct day)."""
    try:
        datetime.date.fromisoformat(text)
    except ValueError:
        return False
    return True


_LOOKED_AT = frozenset(("ref", "phone", "text", "date", "choices", "consent"))
_IS_SET = functools.partial(operator.is_not, UNSET)


@functools.lru_cache(maxsize=4096)          # a commune sees few distinct lists
def _in_order(chosen, choices):
    """Whether a tuple of `CHOICES[choices]` keys is unique and in their order (as
    cleaning sorts it)."""
    ranks = list(map(list(CHOICES[choices]).index, chosen))
    return all(map(operator.lt, ranks, ranks[1:]))
