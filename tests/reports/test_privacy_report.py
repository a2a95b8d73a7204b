"""`fieldapp privacy-report`: the record of processing and impact-assessment summary, read
back from the PDF: its sections, the site's own settings and counts, and no citizen's name."""
import datetime
import subprocess

import pytest

from fieldapp import audit
from fieldapp.cli import main
from fieldapp.site import Site
from tests.support import factories
from tests.support.factories import household, person, survey

HEADINGS = ("1. Bên kiểm soát và xử lý dữ liệu", "2. Mục đích xử lý",
            "3. Loại dữ liệu cá nhân và chủ thể dữ liệu", "4. Nơi dữ liệu được chuyển đến",
            "5. Thời hạn lưu trữ", "6. Số lượng hồ sơ đang lưu",
            "7. Yêu cầu của chủ thể dữ liệu", "8. Biện pháp bảo vệ dữ liệu",
            "9. Tóm tắt đánh giá tác động")


def pdf_text(path):
    """The PDF's text, one line per line, spaces collapsed (tables wrap their cells)."""
    out = subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True,
                         text=True).stdout
    return " ".join(out.split())


def layout_rows(path, start, end):
    """The lines of `pdftotext -layout` between two headings, each split into its cells
    (runs of two spaces or more part them)."""
    import re
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True,
                         capture_output=True, text=True).stdout
    part = out[out.find(start):out.find(end)]
    return [re.split(r"\s{2,}", line.strip()) for line in part.splitlines() if line.strip()]


