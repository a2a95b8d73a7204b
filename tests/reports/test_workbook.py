"""The report's tables as an Excel workbook: every cell equals the indicators computed
here, rates are numbers with a percent format, the header row is frozen."""
import datetime

import openpyxl
from click.testing import CliRunner

from fieldapp.cli import main
from fieldapp.indicators.compute import compute
from fieldapp.indicators.volunteers import volunteer_stats
from tests.reports.test_report import seed
from tests.support import factories


def test_workbook_cells_equal_the_indicators_and_rates_are_percent_numbers(tmp_path):
    site = factories.village_site(tmp_path / "village")
    seed(site)
    out = tmp_path / "report.xlsx"
    result = CliRunner().invoke(main, ["--data", site.data_dir, "report", "--out", str(out),
                                       "--period", "2"])
    assert result.exit_code == 0, result.output
    sheet = openpyxl.load_workbook(out)["Chỉ số"]
    assert sheet.freeze_panes == "A3" and "07/08/2025" in sheet["A1"].value
    answer = compute(site.settings, site.store.histories(), datetime.date(2025, 8, 7))
    rows = list(sheet.iter_rows(min_row=3))
    assert len(rows) == len(answer["indicators"])
    for row, entry in zip(rows, answer["indicators"]):
        target = "Không đặt chỉ tiêu" if entry["target"] is None else entry["target"]
        assert [c.value for c in row[:5]] == [entry["label"], entry["numerator"],
                                              entry["denominator"], entry["value"], target]
        if entry["target"] is None:
            assert row[5].value == "Không đặt chỉ tiêu"
        assert row[3].number_format == "0.0%" and row[4].number_format == "0.0%"
    # the shortfall as a number, and said in full beside it
    shortfall = {row[0].value: (row[6].value, row[7].value) for row in rows}
    assert shortfall["Người dân hài lòng với dịch vụ công trực tuyến"] == (
        7, "cần thêm 7 ý kiến hài lòng nếu các ý kiến mới đều hài lòng")
    assert shortfall["Hộ đã được đến tận nhà hướng dẫn"] == (1, "cần thêm 1 hộ")
    assert shortfall["Người trưởng thành có tài khoản ngân hàng"] == (None, None)   # met

    assert openpyxl.load_workbook(out).sheetnames == ["Chỉ số", "Theo tuần", "Tổ viên"]


def test_workbook_has_the_indicators_by_period_and_the_members_work(tmp_path):
    site = factories.village_site(tmp_path / "village", users=False)
    seed(site)
    out = tmp_path / "report.xlsx"
    result = CliRunner().invoke(main, ["--data", site.data_dir, "report", "--out", str(out),
                                       "--period", "2"])
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(out)
    periods = list(book["Theo tuần"].iter_rows(min_row=3, values_only=True))
    flat = dict(site.settings, campaign={})
    expected = [(number, entry) for number, day in ((1, datetime.date(2025, 7, 31)),
                                                    (2, datetime.date(2025, 8, 7)))
                for entry in compute(flat, site.store.histories(), day)["indicators"]]
    assert len(periods) == len(expected)
    for row, (number, entry) in zip(periods, expected):
        assert row[0] == number and row[3] == entry["key"]
        target = "Không đặt chỉ tiêu" if entry["target"] is None else entry["target"]
        assert row[5:9] == (entry["numerator"], entry["denominator"], entry["value"], target)
    assert book["Theo tuần"].cell(row=3, column=8).number_format == "0.0%"
    members = {row[0]: row for row in book["Tổ viên"].iter_rows(min_row=3, values_only=True)}
    for stats in volunteer_stats(site.store.histories(), datetime.date(2025, 8, 7)):
        row = members[stats["name"]]
        assert row[1] == "Thôn 3" and row[2:4] == (stats["visits"], stats["households_visited"])
        assert row[5:9] == (stats["vneid_level2"], stats["bank_account"], stats["surveys"],
                            stats["score"])
    # minh met 3 households by the end of week 2, 2 of them in week 2 (see seed)
    assert members["minh"][4] == 2
