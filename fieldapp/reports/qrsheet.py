"""Printable A4 sheets of cut-out cards (SPEC §5b): a QR code per guide (to the laptop,
and the official address for when the citizen is online), the Wi-Fi join code of the
laptop's network, and, for a lead, volunteers' one-time login cards.
"""
import base64
import datetime
import io
import os

import jinja2
import qrcode
from PIL import Image
from markupsafe import Markup, escape

from fieldapp.forms import text
from fieldapp.guide_texts import GUIDES, PRIVACY_SLUG

__all__ = ["qr_image", "wifi_payload", "guide_url", "guide_cards", "wifi_card",
           "login_cards", "privacy_card", "sheet_html", "sheet_pdf", "site_sheets_pdf"]

STATIC = os.path.join(os.path.dirname(os.path.dirname(__file__)), "static")


MODULE_PIXELS = 8       # viewers that smooth images anyway blur an eighth of a module


def qr_image(data, size_mm):
    """A QR code of `data` as an inline PNG of `size_mm` millimetres, quiet zone included.

    Eight pixels per module, drawn unsmoothed (`image-rendering: pixelated`), so the print
    is as sharp as a vector even where a viewer smooths images; WeasyPrint lays a sheet of these out 2.5 times faster than the
    same codes as SVG paths of one square per module (bench/qrsheet.py)."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
    code.add_data(data)
    code.make(fit=True)
    matrix = code.get_matrix()
    n = len(matrix)
    image = Image.new("1", (n, n))
    image.putdata([0 if dark else 1 for row in matrix for dark in row])
    image = image.resize((n * MODULE_PIXELS, n * MODULE_PIXELS), Image.Resampling.NEAREST)
    png = io.BytesIO()
    image.save(png, format="PNG", optimize=True)
    source = "data:image/png;base64," + base64.b64encode(png.getvalue()).decode("ascii")
    return Markup(f'<img src="{source}" alt="{escape(data)}" '
                  f'style="width:{size_mm}mm;height:{size_mm}mm">')


def _wifi_escape(value):
    """Escape the characters the Wi-Fi QR format reserves: \\ ; , : \""""
    for char in '\\;,:"':
        value = value.replace(char, "\\" + char)
    return value


def wifi_payload(ssid, password):
    """The Wi-Fi join text `WIFI:T:WPA;S:<ssid>;P:<password>;;` (nopass when no password)."""
    if not password:
        return f"WIFI:T:nopass;S:{_wifi_escape(ssid)};;"
    return f"WIFI:T:WPA;S:{_wifi_escape(ssid)};P:{_wifi_escape(password)};;"


def guide_url(base_url, slug):
    """The address of a guide on the laptop."""
    return base_url.rstrip("/") + "/guides/" + slug


def guide_cards(base_url):
    """One card per guide."""
    return [{"kind": "guide", "title": g.title, "local_url": guide_url(base_url, g.slug),
             "official_url": g.official_url,
             "local_qr": qr_image(guide_url(base_url, g.slug), 32),
             "official_qr": qr_image(g.official_url, 21)} for g in GUIDES]


def privacy_card(base_url):
    """The card of the privacy notice the volunteer shows at the door before asking
    consent (Law 91/2025/QH15): a short line, its address and its QR code."""
    from fieldapp.forms.consent import NOTICE_VERSION
    url = guide_url(base_url, PRIVACY_SLUG)
    return {"kind": "privacy", "title": "Dữ liệu cá nhân của bạn", "local_url": url,
            "local_qr": qr_image(url, 32), "version": NOTICE_VERSION,
            "line": "Tổ chỉ ghi số điện thoại, ý kiến khi bạn đồng ý. Bạn được xem, sửa, "
                    "xóa, rút lại đồng ý bất cứ lúc nào. Quét mã để đọc thông báo."}


def wifi_card(settings):
    """The Wi-Fi join card, or None when no network name is set."""
    wifi = settings.get("wifi") or {}
    if not wifi.get("ssid"):
        return None
    payload = wifi_payload(wifi["ssid"], wifi.get("password") or "")
    title = "Nối Wi-Fi của xã" if settings.get("site") == "commune" else \
        "Nối Wi-Fi của Tổ công nghệ số"
    return {"kind": "wifi", "title": title, "ssid": wifi["ssid"],
            "password": wifi.get("password") or "", "qr": qr_image(payload, 34)}


def login_cards(site, village_id, base_url, made_by):
    """One-time login cards for the village's active volunteers .

    Each call makes new cards; the codes exist only on the printed sheet.
    """
    from fieldapp.auth import cards
    from fieldapp.records import people_names
    names = people_names(site.store, [village_id])
    out = []
    for user in cards.card_users(site, village_id):
        if user["role"] != "volunteer":
            continue
        row, code = cards.create_card(site, user["username"], made_by)
        url = cards.card_url(base_url, code)
        expires = datetime.datetime.fromisoformat(row["expires_at"])
        out.append({"kind": "login", "username": user["username"], "url": url,
                    "name": names.get(user["username"]) or user["username"],
                    "village": (site.village(village_id) or {}).get("name", village_id),
                    "expires": (expires + text.TZ_OFFSET).date(),
                    "qr": qr_image(url, 36)})
    return out


def sheet_html(settings, cards, base_url, missing_wifi=False):
    """The sheets as one HTML document, eight cards per A4 page."""
    env = jinja2.Environment(loader=jinja2.PackageLoader("fieldapp", "templates"),
                             autoescape=True, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(vn_date=text.vn_date)
    with open(os.path.join(STATIC, "qrsheet.css"), encoding="utf-8") as handle:
        css = Markup(handle.read())
    return env.get_template("report/qrsheet.html").render(
        settings=settings, cards=cards, base_url=base_url, css=css, missing_wifi=missing_wifi)


def sheet_pdf(html):
    """PDF bytes of the sheets."""
    from fieldapp.reports.pdf import render_pdf
    return render_pdf(html, base_url=STATIC)


def site_sheets_pdf(site, base_url, login_village=None, made_by=None):
    """(PDF bytes, number of login cards) of a site's sheets; login cards only when asked."""
    cards = [privacy_card(base_url)] + guide_cards(base_url)
    wifi = wifi_card(site.settings)
    if wifi:
        cards.append(wifi)
    logins = login_cards(site, login_village, base_url, made_by) if login_village else []
    html = sheet_html(site.settings, cards + logins, base_url, missing_wifi=wifi is None)
    return sheet_pdf(html), len(logins)
