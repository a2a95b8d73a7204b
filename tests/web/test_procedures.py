"""The one-stop shop's procedure figures: entry, CSV import, rates, and where they show."""
import json

import pytest

from fieldapp.cli import main
from fieldapp.indicators.procedures import AREAS, COLUMNS, figures
from tests.support.pages import csrf_token, login_page
from tests.support.factories import PASSWORD, commune_site

LCI = ("land", "construction", "investment")


@pytest.fixture
def commune(site_templates, tmp_path):
    return site_templates.copy(tmp_path / "commune", commune_site, quick_hashes=True)


@pytest.fixture
def staff(commune):
    from fieldapp import create_app
    client = create_app({"DATA_DIR": commune.data_dir, "TESTING": True}).test_client()
    assert login_page(client, "canbo", PASSWORD).status_code == 302
    return client


def cells(period_values):
    """Form fields area-column for {area: {column: n}}."""
    return {f"{area}-{column}": str(value) for area, values in period_values.items()
            for column, value in values.items()}


WEEK1 = {"land": dict(received=40, received_online=10, full_online=4, settled=30, with_fee=20,
                      paid_online=8, digitised=30),
         "civil_status": dict(received=100, received_online=70, full_online=50, settled=90,
                              with_fee=10, paid_online=9, digitised=95)}
WEEK2 = {"land": dict(received=20, received_online=12, full_online=9, settled=25, with_fee=15,
                      paid_online=12, digitised=20),
         "investment": dict(received=5, received_online=5, full_online=5, settled=5, with_fee=0,
                            paid_online=0, digitised=5)}


def test_figures_entered_per_period_give_cumulative_rates_with_changes(staff, commune, runner):
    for number, values in ((1, WEEK1), (2, WEEK2)):
        token = csrf_token(staff, f"/commune/procedures/?period={number}")
        response = staff.post(f"/commune/procedures/?period={number}",
                              data=dict(cells(values), csrf_token=token))
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
    result = runner.invoke(main, ["--data", commune.data_dir, "indicators", "--as-of",
                                  "2025-08-10", "--json"])
    answer = json.loads(result.output)
    got = {e["key"]: e for e in answer["indicators"]}
    total = {c: sum(v[c] for week in (WEEK1, WEEK2) for v in week.values()) for c in COLUMNS}
    lci = {c: sum(v[c] for week in (WEEK1, WEEK2) for a, v in week.items() if a in LCI)
           for c in COLUMNS}
    assert got["full_online_rate"]["value"] == pytest.approx(total["full_online"] / total["settled"])
    assert got["online_payment_rate"]["numerator"] == total["paid_online"]
    assert got["online_payment_rate"]["denominator"] == total["with_fee"]
    assert got["digitisation_rate_lci"]["value"] == pytest.approx(lci["digitised"] / lci["received"])
    assert got["online_filing_rate"]["target"] == 0.6 and got["digitisation_rate"]["target"] == 0.8
    periods = {p["period"]: {e["key"]: e for e in p["indicators"]} for p in answer["by_period"]}
    week1_rate = sum(v["full_online"] for v in WEEK1.values()) / sum(v["settled"] for v in WEEK1.values())
    assert periods[1]["full_online_rate"]["value"] == pytest.approx(week1_rate)
    assert periods[2]["full_online_rate"]["change"] == pytest.approx(
        got["full_online_rate"]["value"] - week1_rate)
    own2 = sum(v["full_online"] for v in WEEK2.values()) / sum(v["settled"] for v in WEEK2.values())
    assert periods[2]["full_online_rate"]["period_value"] == pytest.approx(own2)
    # the village view of the same API carries no commune-only figures
    assert "full_online_rate" not in {e["key"] for e in answer["by_village"].get("thon-3", [])}


def test_a_part_larger_than_its_whole_is_named_and_nothing_is_stored(staff, commune):
    token = csrf_token(staff, "/commune/procedures/?period=1")
    bad = {"land": dict(WEEK1["land"], paid_online=25), "business": {"received": "mười"}}
    response = staff.post("/commune/procedures/?period=1", data=dict(cells(bad), csrf_token=token))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Đất đai – Thanh toán trực tuyến (25) lớn hơn Có phí, lệ phí (20)" in page
    assert "Kinh doanh – Hồ sơ tiếp nhận: phải là số nguyên không âm" in page
    assert figures(commune) == {}


def upload(staff, content, name="so-lieu.csv"):
    import io
    token = csrf_token(staff, "/commune/procedures/")
    return staff.post("/commune/procedures/import", data={
        "csrf_token": token, "file": (io.BytesIO(content), name)},
        content_type="multipart/form-data")


