"""The province's targets for each of its communes, as a province plan's annex sets them.

A commune's own target for an indicator replaces the province's default for it
(figures.py reads them so); a blank cell means "the province's default", and "không"
(stored as null) that the commune has no target for it, whatever the default. The table is
edited in the province's form or uploaded as CSV or .xlsx (one row per commune, read by
the same table reader as the commune's annex, its cells by the annex's parsers, each
error naming its row and column). Every change is checked whole: with one error,
nothing is kept.
"""
import hashlib
import json

from fieldapp.forms.text import fold
from fieldapp.indicators import annex
from fieldapp.indicators.definitions import DEFINITIONS
from fieldapp.indicators.tables import excel_csv

__all__ = ["KEYS", "HEADERS", "MAX_BYTES", "table_stamp", "targets_table", "targets_csv",
           "read_targets_file", "apply_targets", "parse_code"]

KEYS = [d.key for d in DEFINITIONS]
HEADERS = {"code": "Mã xã", "name": "Tên xã", **{k: annex.TARGET_HEADERS[k] for k in KEYS}}
MAX_BYTES = 256 * 1024
MAX_ROWS = 500                   # the largest province has fewer than 200 communes
_CODE = ("ma xa", "ma", "code", "commune_code", "ma phuong", "ma xa/phuong", "ma xa, phuong",
         "ma don vi", "ma dvhc")
_NAME = ("ten xa", "ten", "name", "xa", "ten phuong", "ten xa/phuong", "xa/phuong",
         "ten xa, phuong", "don vi", "ten don vi")


def table_stamp(settings):
    """A short digest of the province's defaults and every commune's own targets: the
    targets form carries the one it was shown, so a save over someone else's is seen."""
    held = {"defaults": {k: (settings.get("targets") or {}).get(k) for k in KEYS},
            "communes": {c["code"]: {k: v for k, v in (c.get("targets") or {}).items()
                                     if k in KEYS}
                         for c in settings.get("communes", [])}}
    return hashlib.sha256(json.dumps(held, sort_keys=True).encode()).hexdigest()[:20]


def targets_table(settings):
    """(header, rows) of every commune with its own targets as ratios (None: the
    province's; annex.NONE_WORD: no target), for the CSV and the .xlsx templates."""
    rows = [[c["code"], c["name"]] + [annex.own_target_cell(c.get("targets") or {}, k)
                                      for k in KEYS]
            for c in settings.get("communes", [])]
    return list(HEADERS.values()), rows


def targets_csv(settings):
    """The table as CSV bytes for Excel (tables.excel_csv), targets with decimal commas."""
    header, rows = targets_table(settings)
    return excel_csv(header, [row[:2] + [annex.cell_text(v) for v in row[2:]] for row in rows])


def _column(header):
    """'code', 'name', an indicator key, or None."""
    key = fold(header.replace("\ufeff", "")).strip()
    if key in _CODE:
        return "code"
    if key in _NAME:
        return "name"
    return annex.target_column(header)


def parse_code(raw, communes, province_name):
    """A commune code of the province ('26068', '026068') -> '26068'; raise AnnexError."""
    text = (raw or "").strip()
    if not text:
        raise annex.AnnexError("chưa có mã xã.")
    if not (text.isascii() and text.isdigit() and len(text) <= 8):
        raise annex.AnnexError(f"“{annex.shown(text)}” không phải mã xã (ví dụ 26068).")
    code = str(int(text))
    if code not in communes:
        raise annex.AnnexError(f"xã mã {code} không thuộc {province_name}.")
    return code


def read_targets_file(settings, content):
    """Parse an uploaded table (CSV or .xlsx bytes) of communes and their targets.

    Returns (rows, keys, errors): rows [{code, targets: {key: ratio}}], the indicator
    keys the file has columns for, and Vietnamese lines naming the row and column; when
    there are errors the rows must not be used. Raise AnnexError for a file that is not
    such a table at all.
    """
    if len(content) > MAX_BYTES:
        raise annex.AnnexError(f"Tệp quá lớn (tối đa {MAX_BYTES // 1024} KB).")
    header, body, columns = annex.read_columns(content, _column, "xã nào",
                                               " (Mã xã, Tên xã, ...)", MAX_ROWS)
    if "code" not in columns:
        raise annex.AnnexError("Thiếu cột “Mã xã”: tỉnh nhận ra từng xã theo mã chính thức.")
    keys = [c for c in columns if c in KEYS]
    if not keys:
        raise annex.AnnexError("Tệp không có cột chỉ tiêu nào. Hãy dùng tệp mẫu.")
    communes = {c["code"] for c in settings.get("communes", [])}
    province = settings.get("province_name") or "tỉnh"
    rows, errors, seen = [], [], {}
    for number, cells in body:
        if len(cells) > len(header):
            errors.append(f"Dòng {number}: có {len(cells)} ô, nhiều hơn {len(header)} cột "
                          "tiêu đề.")
            continue
        cells = cells + [""] * (len(header) - len(cells))
        row = {"targets": {}}
        for title, column, raw in zip(header, columns, cells):
            try:
                if column == "code":
                    row["code"] = parse_code(raw, communes, province)
                elif column in KEYS:
                    value = annex.parse_own_target(raw)
                    if value is not annex.DEFAULT:
                        row["targets"][column] = value
            except annex.AnnexError as error:
                errors.append(f"Dòng {number}, cột “{annex.shown(title)}”: {error.message}")
        code = row.get("code")
        if code is None:
            continue
        if code in seen:
            title = header[columns.index("code")]
            errors.append(f"Dòng {number}, cột “{annex.shown(title)}”: xã mã {code} trùng với "
                          f"dòng {seen[code]}.")
        seen[code] = number
        rows.append(row)
    return rows, keys, errors


def apply_targets(communes, rows, keys=KEYS):
    """The communes with the rows' targets (pure): for each commune in `rows`, each of
    `keys` is its own value, or the province's when the row has none; communes and
    indicators not in the file keep what they had."""
    by_code = {r["code"]: r["targets"] for r in rows}
    out = []
    for commune in communes:
        commune = dict(commune, targets=dict(commune.get("targets") or {}))
        if commune["code"] in by_code:
            for key in keys:
                commune["targets"].pop(key, None)
            commune["targets"].update({k: v for k, v in by_code[commune["code"]].items()
                                       if k in keys})
        out.append(commune)
    return out
