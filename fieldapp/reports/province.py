"""The province report to the province chairman, in the Decree 30 layout: the province's
totals per indicator against targets with the change from the previous period, the
communes ranked lowest first on every indicator with a target, and which communes
reported for the period and how late.

The figures are fieldapp.province.figures' (the dashboard's). The document's words are
built once as blocks, so the PDF and the Word file say the same; the workbook holds the
same tables as numbers, with every commune ranked.
"""
import datetime
from dataclasses import dataclass

from fieldapp.forms import text
from fieldapp.indicators.periods import numbered, period_word, today_local
from fieldapp.province.figures import INDICATORS, province_view, reported
from fieldapp.reports.weekly import choose_period

__all__ = ["Grid", "ProvinceReport", "province_report", "site_province_report", "blocks",
           "ranked", "render_xlsx", "render_province", "LOWEST"]

LOWEST = 10        # communes per indicator in the PDF and Word file; the workbook has all
VERDICT = {True: "Đạt", False: "Chưa đạt"}


@dataclass
class Grid:
    """A table of the document: header, rows of words, column widths in mm (the text
    block is 161 mm wide) and the columns of numbers (aligned right)."""
    header: tuple
    rows: list
    widths: tuple
    numeric: tuple = ()


@dataclass
class ProvinceReport:
    """Everything the province report says, for one campaign period."""
    settings: dict
    period: object                # fieldapp.indicators.periods.Period
    periods: list                 # every period of the campaign
    as_of: datetime.date          # the period's end, or today while it runs
    generated_on: datetime.date
    totals: list                  # per indicator: the province's row, with key and label
    rankings: list                # per indicator: {key, label, target, rows lowest first}
    timeliness: list              # per commune: {code, name, as_of, late: [days|None]}
    index: int = 0                # the period's place in `periods` (and in each `late`)

    @property
    def period_word(self):
        """'tuần' or 'tháng'."""
        return period_word(self.settings.get("campaign"))

    @property
    def place(self):
        """'Đồng Nai', 'Hà Nội': the place name of the date line."""
        name = self.settings.get("province_name") or ""
        return name[len("Thành phố "):] if name.startswith("Thành phố ") else name

    @property
    def province(self):
        """'tỉnh Đồng Nai', 'thành phố Hà Nội': the province inside a sentence."""
        name = self.settings.get("province_name") or ""
        if name.startswith("Thành phố "):
            return "thành phố " + self.place
        return f"tỉnh {name}".strip()

    def late(self, commune):
        """Days late of a commune's figures for the report's period (0: on time), or None."""
        return commune["late"][self.index]


def province_report(settings, rollups, receipts, period=None, as_of=None, today=None):
    """The ProvinceReport of a period (default: the latest started) from the communes'
    newest roll-ups and the receipts of every roll-up kept (fieldapp.province.store)."""
    chosen, cutoff, periods = choose_period(settings, period, as_of, today)
    totals, rankings = [], []
    for key, label in INDICATORS:
        whole, rows, _ = province_view(settings, rollups, chosen.number, key)
        totals.append(dict(whole, key=key, label=label))
        rankings.append({"key": key, "label": label, "target": whole["target"], "rows": rows})
    counted, timeliness = reported(settings, rollups, receipts)
    index = [p.number for p in counted].index(chosen.number)
    return ProvinceReport(settings=settings, period=chosen, periods=periods, as_of=cutoff,
                          generated_on=today or today_local(), totals=totals,
                          rankings=rankings, timeliness=timeliness, index=index)


def site_province_report(site, period=None, as_of=None):
    """The ProvinceReport of a province site."""
    from fieldapp.province.store import receipts, stored_rollups
    return province_report(site.settings, stored_rollups(site), receipts(site), period, as_of)


def _verdict(row):
    if row["target"] is None:
        return text.NO_TARGET
    return VERDICT.get(row["met"], "Chưa có số liệu")


def _unit(words):
    # a narrow cell may break before a figure's unit, never inside it: "+5,2 điểm %";
    # and "Không đặt chỉ tiêu" only between its halves, two lines at most (as
    # text.target_cell on pages), in the PDF and in Word alike
    return words.replace(" %", "\u00a0%").replace(
        text.NO_TARGET, "Không\u00a0đặt chỉ\u00a0tiêu")


