"""The weekly report's section "Hồ sơ thủ tục hành chính": the one-stop shop's rates,
week by week against earlier weeks, the target and the baseline year (commune only)."""
from fieldapp.indicators.definitions import change
from fieldapp.indicators.procedures import AREAS, COLUMNS, LCI, procedure_indicators

__all__ = ["build_procedures"]

# short headers so the seven counts fit an A4 page
SHORT = {"received": "Tiếp nhận", "received_online": "Nhận trực tuyến",
         "full_online": "Toàn trình", "settled": "Đã giải quyết", "with_fee": "Có phí",
         "paid_online": "Trả phí trực tuyến", "digitised": "Số hóa"}


def build_procedures(data):
    """Variables of the section, or None when the report has no procedure figures."""
    stored = data.extra.get("procedure_figures")
    if not stored or data.is_village:
        return None
    current, by_period = procedure_indicators(data.settings, stored, data.as_of)
    shown = [n for n in by_period if n <= data.period.number]
    rows = []
    for index, entry in enumerate(current):
        cells, previous = [], None
        for number in shown:
            cell = by_period[number][index]
            value = cell.get("period_value")
            cells.append({"value": value, "numerator": cell.get("period_numerator"),
                          "denominator": cell.get("period_denominator"),
                          "change": change(value, previous)})
            previous = value
        cumulative = by_period[shown[-1]][index] if shown else entry
        rows.append({"label": entry["label"], "cells": cells, "cumulative": cumulative,
                     "target": entry["target"], "baseline": entry["baseline"],
                     "gap": None if cumulative["value"] is None or entry["target"] is None
                     else entry["target"] - cumulative["value"]})
    week = stored.get(data.period.number, {})
    areas = [{"label": label, "values": week.get(area, {}), "lci": area in LCI}
             for area, label in AREAS.items() if week.get(area)]
    return {"rows": rows, "periods": shown, "baseline_year": current[0]["baseline_year"],
            "areas": areas, "columns": {c: SHORT[c] for c in COLUMNS},
            "totals": {c: sum(a["values"].get(c, 0) for a in areas) for c in COLUMNS}}

