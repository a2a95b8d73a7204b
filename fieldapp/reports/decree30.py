"""The parts of an administrative document (Decree 30/2020/NĐ-CP) that the PDF and Word
reports share, computed once from the site's settings.

`document` settings: issuer, symbol, signer_capacity, signer_title, signer_name,
recipients (list). Unset ones give dotted blanks to fill in by hand, never invented values;
the document number itself is always left for the office's register.
"""
import re
import unicodedata
from dataclasses import dataclass

from fieldapp.indicators.periods import numbered

__all__ = ["BLANK", "MOTTO", "NATION", "FIELDS", "LABELS", "Heading", "heading",
           "clean_document", "save_document"]

BLANK = "…………"
NATION = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO = "Độc lập - Tự do - Hạnh phúc"
FIELDS = ("issuer", "symbol", "signer_capacity", "signer_title", "signer_name")
LABELS = {"issuer": "Cơ quan ban hành", "symbol": "Ký hiệu văn bản",
          "signer_capacity": "Thẩm quyền ký", "signer_title": "Chức vụ người ký",
          "signer_name": "Họ và tên người ký", "recipients": "Nơi nhận"}
MAX_LENGTH = {"issuer": 120, "symbol": 30, "signer_capacity": 60, "signer_title": 60,
              "signer_name": 80}
MAX_RECIPIENTS, MAX_RECIPIENT_LENGTH = 20, 200
SYMBOL = re.compile(r"[A-ZĐ0-9]+(?:-[A-ZĐ0-9]+)*\Z")


@dataclass
class Heading:
    """The texts of the document's head and foot, in the order they are printed."""
    issuer: str
    number_line: str
    date_line: str
    title: str
    summary: str
    signer_capacity: str
    signer_title: str
    signer_name: str
    recipients: list


def _setting(document, key):
    value = (document.get(key) or "").strip() if isinstance(document.get(key), str) else ""
    return value or None


def heading(data):
    """The Decree 30 texts of a report (a fieldapp.reports.weekly.ReportData)."""
    document = data.settings.get("document") or {}
    symbol = _setting(document, "symbol") or "BC-" + BLANK
    day = data.generated_on
    place = data.place or BLANK
    name = data.settings.get("campaign", {}).get("name") or ""
    summary = (f"Tiến độ {name[:1].lower()}{name[1:]}, "
               f"{numbered(data.period_word, data.period.number)}").strip()
    recipients = [r.strip() for r in document.get("recipients") or [] if str(r).strip()]
    return Heading(
        issuer=_setting(document, "issuer") or BLANK,
        number_line=f"Số: {BLANK}/{symbol}",
        # Decree 30: a zero before days under 10 and before months 1 and 2 only
        date_line=f"{place}, ngày {day.day:02d} tháng {day.month:02d} năm {day.year}"
        if day.month < 3 else f"{place}, ngày {day.day:02d} tháng {day.month} năm {day.year}",
        title="BÁO CÁO", summary=summary,
        signer_capacity=_setting(document, "signer_capacity") or BLANK,
        signer_title=_setting(document, "signer_title") or "",
        signer_name=_setting(document, "signer_name") or BLANK,
        recipients=recipients or [BLANK, "Lưu: VT."])


def _control(words):
    """True when the text holds a control character (a line break, a tab, an escape…)."""
    return any(unicodedata.category(c) in ("Cc", "Cf") for c in words)


def clean_document(given):
    """Check document settings from the page or the command line: (clean, errors).

    `given` maps some of FIELDS (strings) and "recipients" (a list of lines) to new
    values; an empty value clears the setting, so the document prints a dotted blank.
    `clean` holds the stripped values to store, `errors` a Vietnamese message per field.
    """
    clean, errors = {}, {}
    for key in FIELDS:
        if key not in given:
            continue
        value = unicodedata.normalize("NFC", str(given[key] or "")).strip()
        if _control(value):
            errors[key] = f"{LABELS[key]} phải nằm trên một dòng, không có ký tự điều khiển."
        elif len(value) > MAX_LENGTH[key]:
            errors[key] = (f"{LABELS[key]} dài {len(value)} ký tự; "
                           f"tối đa {MAX_LENGTH[key]} ký tự.")
        elif key == "symbol" and value and not SYMBOL.match(value):
            errors[key] = ("Ký hiệu chỉ gồm chữ in hoa và chữ số, nối bằng dấu gạch ngang, "
                           "ví dụ BC-UBND (số văn bản để trống cho văn thư ghi).")
        else:
            clean[key] = value
    if "recipients" in given:
        lines = [unicodedata.normalize("NFC", str(line)).strip()
                 for line in given["recipients"] or []]
        lines = [line.lstrip("-–• ").strip() for line in lines if line.strip("-–• ")]
        bad = next((n for n, line in enumerate(lines, 1)
                    if len(line) > MAX_RECIPIENT_LENGTH or _control(line)), None)
        if len(lines) > MAX_RECIPIENTS:
            errors["recipients"] = (f"Có {len(lines)} nơi nhận; tối đa {MAX_RECIPIENTS}, "
                                    "mỗi nơi một dòng.")
        elif bad is not None:
            errors["recipients"] = (f"Nơi nhận thứ {bad} dài quá {MAX_RECIPIENT_LENGTH} "
                                    "ký tự hoặc có ký tự điều khiển.")
        else:
            clean["recipients"] = lines
    return clean, errors


def save_document(site, clean):
    """Store checked document settings (from clean_document) in the site's settings."""
    site.update_settings(lambda settings: settings.update(
        document=dict(settings.get("document") or {}, **clean)))