def write_report(runner, site, out):
    result = runner.invoke(main, ["--data", site.data_dir, "privacy-report", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return pdf_text(out)


def with_consent(version, *purposes):
    version["data"]["consent"] = {"notice_version": "1", "purposes": list(purposes),
                                  "by": "self", "on": "2025-07-26"}
    return version


@pytest.fixture
def filled(site):
    """Thôn 3 with 3 households (2 consenting to phone contact), 2 people, 1 survey, and
    a retention of 90 days."""
    homes = [household(name) for name in ("Vũ Thị Thanh Xuân", "Lò Văn Páo", "Hà Thị Mỷ")]
    with_consent(homes[0], "campaign_support", "phone_contact")
    with_consent(homes[1], "campaign_support", "phone_contact", "satisfaction_survey")
    people = [person(homes[0]["id"], "Vũ Minh Khôi"), person(homes[1]["id"], "Lò Thị Sen")]
    site.store.submit(homes + people + [survey(household_id=homes[1]["id"])])
    site.update_settings(lambda s: s.update(retention_days=90))
    return site


def test_the_record_holds_every_section_and_the_sites_own_values(filled, runner, tmp_path):
    out = tmp_path / "ho-so.pdf"
    text = write_report(runner, filled, out)
    assert out.read_bytes()[:5] == b"%PDF-"
    positions = [text.find(heading) for heading in HEADINGS]
    assert -1 not in positions and positions == sorted(positions), positions
    settings = Site(filled.data_dir).settings
    for value in (settings["commune_name"], settings["province_name"], settings["commune_code"],
                  settings["site_name"], settings["campaign"]["name"],
                  "Luật Bảo vệ dữ liệu cá nhân số 91/2025/QH15", "356/2025/NĐ-CP",
                  "campaign_support", "satisfaction_survey", "phone_contact"):
        assert value in text, value
    # retention: the setting's days after the campaign's end, and the date it gives
    end = datetime.date.fromisoformat(settings["campaign"]["end"])
    purge = end + datetime.timedelta(days=90)
    retention = text[text.find(HEADINGS[4]):text.find(HEADINGS[5])]
    assert "90 ngày sau khi chiến dịch kết thúc" in retention
    assert end.strftime("%d/%m/%Y") in retention and purge.strftime("%d/%m/%Y") in retention
    assert "đã đến hạn" in retention                # the demo campaign ended in 2025
    # the categories of data come from the rules: identifying fields named
    categories = text[text.find(HEADINGS[2]):text.find(HEADINGS[3])]
    for label in ("Họ tên chủ hộ", "Địa chỉ", "Số điện thoại", "Ý kiến", "Năm sinh"):
        assert label in categories, label
    # where it goes: village → commune → province, aggregates only
    flows = text[text.find(HEADINGS[3]):text.find(HEADINGS[4])]
    assert "Thôn → xã → tỉnh: chỉ số liệu tổng hợp" in flows
    # counts of records, and of consents per purpose
    counts = {row[0]: row[-1] for row in layout_rows(out, HEADINGS[5], HEADINGS[6])}
    assert (counts["Hộ gia đình"], counts["Người dân"]) == ("3", "2")
    assert (counts["Khảo sát hài lòng"], counts["Lần đến nhà"]) == ("1", "0")
    purposes = layout_rows(out, HEADINGS[1], HEADINGS[2])

    def agreed(label):
        # the purpose's first line ends with its count; a long name may wrap or run on
        return next(row[-1] for row in purposes if row[0].startswith(label))
    assert agreed("Liên hệ qua điện") == "2"              # 2 households agreed
    assert agreed("Hỗ trợ sử dụng dịch") == "2" and agreed("Khảo sát mức độ hài") == "1"
    # security measures, as this site has them (no commune key stored yet)
    security = text[text.find(HEADINGS[7]):text.find(HEADINGS[8])]
    for measure in ("chữ ký số", "băm scrypt", "Sau 5 lần nhập sai", "CSRF", "Nhật ký",
                    "AES-256-GCM", "CHƯA lưu khóa của xã"):
        assert measure in security, measure
    # and no citizen is named
    for name in ("Thanh Xuân", "Páo", "Mỷ", "Minh Khôi", "Lò Thị Sen"):
        assert name not in text, name
    assert audit.entries(filled, "privacy_report")[-1]["actor"] == "cli"


def test_the_record_looks_like_a_document(filled, runner, tmp_path):
    """Read as images: A4 pages, and ink on each (no blank page, nothing cut off)."""
    out = tmp_path / "ho-so.pdf"
    write_report(runner, filled, out)
    subprocess.run(["pdftoppm", "-r", "30", "-gray", str(out), str(tmp_path / "page")],
                   check=True)
    pages = sorted(tmp_path.glob("page-*.pgm"))
    assert 2 <= len(pages) <= 5
    for page in pages:
        raw = page.read_bytes()
        header, pixels = raw.split(b"\n", 3)[:3], raw.split(b"\n", 3)[3]
        width, height = map(int, header[1].split())
        assert abs(height / width - 297 / 210) < 0.02, page       # A4 portrait
        dark = sum(1 for value in pixels if value < 128)
        assert dark > len(pixels) * 0.002, page


def test_a_commune_record_names_the_centre_and_its_key(tmp_path, runner):
    commune = factories.commune_site(tmp_path / "xa", users=False, retention_days=None,
                                     villages=(("thon-1", "Thôn Một", None),
                                               ("thon-2", "Thôn <Hai>", None)))
    text = write_report(runner, commune, tmp_path / "xa.pdf")
    assert "TRUNG TÂM PHỤC VỤ" in text and "2 thôn: Thôn Một, Thôn <Hai>" in text
    assert "Có khóa giải mã của xã" in text
    assert "180 ngày sau khi chiến dịch kết thúc" in text          # the default retention
    assert "Không có yêu cầu nào đang chờ giải quyết" in text


def test_open_requests_are_listed_with_their_deadlines(filled, runner, tmp_path):
    """The open requests of the site's request log are listed with their deadlines, the
    answered ones are not."""
    import datetime
    from fieldapp import subject_requests
    from fieldapp.indicators.periods import today_local
    text = write_report(runner, filled, tmp_path / "r0.pdf")
    assert "Không có yêu cầu nào đang chờ giải quyết" in text
    today = today_local()
    late = today - datetime.timedelta(days=40)
    subject_requests.open_request(filled, "lan", "erase", "household", "h-1", "thon-3", late)
    subject_requests.open_request(filled, "lan", "see", "household", "h-2", "thon-3",
                                  today - datetime.timedelta(days=3), done=True)
    fresh = subject_requests.open_request(filled, "lan", "see", "person", "p-1", "thon-3", today)
    out = tmp_path / "r.pdf"
    text = write_report(runner, filled, out)
    part = text[text.find(HEADINGS[6]):text.find(HEADINGS[7])]
    assert "2 yêu cầu đang chờ giải quyết" in part
    rows = layout_rows(out, HEADINGS[6], HEADINGS[7])
    days = subject_requests.DEFAULT_REQUEST_DAYS
    assert ["Xóa", f"{late:%d/%m/%Y}",
            f"{late + datetime.timedelta(days=days):%d/%m/%Y} (quá hạn)"] in rows
    deadline = datetime.date.fromisoformat(fresh["deadline"])
    assert ["Xem / nhận bản sao", f"{today:%d/%m/%Y}", f"{deadline:%d/%m/%Y}"] in rows
    assert f"{today - datetime.timedelta(days=3):%d/%m/%Y}" not in part


def test_the_record_must_be_a_pdf_file(filled, runner, tmp_path):
    result = runner.invoke(main, ["--data", filled.data_dir, "privacy-report", "--out",
                                  str(tmp_path / "ho-so.docx")])
    assert result.exit_code == 2 and ".pdf" in result.output
    assert not (tmp_path / "ho-so.docx").exists()


def test_a_province_keeps_no_personal_data_and_is_told_so(tmp_path, runner):
    province = tmp_path / "tinh"
    assert runner.invoke(main, ["--data", str(province), "init", "--site", "province",
                                "--province", "75"]).exit_code == 0
    result = runner.invoke(main, ["--data", str(province), "privacy-report", "--out",
                                  str(tmp_path / "t.pdf")])
    assert result.exit_code == 1 and "chỉ giữ số liệu tổng hợp" in result.output
    assert not (tmp_path / "t.pdf").exists()


def test_the_record_counts_accounts_by_role_and_the_disabled_ones(site, runner, tmp_path):
    from fieldapp.auth import accounts
    users = accounts.list_users(site)
    accounts.set_active(site, users[0]["username"], False)
    text = write_report(runner, site, tmp_path / "ho-so.pdf")
    for role, label in accounts.ROLE_LABELS.items():
        n = sum(u["role"] == role for u in users)
        assert (f"{label}: {n}" in text) == bool(n), label
    assert "(1 tài khoản đã khóa)" in text
