"""The indicator and volunteer tables as Excel workbooks beside their CSV files: every cell
equals the indicators computed here (and the CSV's row), rates are numbers with a percent
format, dates are dates, one sheet per table, frozen header, the campaign and the date
heading each sheet."""
import csv
import datetime
import io

import openpyxl

from fieldapp import create_app
from fieldapp.forms import text
from fieldapp.indicators.compute import compute
from fieldapp.indicators.procedures import save_figures
from tests.reports.test_report import seed
from tests.support import factories
from tests.support.commune import VILLAGES, seed as seed_commune
from tests.support.pages import login_page
from tests.web.test_procedures import WEEK1, WEEK2

D = datetime.date
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _book(response):
    assert response.status_code == 200 and response.mimetype == XLSX
    assert "attachment" in response.headers["Content-Disposition"]
    return openpyxl.load_workbook(io.BytesIO(response.data))


def _csv(response):
    return list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))


def _records(sheet):
    header = [c.value for c in sheet[2]]
    return [dict(zip(header, row)) for row in sheet.iter_rows(min_row=3, values_only=True)]


def test_village_workbook_cells_equal_the_indicators_computed_here(client, site):
    seed(site)
    login_page(client, "lan", factories.LEAD_PIN)
    book = _book(client.get("/reports/indicators.xlsx?period=2"))
    assert book.sheetnames == ["Thôn 3"]
    sheet = book["Thôn 3"]
    assert sheet.freeze_panes == "A3"
    caption = sheet["A1"].value
    assert site.settings["campaign"]["name"] in caption and "07/08/2025" in caption
    assert site.settings["campaign"]["name"] in sheet.oddHeader.center.text
    flat = dict(site.settings, campaign={})
    expected = []
    for number, end in ((1, D(2025, 7, 31)), (2, D(2025, 8, 7))):
        for entry in compute(flat, site.store.histories(), end)["indicators"]:
            expected.append((number, end, entry))
    records = _records(sheet)
    assert len(records) == len(expected)
    for row, (number, end, entry) in zip(records, expected):
        assert row["Tuần"] == number and row["Đến ngày"].date() == end
        assert (row["Mã chỉ số"], row["Chỉ số"], row["Tử số"], row["Mẫu số"]) == (
            entry["key"], entry["label"], entry["numerator"], entry["denominator"])
        target = text.NO_TARGET if entry["target"] is None else entry["target"]
        assert row["Tỷ lệ"] == entry["value"] and row["Chỉ tiêu"] == target
    rate = sheet.cell(row=3, column=8)
    assert isinstance(rate.value, float) and rate.number_format == "0.0%"
    assert sheet.cell(row=3, column=3).number_format == "DD/MM/YYYY"
    longest = max(len(e["label"]) for _, _, e in expected)
    assert sheet.column_dimensions["E"].width >= longest          # labels fit their column


def test_commune_workbook_has_a_sheet_per_table_equal_to_the_csv(site_templates, tmp_path):
    commune = site_templates.copy(tmp_path / "xa", factories.commune_site, villages=VILLAGES,
                                  quick_hashes=True)
    seed_commune(commune)
    save_figures(commune, {1: WEEK1, 2: WEEK2}, "canbo")
    client = create_app({"DATA_DIR": commune.data_dir, "TESTING": True}).test_client()
    login_page(client, "canbo", factories.PASSWORD)
    book = _book(client.get("/reports/indicators.xlsx?period=3"))
    assert book.sheetnames == ["Toàn xã theo tuần", "Thủ tục hành chính", "Từng thôn"]
    for sheet in book:
        assert sheet.freeze_panes == "A3" and "Chỉ số theo từng tuần" in sheet["A1"].value
    rows = _csv(client.get("/reports/indicators.csv?period=3"))
    cells = {}
    for name in book.sheetnames:
        for record in _records(book[name]):
            scope = record.get("Thôn") or "Toàn xã"
            cells[(scope, record["Tuần"], record["Mã chỉ số"])] = record
    assert len(cells) == len(rows)
    for row in rows:
        record = cells[(row["Phạm vi"], int(row["Tuần"]), row["Mã chỉ số"])]
        assert (record["Tử số"], record["Mẫu số"]) == (int(row["Tử số"]), int(row["Mẫu số"]))
        assert text.percent(record["Tỷ lệ"]) == row["Tỷ lệ"]        # 25,9 % as 0.259
        target = record["Chỉ tiêu"]              # a number, or the words of no target
        target = target if isinstance(target, str) else text.target(target)
        assert target == row["Chỉ tiêu"] and (record["Đánh giá"] or "") == row["Đánh giá"]
    procedures = _records(book["Thủ tục hành chính"])
    assert procedures and {r["Tuần"] for r in procedures} <= {1, 2, 3}
    assert {r["Thôn"] for r in _records(book["Từng thôn"])} == {"Thôn 1", "Thôn 2"}
    # the report's own workbook carries the same one-stop-shop rates
    from fieldapp.reports.formats import render_report
    from fieldapp.reports.weekly import site_report_data
    report_book = openpyxl.load_workbook(io.BytesIO(render_report(
        site_report_data(commune, 3), "xlsx")))
    assert report_book.sheetnames == ["Chỉ số", "Thôn 1", "Thôn 2", "Theo tuần",
                                      "Thủ tục hành chính", "Tổ viên"]
    in_report = {(r["Tuần"], r["Chỉ số"]): r["Luỹ kế"]
                 for r in _records(report_book["Thủ tục hành chính"])}
    assert in_report == {(r["Tuần"], r["Chỉ số"]): r["Tỷ lệ"] for r in procedures}


