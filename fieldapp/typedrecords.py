"""Whole batches of plainly valid, already clean versions, decoded and checked at C speed.

A village's laptop sends versions it has already checked and cleaned, so at the commune
the common case is a batch whose every record passes unchanged. msgspec decodes such a
batch's records straight into structs made from `RULES`: the exact envelope, every field
of its type and no other, lengths, ranges and choices. What the structs cannot say is
then checked column by column: ids, references, stamps and phones by one regex over the
joined column, and villages, devices, dates, texts and lists of choices once per distinct
value (a commune has few of each).

`clean_versions` answers the versions as dicts, exactly what `records.check_versions`
answers for the same records, or None on any doubt (an invalid record, a value that
cleaning would change, a tombstone with partial data, a \\u escape): the caller then
parses the records as plain JSON and checks them one by one, which alone words the
errors. `tests/test_typed_records.py` holds both to the same answers.
"""
import datetime
import operator
import re
from typing import Annotated, Literal, Union

import msgspec
from msgspec import UNSET, Meta, UnsetType

from fieldapp.forms.fastcheck import REAL_DATES, real_date
from fieldapp.forms.rules import CHOICES, CONTROL_RE, MIN_BIRTH_YEAR, RULES
from fieldapp.records import DEVICE_RE, FUTURE_TOLERANCE, VILLAGE_RE

__all__ = ["clean_versions"]

_UUIDS = re.compile(r"(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\n)*")
_STAMPS = re.compile(r"(?:\d{4}-\d{2}-\d{2}T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d\.\d{3}Z\n)*",
                     re.ASCII)
# rules.PHONE_RE, or empty, once per line (a phone has no newline: it would not be clean)
_PHONES = re.compile(r"(?:(?:\+?[0-9][0-9 .-]{6,18}[0-9])?\n)*")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)


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
    raise AssertionError(f"unknown field kind {kind}")


def _types(year):
    """{record type: its envelope struct} for birth years up to `year`."""
    envelopes = {}
    for record_type, rules in RULES.items():
        fields = [(rule.name, _field_type(rule, year)) if rule.required
                  else (rule.name, Union[_field_type(rule, year), UnsetType], UNSET)
                  for rule in rules]
        data = msgspec.defstruct(f"{record_type}_data", fields, kw_only=True,
                                 forbid_unknown_fields=True, gc=False)
        envelopes[record_type] = msgspec.defstruct(record_type, [
            ("id", Annotated[str, _length(36, 36)]),
            ("village_id", Annotated[str, _length(1, 40)]),
            ("updated_at", Annotated[str, _length(24, 24)]),
            ("device_id", Annotated[str, _length(1, 64)]),
            ("author", Annotated[str, _length(1, 64)]),
            ("deleted", bool),
            ("data", data),
        ], tag_field="type", tag=record_type, forbid_unknown_fields=True, gc=False)
    return envelopes


_DECODERS = {}      # year -> (envelopes, decoder)


def _decoder(year):
    found = _DECODERS.get(year)
    if found is None:
        envelopes = _types(year)
        found = _DECODERS[year] = (envelopes, msgspec.json.Decoder(
            list[Union[tuple(envelopes.values())]]))
    return found


def clean_versions(body, now):
    """The versions of a batch's records (JSON bytes, known to be NFC text) when every one
    is valid and clean as it stands, else None (see the module's docstring)."""
    if now.utcoffset() is None or b"\\u" in body:
        return None
    today = now.date()
    envelopes, decoder = _decoder(today.year)
    try:
        records = decoder.decode(body)
    except msgspec.DecodeError:       # ValidationError included
        return None
    if not records:
        return []
    latest = (now + FUTURE_TOLERANCE).astimezone(datetime.timezone.utc)
    tomorrow = (today + datetime.timedelta(days=1)).isoformat()
    if not (_envelopes_clean(records, latest.isoformat(timespec="milliseconds")[:23])
            and all(_data_clean(record_type, [r.data for r in records if type(r) is envelope],
                                tomorrow)
                    for record_type, envelope in envelopes.items())):
        return None
    return msgspec.to_builtins(records)


def _column(values):
    """A column's values joined, one per line, for the line-by-line regexes above."""
    return "\n".join(values) + "\n" if values else ""


def _envelopes_clean(records, latest):
    """Whether ids, villages, stamps and devices are plainly valid and no stamp is after
    `latest` (author lengths and NFC, deleted and the type are settled by decoding)."""
    stamps = [r.updated_at for r in records]
    return (_UUIDS.fullmatch(_column([r.id for r in records])) is not None
            and _STAMPS.fullmatch(_column(stamps)) is not None
            and max(stamps)[:23] <= latest
            and all(day in REAL_DATES or real_date(day) for day in {s[:10] for s in stamps})
            and all(VILLAGE_RE.match(v) for v in {r.village_id for r in records})
            and all(DEVICE_RE.match(d) for d in {r.device_id for r in records}))


def _text_clean(text):
    """Whether a text is as cleaning leaves it: trimmed, no control character (NFC is
    known for the whole body)."""
    return text == text.strip() and (text.isprintable() or not CONTROL_RE.search(text))


def _data_clean(record_type, datas, tomorrow):
    """Whether every data of one type is plainly valid and clean, column by column."""
    if not datas:
        return True
    refs, phones = [], []
    for rule in RULES[record_type]:
        values = [v for v in map(operator.attrgetter(rule.name), datas) if v is not UNSET]
        kind = rule.kind
        if kind == "ref":
            refs += values
        elif kind == "phone":
            phones += set(values)
        elif kind == "text":
            if not all(map(_text_clean, set(values))):
                return False
        elif kind == "date":
            if not all(_DATE.fullmatch(d) and "2000-01-01" <= d <= tomorrow
                       and (d in REAL_DATES or real_date(d)) for d in set(values)):
                return False
        elif kind == "choices":
            order = {key: n for n, key in enumerate(CHOICES[rule.choices])}
            if not all(_in_order(chosen, order) for chosen in set(map(tuple, values))):
                return False
    return (_UUIDS.fullmatch(_column(refs)) is not None
            and _PHONES.fullmatch(_column(phones)) is not None)


def _in_order(chosen, order):
    """Whether a list of choices is unique and in the choices' order (as cleaning sorts it)."""
    ranks = [order[key] for key in chosen]
    return all(a < b for a, b in zip(ranks, ranks[1:]))