def _points(change):
    return _unit(text.points(change))


def _result(row):
    return f"{text.vn_number(row['numerator'])}/{text.vn_number(row['denominator'])}"


def _sending(report, commune):
    """How a commune's figures for the period came: 'Đúng hạn', 'Trễ 3 ngày', 'Chưa có'."""
    late = report.late(commune)
    if late is None:
        return "Chưa có"
    return "Đúng hạn" if late == 0 else f"Trễ {text.vn_number(late)} ngày"


def ranked(report):
    """The rankings of the indicators with a target (the province's or a commune's own)."""
    return [r for r in report.rankings
            if r["target"] is not None or any(row["target"] is not None for row in r["rows"])]


def blocks(report):
    """The body of the PDF and Word document: [(kind, words or Grid)] in order."""
    word, number = report.period_word, report.period.number
    before = f"So với {word} trước"
    communes = report.timeliness
    sent = [c for c in communes if c["as_of"]]
    covered = [c for c in sent if report.late(c) is not None]
    running = " (chưa kết thúc)" if report.as_of < report.period.end else ""
    out = [("to", f"Kính gửi: Chủ tịch UBND {report.province}."),
           ("text", f"{word.capitalize()} {number}: từ ngày {text.vn_date(report.period.start)}"
                    f" đến ngày {text.vn_date(report.period.end)}{running}. Số liệu tổng hợp "
                    f"từ tệp các xã, phường gửi lên tỉnh (chỉ có số đếm, không có thông tin "
                    f"cá nhân của ai): {len(covered)}/{len(communes)} xã đã gửi số liệu đến "
                    f"hết {word} này."),
           ("heading", "1. Kết quả toàn tỉnh so với chỉ tiêu"),
           ("table", Grid(("Chỉ số", "Kết quả", "Tỷ lệ", "Chỉ tiêu", before, "Đánh giá"),
                          [(r["label"], _result(r), _unit(text.percent(r["value"])),
                            _unit(text.target(r["target"])), _points(r["change"]), _unit(_verdict(r)))
                           for r in report.totals],
                          (44, 27, 17, 21, 28, 24), (1, 2, 3, 4))),
           ("note", f"“{before}”: chênh lệch tỷ lệ, tính bằng {text.POINTS}. Tỷ lệ toàn tỉnh là "
                    "tổng tử số của các xã trên tổng mẫu số, không phải trung bình các tỷ lệ."),
           ("heading", "2. Các xã thấp nhất theo từng chỉ tiêu, " + numbered(word, number))]
    rankings = ranked(report)
    longest = max((len(r["rows"]) for r in rankings), default=0)
    out.append(("lead", "Mỗi bảng xếp các xã có số liệu theo tỷ lệ từ thấp đến cao: xã "
                        "đứng đầu là nơi tỉnh cần hỗ trợ trước."
                + (f" Mỗi bảng ghi {LOWEST} xã thấp nhất; tệp Excel của báo cáo có đủ "
                   "các xã." if longest > LOWEST else "")))
    for n, ranking in enumerate(rankings, 1):
        out.append(("subheading", f"2.{n}. {ranking['label']} "
                                  f"({text.target_line(ranking['target'])} toàn tỉnh)"))
        if not ranking["rows"]:
            out.append(("text", f"Chưa có xã nào có số liệu của chỉ số này cho {word} "
                                f"{number}."))
            continue
        out.append(("table", Grid(("TT", "Xã", "Kết quả", "Tỷ lệ", "Chỉ tiêu", before,
                                   "Đánh giá"),
                                  [(text.vn_number(i), r["name"], _result(r),
                                    _unit(text.percent(r["value"])),
                                    _unit(text.target(r["target"])),
                                    _points(r["change"]), _unit(_verdict(r)))
                                   for i, r in enumerate(ranking["rows"][:LOWEST], 1)],
                                  (9, 36, 25, 17, 23, 28, 23), (0, 2, 3, 4, 5))))
    unranked = [r["label"] for r in report.rankings if r not in rankings]
    if unranked:
        out.append(("note", f"Không xếp hạng các chỉ số không đặt chỉ tiêu: "
                             f"{'; '.join(unranked)}."))
    out += _timeliness_blocks(report, sent, covered)
    return out


