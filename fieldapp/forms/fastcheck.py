"""Fast checkers of plainly valid record data, generated from the rules.

An import checks every version of a commune (150,000 and more), so the common case must
cost little: for each record type, one straight-line function is written from `RULES`
(no call per field, no loop over rules) and compiled once. It answers the clean data
when every field is plainly valid, or None on any doubt (a missing, empty, odd or invalid
value, an unknown field); the full check of `rules.validate_data` then gives the answer
and alone words the errors. `tests/test_rules_fastpath.py` holds both to the same answers.
`source(record_type)` shows the generated code.
"""
import datetime
import unicodedata

__all__ = ["build", "source", "real_date", "REAL_DATES"]


def _field_lines(rule, n, choices, min_year):
    """The lines checking one field into `clean`; `v` holds the value, `return None` on doubt."""
    name = repr(rule.name)
    kind = rule.kind
    lines = [f"v = data.get({name})"]
    if rule.required:
        lines.append("if v is None: return None")
        body, indent = lines, ""
    else:
        lines.append("if v is not None:")
        body, indent = lines, "    "
    checks = []
    if kind in ("text", "phone"):
        checks += ["if type(v) is not str: return None",
                   "v = normalize('NFC', v).strip()",
                   f"if len(v) > {rule.max_length} or not v.isprintable() and control(v): return None"]
        if rule.required:
            checks.append("if not v: return None")
            if kind == "text":                  # a required text is a name: a letter in it
                checks.append("if not letter(v): return None")
        if kind == "phone":
            checks.append("if v and not phone(v): return None")
    elif kind == "year":
        checks.append(f"if type(v) is not int or v < {min_year} or v > year: return None")
    elif kind == "rating":
        checks.append("if type(v) is not int or v < 1 or v > 5: return None")
    elif kind == "bool":
        checks.append("if type(v) is not bool: return None")
    elif kind == "ref":
        checks.append("if type(v) is not str or not uuid(v): return None")
    elif kind == "choice":
        checks.append(f"if type(v) is not str or v not in allowed_{n}: return None")
        choices[f"allowed_{n}"] = frozenset(choices["_CHOICES"][rule.choices])
    elif kind == "choices":
        order = {key: i for i, key in enumerate(choices["_CHOICES"][rule.choices])}
        choices[f"order_{n}"] = order
        most = len(order) * 2
        checks += [f"if type(v) is not list or len(v) > {most}"
                   + (" or not v" if rule.required else "") + ": return None",
                   "for item in v:",
                   f"    if type(item) is not str or item not in order_{n}: return None",
                   f"v = sorted(set(v), key=order_{n}.__getitem__)"]
    elif kind == "date":
        checks += ["if type(v) is not str or len(v) != 10 or not v.isascii() or not date(v)"
                   " or v < '2000-01-01' or v > tomorrow: return None",
                   "if v not in real_dates and not real_date(v): return None"]
    else:
        raise AssertionError(f"unknown field kind {kind}")
    checks.append(f"clean[{name}] = v")
    body.extend(indent + line for line in checks)
    return lines


def source(record_type, rules=None):
    """The Python source of one type's checker (for reading and debugging)."""
    return _generate(record_type, rules)[0]


def _generate(record_type, rules=None):
    from fieldapp.forms import rules as module
    fields = (rules or module.RULES)[record_type]
    names = {"_CHOICES": module.CHOICES}
    lines = [f"def check_{record_type}(data, year, tomorrow):",
             "    if not known.issuperset(data): return None",
             "    clean = {}"]
    for n, rule in enumerate(fields):
        lines += ["    " + line for line in _field_lines(rule, n, names, module.MIN_BIRTH_YEAR)]
    lines.append("    return clean")
    del names["_CHOICES"]
    names["known"] = frozenset(rule.name for rule in fields)
    return "\n".join(lines) + "\n", names


REAL_DATES = set()      # ASCII YYYY-MM-DD texts found to be real dates


def real_date(text):
    """Whether an ASCII YYYY-MM-DD text is a real date (remembered in REAL_DATES when it is)."""
    try:
        datetime.date.fromisoformat(text)
    except ValueError:
        return False
    if len(REAL_DATES) > 20000:
        REAL_DATES.clear()
    REAL_DATES.add(text)
    return True


def build(record_type, rules=None):
    """The compiled checker of one type: check(data, year, tomorrow) -> clean data or None.

    `year` is this year (no birth year after it); `tomorrow` the ISO date after today
    (no date after it).
    """
    from fieldapp.forms import rules as module
    text, names = _generate(record_type, rules)
    namespace = dict(names, normalize=unicodedata.normalize,
                     control=module.UNSAFE_TEXT_RE.search, letter=module.has_letter,
                     phone=module.PHONE_RE.match, uuid=module.UUID_RE.match,
                     date=module.DATE_RE.match, real_dates=REAL_DATES, real_date=real_date)
    exec(compile(text, f"<fastcheck {record_type}>", "exec"), namespace)
    return namespace[f"check_{record_type}"]
