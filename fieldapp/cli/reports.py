"""`fieldapp indicators`, `report` and `qr`: the figures, the chairman's report, the QR sheets."""
import json

import click

from fieldapp.cli.common import DAY, click_error
from fieldapp.cli.server import lan_address
from fieldapp.forms.errors import FieldappError

__all__ = ["indicators", "report", "qr", "privacy_report"]


@click.command()
@click.option("--as-of", type=DAY, help="Date of the figures (14/08/2025 or 2025-08-14); default today.")
@click.option("--json", "as_json", is_flag=True, help="Print the API's indicators object.")
@click.pass_obj
def indicators(obj, as_of, as_json):
    """Print the indicators against their targets."""
    from fieldapp.forms.text import percent, target_line, vn_date, vn_number
    from fieldapp.indicators.compute import site_indicators
    site = obj.site()
    answer = site_indicators(site, as_of)
    if as_json:
        click.echo(json.dumps(answer, ensure_ascii=False, indent=1))
        return
    click.echo(f"{site.settings['site_name']} — tính đến {vn_date(answer['as_of'])}")
    for entry in answer["indicators"]:
        mark = {True: "đạt", False: "CHƯA ĐẠT", None: ""}[entry["met"]]
        target = f" / {target_line(entry['target'])}"
        click.echo(f"  {entry['label']}: {percent(entry['value'])} "
                   f"({vn_number(entry['numerator'])}/{vn_number(entry['denominator'])}){target} {mark}")


def _write(path, data):
    try:
        with open(path, "wb") as handle:
            handle.write(data)
    except OSError as error:
        raise click.ClickException(f"Không ghi được {path}: {error.strerror}.") from None


@click.command()
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False),
              help="File to write: .pdf, .docx (Word) or .xlsx (Excel).")
@click.option("--period", type=click.IntRange(1, 1000),
              help="Campaign period (week) number; default the latest started period.")
@click.option("--as-of", type=DAY,
              help="Cut-off date (14/08/2025 or 2025-08-14); default the period's end or today.")
@click.option("--issuer", help="Save the issuing body (e.g. 'UBND XÃ PHÚ RIỀNG'); '' clears it.")
@click.option("--symbol", help="Save the number's symbol (e.g. 'BC-UBND').")
@click.option("--signer-capacity", help="Save the signer's capacity (e.g. 'KT. CHỦ TỊCH').")
@click.option("--signer-title", help="Save the signer's title (e.g. 'PHÓ CHỦ TỊCH').")
@click.option("--signer-name", help="Save the signer's full name.")
@click.option("--recipient", "recipients", multiple=True,
              help="Save the recipients (Nơi nhận), one option each; replaces the list.")
@click.pass_obj
def report(obj, out_path, period, as_of, recipients, **document):
    """Write the progress report to the chairman as PDF, Word or Excel (by extension): the
    commune's, or on a province site the province's."""
    from fieldapp.reports.formats import MIME, site_report
    kind = out_path.lower().rsplit(".", 1)[-1]
    if kind not in MIME:
        raise click.BadParameter("phải kết thúc bằng .pdf, .docx hoặc .xlsx", param_hint="--out")
    site = obj.site()
    given = {k: v for k, v in document.items() if v is not None}
    if recipients:
        given["recipients"] = list(recipients)
    if given:
        from fieldapp.reports.decree30 import clean_document, save_document
        clean, errors = clean_document(given)
        if errors:
            key, message = next(iter(errors.items()))
            hint = "--recipient" if key == "recipients" else "--" + key.replace("_", "-")
            raise click.BadParameter(message, param_hint=hint)
        save_document(site, clean)
    try:
        pdf = site_report(site, kind, period, as_of)
    except FieldappError as error:
        raise click_error(error) from None
    _write(out_path, pdf)
    click.echo(f"Đã ghi báo cáo vào {out_path}.")


@click.command()
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False),
              help="PDF file to write.")
@click.option("--base-url", help="Address of this site on its Wi-Fi; default the one "
                                 "`fieldapp serve` last served on, else http://<LAN address>:8080.")
@click.option("--login-cards", is_flag=True,
              help="Village site: add a new one-time login card for every active volunteer.")
@click.pass_obj
def qr(obj, out_path, base_url, login_cards):
    """Write A4 sheets of guide cards, the Wi-Fi card and (optionally) login cards."""
    from fieldapp.reports.qrsheet import site_sheets_pdf
    site = obj.site()
    base_url = base_url or site.settings.get("served_url") or f"http://{lan_address()}:8080"
    if not base_url.startswith(("http://", "https://")):
        raise click.BadParameter("phải bắt đầu bằng http:// hoặc https://", param_hint="--base-url")
    village = None
    if login_cards:
        if site.kind != "village" or len(site.village_ids) != 1:
            raise click.UsageError("Thẻ đăng nhập chỉ in được trên máy của thôn.")
        village = site.village_ids[0]
    try:
        pdf, logins = site_sheets_pdf(site, base_url, village, made_by="fieldapp qr")
    except FieldappError as error:
        raise click_error(error) from None
    _write(out_path, pdf)
    if not (site.settings.get("wifi") or {}).get("ssid"):
        click.echo("Chưa có tên Wi-Fi trong cài đặt: tờ in không có thẻ Wi-Fi.")
    click.echo(f"Đã ghi thẻ vào {out_path} (địa chỉ {base_url}"
               f"{f', {logins} thẻ đăng nhập' if login_cards else ''}).")


@click.command("privacy-report")
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False),
              help="PDF file to write.")
@click.pass_obj
def privacy_report(obj, out_path):
    """Write the record of processing and impact-assessment summary (Law 91/2025/QH15,
    Decree 356/2025/NĐ-CP) from this site's own settings and data, as PDF."""
    from fieldapp import audit
    from fieldapp.reports.privacy import render_privacy_pdf
    if not out_path.lower().endswith(".pdf"):
        raise click.BadParameter("phải kết thúc bằng .pdf", param_hint="--out")
    site = obj.site()
    if site.kind not in ("village", "commune"):
        raise click.ClickException("Máy của tỉnh chỉ giữ số liệu tổng hợp của các xã, không "
                                   "giữ dữ liệu cá nhân của người dân: hồ sơ này lập ở máy "
                                   "của xã hoặc của thôn.")
    _write(out_path, render_privacy_pdf(site))
    audit.record(site, "cli", "privacy_report")
    click.echo(f"Đã ghi hồ sơ xử lý dữ liệu cá nhân vào {out_path}.")