def _timeliness_blocks(report, sent, covered):
    word, number = report.period_word, report.period.number
    on_time = sum(1 for c in covered if report.late(c) == 0)
    never = [c["name"] for c in report.timeliness if not c["as_of"]]
    words = (f"{len(covered)} xã đã gửi số liệu đến hết {numbered(word, number)}: {on_time} "
             f"xã đúng hạn (trong ngày cuối {word}), {len(covered) - on_time} xã gửi trễ.")
    if len(sent) > len(covered):
        words += (f" {len(sent) - len(covered)} xã đã gửi tệp nhưng số liệu chưa đến hết "
                  f"{numbered(word, number)}.")
    out = [("heading", f"3. Các xã đã gửi số liệu {numbered(word, number)}"), ("text", words)]
    if never:
        out.append(("text", f"{len(never)} xã chưa gửi tệp nào: {', '.join(never)}."))
    if sent:
        order = sorted(sent, key=lambda c: (report.late(c) is not None,
                                            -(report.late(c) or 0), c["name"]))
        out.append(("lead", f"Các xã đã gửi tệp: xã chưa có số liệu {word} này trước, rồi "
                            "xã gửi trễ nhất:"))
        out.append(("table", Grid(("TT", "Xã", "Số liệu tính đến",
                                   numbered(word, number).capitalize()),
                                  [(text.vn_number(i), c["name"], text.vn_date(c["as_of"]),
                                    _sending(report, c)) for i, c in enumerate(order, 1)],
                                  (10, 71, 40, 40), (0,))))
    return out


def _caption(report):
    name = (report.settings.get("campaign") or {}).get("name") or ""
    return " · ".join(p for p in (
        "Báo cáo tỉnh", name, numbered(report.period_word, report.period.number).capitalize(),
        f"lập ngày {text.vn_date(report.generated_on)}") if p)


def render_xlsx(report):
    """Workbook (.xlsx) bytes: the province's indicators, every commune ranked on every
    indicator, and which commune sent figures for which period (days late)."""
    from fieldapp.reports.workbook import PERCENT, POINTS, Table, tables_xlsx
    word = report.period_word
    change = f"So với {word} trước (điểm %)"
    rates, formats = ("Tỷ lệ",), {"Chỉ tiêu": PERCENT, change: POINTS}

    def numbers(row):
        target = text.NO_TARGET if row["target"] is None else row["target"]
        return [row["numerator"], row["denominator"], row["value"], target, _verdict(row),
                row["change"]]
    totals = Table("Toàn tỉnh", ("Mã chỉ số", "Chỉ số", "Tử số", "Mẫu số", "Tỷ lệ", "Chỉ tiêu",
                                 "Đánh giá", change),
                   [[r["key"], r["label"]] + numbers(r) for r in report.totals], rates,
                   formats=formats)
    ranking = Table("Xếp hạng các xã", ("Mã chỉ số", "Chỉ số", "Hạng", "Mã xã", "Xã", "Tử số",
                                        "Mẫu số", "Tỷ lệ", "Chỉ tiêu", "Đánh giá", change),
                    [[r["key"], r["label"], n, row["code"], row["name"]] + numbers(row)
                     for r in report.rankings for n, row in enumerate(r["rows"], 1)],
                    rates, formats=formats)
    days = [f"{word.capitalize()} {p.number}: số ngày trễ" for p in report.periods]
    sending = Table("Gửi số liệu", ("Mã xã", "Xã", "Số liệu tính đến", *days),
                    [[c["code"], c["name"], c["as_of"] and datetime.date.fromisoformat(
                        c["as_of"])] + list(c["late"]) for c in report.timeliness],
                    dates=("Số liệu tính đến",))
    return tables_xlsx([totals, ranking, sending], _caption(report))


def render_province(report, kind):
    """Bytes of a ProvinceReport as "pdf", "docx" or "xlsx"."""
    if kind == "xlsx":
        return render_xlsx(report)
    if kind == "docx":
        from fieldapp.reports.word import render_blocks_docx
        return render_blocks_docx(report, blocks(report))
    from fieldapp.reports.weekly import render_document_html, render_pdf
    return render_pdf(render_document_html("report/province.html", report,
                                           blocks=blocks(report)))