def test_volunteer_workbook_equals_the_volunteer_csv(client, site):
    seed(site)
    login_page(client, "lan", factories.LEAD_PIN)
    sheet = _book(client.get("/reports/volunteers.xlsx"))["Tổ viên"]
    rows = _csv(client.get("/reports/volunteers.csv"))
    records = _records(sheet)
    assert len(records) == len(rows) == 2
    for record, row in zip(records, rows):
        for name, value in row.items():
            cell = record[name]
            assert (str(cell) if isinstance(cell, int) else (cell or "")) == value, name
        assert isinstance(record["Lần đến nhà"], int)


def test_workbook_downloads_need_a_lead_staff_or_admin(client, site):
    assert client.get("/reports/indicators.xlsx").status_code == 302
    login_page(client, "minh", factories.VOL_PIN)
    for path in ("/reports/indicators.xlsx", "/reports/volunteers.xlsx"):
        assert client.get(path).status_code == 403, path
    login_page(client, "lan", factories.LEAD_PIN)
    bad = client.get("/reports/indicators.xlsx?period=9")
    assert bad.status_code == 404 and "Không có tuần 9" in bad.get_data(as_text=True)
    page = client.get("/reports/").get_data(as_text=True)
    for csv_link in ("/reports/indicators.csv", "/reports/volunteers.csv"):
        assert csv_link.replace(".csv", ".xlsx") in page          # Excel beside every CSV


def test_template_workbooks_read_back_as_their_csv(site_templates, tmp_path):
    from fieldapp.indicators import annex
    commune = site_templates.copy(tmp_path / "xa", factories.commune_site, villages=VILLAGES,
                                  quick_hashes=True)
    commune.update_settings(lambda settings: settings["villages"][0].update(
        targets={"adult_online_usage": 0.525}))
    client = create_app({"DATA_DIR": commune.data_dir, "TESTING": True}).test_client()
    login_page(client, "canbo", factories.PASSWORD)
    workbook = client.get("/commune/villages/annex.xlsx")
    sheet = _book(workbook).worksheets[0]
    assert sheet.freeze_panes == "A2" and [c.value for c in sheet[1]][:2] == ["Mã thôn",
                                                                              "Tên thôn"]
    rate = next(c for c in sheet[2] if c.value == 0.525)
    assert rate.number_format == "0.0%" and sheet["C2"].value == 10
    from_xlsx = annex.read_annex_csv(workbook.data)
    from_csv = annex.read_annex_csv(client.get("/commune/villages/annex.csv").data)
    assert from_xlsx == from_csv and from_xlsx[0][0]["targets"]["adult_online_usage"] == 0.525
    template = client.get("/commune/procedures/template.xlsx")
    rows = list(_book(template).worksheets[0].iter_rows(min_row=2, values_only=True))
    csv_rows = list(csv.reader(io.StringIO(
        client.get("/commune/procedures/template.csv").data.decode("utf-8-sig"))))[1:]
    assert rows and [["" if v is None else str(v) for v in row] for row in rows] == csv_rows


def test_workbook_text_that_looks_like_a_formula_stays_text():
    from fieldapp.reports.workbook import Table, tables_xlsx
    body = tables_xlsx([Table("Thôn", ("Thôn", "Số"), [['=HYPERLINK("http://x")', 1]])], "c")
    cell = openpyxl.load_workbook(io.BytesIO(body))["Thôn"]["A3"]
    assert cell.value == '=HYPERLINK("http://x")' and cell.data_type == "s"