def test_a_csv_saved_by_excel_with_vietnamese_headers_is_imported(staff, commune):
    header = ";".join(["Tuần", "Lĩnh vực", *COLUMNS.values()])
    rows = [";".join(["1", "Đất đai", "40", "10", "4", "30", "20", "8", "30"]),
            ";".join(["2", "hộ tịch", "1.200", "700", "500", "900", "100", "90", "950"])]
    content = ("\ufeff" + "\r\n".join([header, *rows]) + "\r\n").encode("utf-8")
    response = upload(staff, content)
    assert response.status_code == 302, response.get_data(as_text=True)[:800]
    stored = figures(commune)
    assert stored[1]["land"]["paid_online"] == 8
    assert stored[2]["civil_status"]["received"] == 1200


def test_a_csv_with_one_bad_cell_stores_nothing_and_names_the_cell(staff, commune):
    header = ",".join(["period", "area", *COLUMNS])
    good = ",".join(["1", "land", "40", "10", "4", "30", "20", "8", "30"])
    bad = ",".join(["2", "business", "5", "5", "5", "5", "5", "-1", "5"])
    response = upload(staff, "\n".join([header, good, bad]).encode("utf-8"))
    assert response.status_code == 422
    assert "Dòng 3, Kinh doanh – Thanh toán trực tuyến" in response.get_data(as_text=True)
    assert figures(commune) == {}
    for content in (b"", b"\xff\xfe\x00a", b"x,y\n1,2", "Đợt,Lĩnh vực\n9,Đất đai".encode()):
        response = upload(staff, content)
        assert response.status_code == 422
        assert figures(commune) == {}


def test_figures_with_a_guard_apostrophe_on_every_number_are_imported(staff, commune):
    header = ";".join(["Tuần", "Lĩnh vực", *COLUMNS.values()])
    row = ";".join(["'1", "Đất đai", "'40", "'10", "'4", "'30", "'20", "'8", "'30"])
    response = upload(staff, ("\ufeff" + header + "\r\n" + row + "\r\n").encode("utf-8"))
    assert response.status_code == 302, response.get_data(as_text=True)[:800]
    stored = figures(commune)
    assert stored[1]["land"]["paid_online"] == 8
    assert stored[1]["land"]["received"] == 40


def test_the_template_csv_opens_in_excel_and_reads_back(staff):
    response = staff.get("/commune/procedures/template.csv")
    assert response.status_code == 200 and response.data.startswith("\ufeff".encode())
    text = response.data.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("Tuần,Lĩnh vực,Hồ sơ tiếp nhận")
    assert len(text.splitlines()) == 1 + 4 * len(AREAS)


def test_targets_and_baseline_are_editable(staff, commune):
    token = csrf_token(staff, "/commune/procedures/targets")
    response = staff.post("/commune/procedures/targets", data={
        "csrf_token": token, "baseline_year": "2024", "target-full_online_rate": "60",
        "baseline-full_online_rate": "7,56", "baseline-online_payment_rate": "43,98",
        "target-online_payment_rate": "60"})
    assert response.status_code == 302
    settings = commune.settings
    assert settings["procedure_baseline"] == {"year": 2024, "values": {
        "full_online_rate": 0.0756, "online_payment_rate": 0.4398}}
    bad = staff.post("/commune/procedures/targets", data={
        "csrf_token": token, "baseline_year": "năm ngoái", "target-full_online_rate": "160"})
    assert bad.status_code == 422 and "lớn hơn 100" in bad.get_data(as_text=True)
    assert commune.settings["procedure_baseline"]["year"] == 2024


def test_only_commune_staff_reach_the_figures(client, commune):
    assert client.get("/commune/procedures/").status_code in (302, 404)
    from fieldapp import create_app
    anonymous = create_app({"DATA_DIR": commune.data_dir}).test_client()
    assert anonymous.get("/commune/procedures/").status_code == 302
    assert anonymous.get("/commune/procedures/template.csv").status_code == 302


