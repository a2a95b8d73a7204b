"""What an erasure or a retention purge removes from a record (Law 91/2025/QH15).

The identifying fields of each record type, and how a version's data is de-identified:
optional identifying fields are dropped, required ones (a household's head, a person's
name) become ERASED_NAME, which the rules accept, so an erased version still validates.
Every other field (birth year, flags, dates, outcomes, consent) is kept unchanged, so
the indicators computed from the data do not change.

Domain knowledge, so it lives here; `storage/` and `sync/` receive it as a function.
"""
from fieldapp.forms.rules import RULES

__all__ = ["IDENTIFYING", "ERASED_NAME", "ERASABLE_FIELDS", "deidentify_data",
           "deidentify_version", "deidentify_fields", "is_deidentified"]

# The placeholder for a required name after erasure (SPEC-facing: shown on pages).
ERASED_NAME = "(đã xóa)"

# Record type -> the fields that identify a citizen. Members (volunteers) are not
# citizens served by the campaign: the commendation list names them, so they are kept.
IDENTIFYING = {
    "household": ("head_name", "address", "hamlet", "phone", "note"),
    "person": ("full_name", "phone"),
    "visit": ("note",),
    "survey": ("comment",),
}

_REQUIRED = {t: {r.name for r in rules if r.required} for t, rules in RULES.items()}

# The identifying fields an erasure may remove alone (an entry's `fields`, sync.erasures):
# the optional ones, so a version without them still validates.
ERASABLE_FIELDS = frozenset(name for record_type, names in IDENTIFYING.items()
                            for name in names if name not in _REQUIRED.get(record_type, ()))


def deidentify_data(record_type, data):
    """A copy of `data` without its identifying fields (required ones -> ERASED_NAME), or
    `data` itself when it holds none."""
    fields = IDENTIFYING.get(record_type, ())
    if not isinstance(data, dict) or not fields:
        return data
    required = _REQUIRED.get(record_type, ())
    if all(data.get(name) == ERASED_NAME if name in required else name not in data
           for name in fields):
        return data
    clean = data.copy()
    for name in fields:
        if name in clean:
            if name in required:
                clean[name] = ERASED_NAME
            else:
                del clean[name]
    return clean


def deidentify_version(version):
    """A copy of a record version with its data de-identified (envelope unchanged), or
    the version itself when it holds nothing identifying."""
    data = version.get("data")
    cleaned = deidentify_data(version.get("type"), data)
    if cleaned is data:
        return version
    return dict(version, data=cleaned)


def is_deidentified(version):
    """True when the version holds no identifying value any more."""
    return deidentify_version(version) == version


def deidentify_fields(version, fields):
    """A copy of a record version without the optional identifying `fields` its type has
    (e.g. just the phone), or the version itself when it holds none of them."""
    data = version.get("data")
    if not isinstance(data, dict):
        return version
    own = IDENTIFYING.get(version.get("type"), ())
    drop = [name for name in fields if name in own and name in data
            and name not in _REQUIRED.get(version.get("type"), ())]
    if not drop:
        return version
    return dict(version, data={k: v for k, v in data.items() if k not in drop})
