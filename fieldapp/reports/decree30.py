"""The parts of an administrative document (Decree 30/2020/NĐ-CP) that the PDF and Word
reports share, computed once from the site's settings.

`document` settings: issuer, symbol, signer_capacity, signer_title, signer_name,
recipients (list). Unset ones give dotted blanks to fill in by hand, never invented values;
the document number itself is always left for the office's register.
"""
from dataclasses import dataclass

__all__ = ["BLANK", "MOTTO", "NATION", "Heading", "heading"]

BLANK = "…………"
NATION = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO = "Độc lập - Tự do - Hạnh phúc"
FIELDS = ("issuer", "symbol", "signer_capacity", "signer_title", "signer_name")


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
    summary = (f"Tiến độ {name[:1].lower()}{name[1:]}, {data.period_word} "
               f"{data.period.number}").strip()
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
