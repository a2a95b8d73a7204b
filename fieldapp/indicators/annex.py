"""A plan's annex: villages, their official adult population and targets.

Values come from the commune's forms or from a table like the annex of a commune plan
(.xlsx, or CSV in UTF-8 with or without BOM, comma or semicolon; Vietnamese or English
headers).
Percentages are typed the Vietnamese way ("52,5" or "52,5 %") and stored as ratios.
A village's (or at the province, a commune's) own target cell left blank means the
target of the level above; "không" means no target, whatever that level sets (stored as
null under the indicator's key).
"""
import re
import unicodedata

from fieldapp.forms.text import fold, nfc
from fieldapp.forms.versions import VILLAGE_RE
from fieldapp.indicators.definitions import DEFINITIONS
from fieldapp.indicators.tables import CsvError, excel_csv, read_table, unguard

__all__ = ["TARGET_HEADERS", "CSV_HEADERS", "annex_table", "AnnexError", "parse_percent",
           "parse_population", "parse_village_name", "parse_village_id", "slug",
           "read_annex_csv", "merge_villages", "annex_template", "format_percent_input",
           "target_column", "shown", "read_columns", "NONE_WORD", "DEFAULT", "parse_own_target",
           "own_target_input", "own_target_cell", "cell_text"]

TARGET_HEADERS = {
    "adult_online_usage": "Chỉ tiêu sử dụng DVCTT (%)",
    "satisfaction": "Chỉ tiêu hài lòng (%)",
    "satisfaction_land_construction_investment": "Chỉ tiêu hài lòng đất đai, xây dựng, đầu tư (%)",
    "household_vneid_level2": "Chỉ tiêu hộ có định danh mức 2 (%)",
    "adult_vneid_level2": "Chỉ tiêu người có định danh mức 2 (%)",
    "adult_bank_account": "Chỉ tiêu tài khoản ngân hàng (%)",
    "households_visited": "Chỉ tiêu hộ được đến tận nhà (%)",
    "volunteers_trained": "Chỉ tiêu thành viên tổ được tập huấn (%)",
}
CSV_HEADERS = {"id": "Mã thôn", "name": "Tên thôn",
               "adult_population": "Số người trưởng thành", **TARGET_HEADERS}
# Other spellings found in plans and spreadsheets, compared after folding.
_ALIASES = {
    "id": ("ma thon", "ma", "village_id", "id", "ma ap", "ma to dan pho"),
    "name": ("ten thon", "ten", "name", "thon", "ten ap", "ten to dan pho", "thon/ap"),
    "adult_population": ("so nguoi truong thanh", "adult_population", "dan so truong thanh",
                         "so nguoi tu 18 tuoi tro len", "nguoi truong thanh"),
}
MAX_POPULATION = 1_000_000
MAX_ROWS = 500
NAME_MAX = 80


