"""The report's tables as an Excel workbook: every cell equals the indicators computed
here, rates are numbers with a percent format, the header row is frozen."""
import datetime

import openpyxl
from click.testing import CliRunner

from fieldapp.cli import main
from fieldapp.indicators.compute import compute
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