def test_the_weekly_report_shows_the_same_procedure_figures(commune, runner, tmp_path):
    import subprocess
    from fieldapp.indicators.procedures import save_figures
    from fieldapp.forms.text import percent
    save_figures(commune, {1: WEEK1, 2: WEEK2}, "canbo")
    commune.save_settings(dict(commune.settings, procedure_baseline={
        "year": 2024, "values": {"full_online_rate": 0.0756}}))
    out = tmp_path / "report.pdf"
    result = runner.invoke(main, ["--data", commune.data_dir, "report", "--out", str(out),
                                  "--period", "2"])
    assert result.exit_code == 0, result.output
    text = subprocess.run(["pdftotext", "-layout", str(out), "-"], capture_output=True,
                          text=True, check=True).stdout
    section = text.split("Hồ sơ thủ tục hành chính", 1)[1]
    first = section.split("Hồ sơ tiếp nhận trực tuyến", 1)[0]
    week1 = sum(v["full_online"] for v in WEEK1.values()) / sum(v["settled"] for v in WEEK1.values())
    week2 = sum(v["full_online"] for v in WEEK2.values()) / sum(v["settled"] for v in WEEK2.values())
    full = sum(v["full_online"] for w in (WEEK1, WEEK2) for v in w.values())
    settled = sum(v["settled"] for w in (WEEK1, WEEK2) for v in w.values())
    for expected in (percent(week1), percent(week2), percent(full / settled),
                     f"{full}/{settled}", "7,6 %", "Năm 2024"):
        assert expected in first or expected in section[:2000], expected
    change = round((week2 - week1) * 100, 1)
    assert (f"+{change}" if change > 0 else f"−{abs(change)}").replace(".", ",") in first


def test_the_indicators_csv_carries_the_procedure_rates(staff, commune):
    import csv
    import io
    from fieldapp.indicators.procedures import save_figures
    from fieldapp.forms.text import percent
    save_figures(commune, {1: WEEK1}, "canbo")
    response = staff.get("/reports/indicators.csv?period=1")
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    full = next(r for r in rows if r["Mã chỉ số"] == "full_online_rate" and r["Tuần"] == "1")
    expected = (sum(v["full_online"] for v in WEEK1.values()),
                sum(v["settled"] for v in WEEK1.values()))
    assert (int(full["Tử số"]), int(full["Mẫu số"])) == expected
    assert full["Tỷ lệ"] == percent(expected[0] / expected[1])
    assert full["Mẫu số theo"] == "số hồ sơ của bộ phận một cửa"


def test_the_commune_dashboard_shows_the_procedure_rates(staff, commune):
    from fieldapp.indicators.procedures import save_figures
    from fieldapp.forms.text import percent
    assert "Hồ sơ thủ tục hành chính (luỹ kế)" not in staff.get(
        "/commune/?as_of=2025-08-10").get_data(as_text=True)
    save_figures(commune, {1: WEEK1, 2: WEEK2}, "canbo")
    page = staff.get("/commune/?as_of=2025-08-10").get_data(as_text=True)
    paid = sum(v["paid_online"] for w in (WEEK1, WEEK2) for v in w.values())
    fee = sum(v["with_fee"] for w in (WEEK1, WEEK2) for v in w.values())
    assert "Hồ sơ thủ tục hành chính (luỹ kế)" in page
    assert percent(paid / fee) in page and f"{paid}/{fee}" in page


def test_training_recorded_on_a_village_laptop_reaches_the_commune_by_batch(site_templates,
                                                                            tmp_path, commune):
    from fieldapp import create_app
    from fieldapp.indicators.compute import compute
    from sync.export import export_batch
    from sync.transfer import import_batch
    from tests.support.factories import LEAD_PIN, village_site
    village = site_templates.copy(tmp_path / "village", village_site)
    lead = create_app({"DATA_DIR": village.data_dir, "TESTING": True}).test_client()
    login_page(lead, "lan", LEAD_PIN)
    token = csrf_token(lead, "/volunteers")
    lead.post("/volunteers", data={"csrf_token": token, "username": "hoa", "full_name": "Lò Thị Hoa",
                                   "pin": "582014", "role": "volunteer"})
    lead.post("/volunteers/minh/training", data={"csrf_token": token, "trained_on": "2025-07-26",
                                                  "training_topic": "VNeID mức 2"})
    village.store.refresh()
    receipt = import_batch(commune, export_batch(village, all_versions=True))
    assert receipt.new == 2
    answer = compute(commune.settings, commune.store.histories(), None)
    trained = next(e for e in answer["by_village"]["thon-3"] if e["key"] == "volunteers_trained")
    assert (trained["numerator"], trained["denominator"], trained["target"]) == (1, 2, 0.9)


def test_the_procedure_section_is_shown_once_and_not_in_the_title(staff, commune):
    from fieldapp.indicators.procedures import save_figures
    save_figures(commune, {1: WEEK1}, "canbo")
    page = staff.get("/commune/?as_of=2025-08-10").get_data(as_text=True)
    title = page.split("<title>", 1)[1].split("</title>", 1)[0]
    assert "<" not in title and "Chỉ số xã" in title
    assert page.count("Hồ sơ thủ tục hành chính (luỹ kế)") == 1