class AnnexError(Exception):
    """A value that cannot be used; `message` is Vietnamese."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


def shown(text, limit=40):
    """A cell's text as an error message may quote it: control, format and bidirectional
    characters as U+FFFD (they would reorder the message around them), at most `limit`."""
    safe = "".join("\ufffd" if unicodedata.category(ch) in ("Cc", "Cf", "Cs") else ch
                   for ch in text)
    return safe if len(safe) <= limit else safe[:limit] + "…"


def parse_percent(raw):
    """'52,5', '52.5 %', '100' -> 0.525 ... 1.0; blank -> None; raise AnnexError."""
    text = (raw or "").strip().replace("\u00a0", " ")
    if not text:
        return None
    number = (text[:-1] if text.endswith("%") else text).strip().replace(",", ".")
    if not re.fullmatch(r"\d{1,3}(\.\d{1,2})?", number):
        raise AnnexError(f"“{shown(text)}” không phải tỉ lệ phần trăm (ví dụ 50 hoặc 52,5).")
    value = float(number)
    if value > 100:
        raise AnnexError(f"“{shown(text)}” lớn hơn 100 %.")
    return round(value / 100, 4)


NONE_WORD = "không"          # an own target cell: no target, whatever the level above sets
_NONE_WORDS = {"khong", "-", "\u2013", "\u2014", "khong dat", "khong dat chi tieu"}
DEFAULT = object()           # a blank own target cell: the level above's target


def parse_own_target(raw):
    """An own target cell: a ratio, None for "không" (no target), DEFAULT when blank;
    raise AnnexError."""
    text = (raw or "").strip()
    if not text:
        return DEFAULT
    if fold(text) in _NONE_WORDS:
        return None
    return parse_percent(text)


def own_target_cell(targets, key):
    """A stored own target of `key` for a table file: the ratio, NONE_WORD, or None
    (blank: the level above's)."""
    return NONE_WORD if key in targets and targets[key] is None else targets.get(key)


def cell_text(value):
    """A cell of own_target_cell as text: '52,5', "không" or ''."""
    return value if value == NONE_WORD else format_percent_input(value)


def own_target_input(targets, key):
    """A stored own target of `key` as the text of its form input: '52,5', "không", ''."""
    return cell_text(own_target_cell(targets, key))


def format_percent_input(value):
    """A stored ratio as the text of a percent input: 0.525 -> '52,5'; None -> ''."""
    if value is None:
        return ""
    text = f"{value * 100:.2f}".rstrip("0").rstrip(".")
    return text.replace(".", ",")


def parse_population(raw):
    """'1234', '1.234' or '1 234' -> 1234; blank -> None; raise AnnexError."""
    text = (raw or "").strip().replace("\u00a0", " ")
    if not text:
        return None
    if not re.fullmatch(r"\d+|\d{1,3}([. ]\d{3})+", text):
        raise AnnexError(f"“{text}” không phải số nguyên (ví dụ 1.234).")
    value = int(re.sub(r"[. ]", "", text))
    if value > MAX_POPULATION:
        raise AnnexError(f"“{text}” quá lớn cho một thôn.")
    return value or None


def parse_village_name(raw):
    """A village name, NFC, 1–80 characters; raise AnnexError."""
    text = " ".join(nfc(raw or "").split())
    if not text:
        raise AnnexError("Tên thôn không được để trống.")
    if len(text) > NAME_MAX:
        raise AnnexError(f"Tên thôn dài quá {NAME_MAX} ký tự.")
    if any(ord(ch) < 32 for ch in text):
        raise AnnexError("Tên thôn có ký tự điều khiển.")
    if text[0] in "=+-@":
        # a spreadsheet would run it as a formula when the annex is opened again
        raise AnnexError("Tên thôn không được bắt đầu bằng = + - @.")
    return text


def slug(name):
    """A village id made from its name: 'Thôn Phú Bình' -> 'thon-phu-binh'."""
    return re.sub(r"[^a-z0-9]+", "-", fold(name)).strip("-")[:40].strip("-")


def parse_village_id(raw, name=None):
    """A village id (lower case, digits, - and _), or one made from the name."""
    text = (raw or "").strip().lower()
    if not text and name:
        text = slug(name)
    if not VILLAGE_RE.match(text):
        raise AnnexError(f"Mã thôn “{raw or ''}” chỉ được gồm chữ thường không dấu, số, "
                         "dấu - và _ (ví dụ thon-3).")
    return text


def _column_of(header):
    """The field a CSV header stands for, or None."""
    key = fold(header.replace("\ufeff", "")).strip()
    for field, aliases in _ALIASES.items():
        if key in aliases:
            return field
    return target_column(header)


def target_column(header):
    """The indicator key a target column's header stands for ("Chỉ tiêu hài lòng (%)",
    an indicator's label, its key), or None."""
    key = fold(header.replace("\ufeff", "")).strip()
    for field, label in TARGET_HEADERS.items():
        if key in (fold(label), fold(label.replace(" (%)", "")), field):
            return field
    for definition in DEFINITIONS:
        if key in (fold(definition.label), fold("Chỉ tiêu " + definition.label)):
            return definition.key
    return None


def read_columns(content, column_of, rows_are, header_hint, max_rows=MAX_ROWS):
    """(header, body rows, the column each header names) of a table file (CSV or .xlsx
    bytes, fieldapp.indicators.tables) whose every header `column_of` knows; raise
    AnnexError for an unreadable file, a header it does not know, or one named twice."""
    try:
        header, body = read_table(content, max_rows, rows_are=rows_are,
                                  header_hint=header_hint)
    except CsvError as error:
        raise AnnexError(error.message) from None
    columns = [column_of(h) for h in header]
    unknown = [h for h, c in zip(header, columns) if c is None and h.strip()]
    if unknown:
        raise AnnexError("Không hiểu cột: " + ", ".join(
            f"“{shown(h.strip())}”" for h in unknown[:5]) + ". Hãy dùng tệp mẫu.")
    named = [c for c in columns if c]
    if len(named) != len(set(named)):
        raise AnnexError("Có cột bị lặp lại trong dòng tiêu đề.")
    return header, body, columns


def read_annex_csv(content):
    """Parse an annex table (CSV or .xlsx bytes) into [{id, name, adult_population?,
    targets}].

    Returns (rows, errors): errors are Vietnamese lines naming the row and column;
    when there are errors the rows must not be used.
    """
    header, body, columns = read_columns(content, _column_of, "thôn nào",
                                         " (Mã thôn, Tên thôn, ...)")
    if "name" not in columns and "id" not in columns:
        raise AnnexError("Thiếu cột “Mã thôn” hoặc “Tên thôn”.")
    rows, errors, ids = [], [], {}
    for number, cells in body:
        if len(cells) > len(header):
            errors.append(f"Dòng {number}: có {len(cells)} ô, nhiều hơn {len(header)} cột tiêu đề.")
            continue
        cells = cells + [""] * (len(header) - len(cells))
        row, values = {}, dict(zip(columns, cells))
        if any(c in TARGET_HEADERS for c in columns):
            row["targets"] = {}
        for column, field, raw in zip(header, columns, cells):
            if field is None:
                continue
            try:
                if field == "name":
                    row["name"] = parse_village_name(raw) if raw.strip() else None
                elif field == "adult_population":
                    row["adult_population"] = parse_population(unguard(raw))
                elif field in TARGET_HEADERS:
                    value = parse_own_target(unguard(raw))
                    if value is not DEFAULT:
                        row["targets"][field] = value
            except AnnexError as error:
                errors.append(f"Dòng {number}, cột “{column.strip()}”: {error.message}")
        id_column = next((h for h, c in zip(header, columns) if c == "id"), "Mã thôn")
        try:
            row["id"] = parse_village_id(unguard(values.get("id")), row.get("name"))
        except AnnexError as error:
            errors.append(f"Dòng {number}, cột “{id_column.strip()}”: {error.message}")
            continue
        if row["id"] in ids:
            errors.append(f"Dòng {number}, cột “{id_column.strip()}”: mã {row['id']} "
                          f"trùng với dòng {ids[row['id']]}.")
        ids[row["id"]] = number
        rows.append(row)
    return rows, errors


def merge_villages(villages, rows):
    """Villages updated by annex rows (matched by id; new ids are added). Pure.

    A column present in the file replaces the stored value (a blank target cell means
    "the commune's target", "không" no target); a column absent from the file leaves it
    as it was.
    """
    merged = [dict(v, targets=dict(v.get("targets") or {})) for v in villages]
    by_id = {v["id"]: v for v in merged}
    for row in rows:
        village = by_id.get(row["id"])
        if village is None:
            village = {"id": row["id"], "name": row.get("name") or row["id"],
                       "adult_population": None, "targets": {}}
            merged.append(village)
            by_id[row["id"]] = village
        if row.get("name"):
            village["name"] = row["name"]
        if "adult_population" in row:
            village["adult_population"] = row["adult_population"]
        if "targets" in row:
            kept = {k: v for k, v in village["targets"].items() if k not in TARGET_HEADERS}
            village["targets"] = dict(kept, **row["targets"])
    return merged


def annex_table(villages):
    """(header, rows) of the annex with the current villages (an example without any):
    populations as numbers, targets as ratios (0.5), NONE_WORD or None, for the CSV and
    the .xlsx."""
    rows = []
    for v in villages or [{"id": "thon-1", "name": "Thôn 1", "adult_population": 850,
                           "targets": {"adult_online_usage": 0.5}}]:
        targets = v.get("targets") or {}
        rows.append([v["id"], v["name"], v.get("adult_population")]
                    + [own_target_cell(targets, k) for k in TARGET_HEADERS])
    return list(CSV_HEADERS.values()), rows


def annex_template(villages):
    """The annex as CSV bytes (UTF-8 with BOM, semicolons, decimal commas) for Excel."""
    header, rows = annex_table(villages)
    return excel_csv(header, [[row[0], row[1], row[2] or ""]
                              + [cell_text(value) for value in row[3:]] for row in rows])
