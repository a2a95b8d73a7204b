"""CSV exports of indicators and volunteer statistics that open in Excel: UTF-8 with a BOM.

Counts are plain integers (numbers in any Excel locale); rates are written as the
Vietnamese text '52,3 %' beside the numerator and denominator they come from.
"""
import csv
import io

from fieldapp.forms import text
from fieldapp.indicators.compute import compute
from fieldapp.indicators.volunteers import volunteer_stats
from fieldapp.indicators.definitions import source_label
from fieldapp.indicators.periods import period_word
from fieldapp.reports.weekly import choose_period

__all__ = ["BOM", "indicator_columns", "VOLUNTEER_COLUMNS", "MET", "indicator_groups",
           "indicators_csv", "volunteer_rows", "volunteers_csv", "to_csv"]

BOM = "\ufeff"


def indicator_columns(campaign):
    """The header of the indicators CSV; the period column is named as the campaign's
    periods are (Tuần, Tháng)."""
    return ("Phạm vi", "Mã thôn", period_word(campaign).capitalize(), "Từ ngày", "Đến ngày",
            "Mã chỉ số", "Chỉ số", "Tử số", "Mẫu số", "Tỷ lệ", "Chỉ tiêu", "Đánh giá",
            "Mẫu số theo")


VOLUNTEER_COLUMNS = ("Mã thôn", "Thôn", "Tổ viên", "Tên đăng nhập", "Lần đến nhà", "Hộ đã đến",
                     "Hỗ trợ kích hoạt mức 2", "Hỗ trợ mở tài khoản NH", "Phiếu khảo sát",
                     "Điểm")
MET = {True: "Đạt", False: "Chưa đạt", None: ""}


def _cell(value):
    """Text that Excel would run as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def to_csv(header, rows):
    """CSV text with a BOM, comma separated, CRLF line ends (what Excel expects)."""
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([_cell(v) for v in row] for row in rows)
    return out.getvalue()


def _rows(scope, village_id, period, entries):
    for e in entries:
        yield (scope, village_id, period.number, text.vn_date(period.start),
               text.vn_date(period.end), e["key"], e["label"], e["numerator"],
               e["denominator"], text.percent(e["value"]),
               text.target(e["target"]), MET[e["met"]],
               source_label(e["denominator_source"]))


def indicator_groups(settings, histories, village_ids=None, period=None, today=None,
                     procedure_figures=None):
    """The indicators of every period up to `period`, as groups of one scope and period:
    (cut-off date, [{"table": "commune" | "procedures" | "village", "scope", "village_id",
    "period", "entries"}]) in the CSV's order. `procedure_figures`: the commune's
    one-stop-shop rates too."""
    chosen, cutoff, periods = choose_period(settings, period, None, today)
    procedures = {}
    if procedure_figures:
        from fieldapp.indicators.procedures import procedure_indicators
        procedures = procedure_indicators(settings, procedure_figures, cutoff)[1]
    names = {v["id"]: v["name"] for v in settings.get("villages", [])}
    flat = dict(settings, campaign={})      # no periods: the figures at one date only
    groups = []

    def group(table, scope, village_id, p, entries):
        groups.append({"table": table, "scope": scope, "village_id": village_id, "period": p,
                       "entries": entries})
    for p in periods:
        if p.number > chosen.number:
            break
        answer = compute(flat, histories, cutoff if p.number == chosen.number else p.end,
                         village_ids or None)
        by_village = answer["by_village"]
        if len(by_village) == 1 and (settings.get("site") == "village" or village_ids):
            village_id = next(iter(by_village))
            group("village", names.get(village_id, village_id), village_id, p,
                  answer["indicators"])
            continue
        group("commune", "Toàn xã", "", p, answer["indicators"])
        if procedures.get(p.number):
            group("procedures", "Toàn xã", "", p, procedures[p.number])
        for village_id, entries in by_village.items():
            group("village", names.get(village_id, village_id), village_id, p, entries)
    return cutoff, groups


def indicators_csv(settings, histories, village_ids=None, period=None, today=None,
                   procedure_figures=None):
    """Indicators of the group and each village at the end of every period up to `period`;
    with the commune's `procedure_figures`, its one-stop-shop rates too."""
    _, groups = indicator_groups(settings, histories, village_ids, period, today,
                                 procedure_figures)
    rows = []
    for g in groups:
        rows += _rows(g["scope"], g["village_id"], g["period"], g["entries"])
    return to_csv(indicator_columns(settings.get("campaign")), rows)


def volunteer_rows(settings, histories, village_ids=None, as_of=None):
    """Volunteer statistics (SPEC §4), best first, as VOLUNTEER_COLUMNS rows."""
    names = {v["id"]: v["name"] for v in settings.get("villages", [])}
    return [(r["village_id"], names.get(r["village_id"], r["village_id"]), r["name"],
             r["author"], r["visits"], r["households_visited"], r["vneid_level2"],
             r["bank_account"], r["surveys"], r["score"])
            for r in volunteer_stats(histories, as_of)
            if village_ids is None or r["village_id"] in village_ids]


def volunteers_csv(settings, histories, village_ids=None, as_of=None):
    """Volunteer statistics (SPEC §4), best first."""
    return to_csv(VOLUNTEER_COLUMNS, volunteer_rows(settings, histories, village_ids, as_of))
