"""`fieldapp report` and `fieldapp qr`: the chairman's report and the printable QR sheets."""
import atexit
import datetime
import gc

import click

from fieldapp.cli import lan_address, main
from fieldapp.errors import FieldappError

__all__ = ["report", "qr"]


def _exit_without_collecting():
    """Let this process end without the interpreter's final garbage collections.

    A PDF command imports WeasyPrint, fontTools and Pillow: ~85 000 objects that
    Python's shutdown traverses in several full collections (~0.15 s) just before the
    process frees everything anyway. Frozen objects are not traversed; atexit runs
    first in the shutdown, so nothing is frozen while the command still works.
    """
    atexit.unregister(gc.freeze)
    atexit.register(gc.freeze)


def _write(path, data):
    try:
        with open(path, "wb") as handle:
            handle.write(data)
    except OSError as error:
        raise click.ClickException(f"Không ghi được {path}: {error.strerror}.") from None


@main.command()
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False),
              help="PDF file to write.")
@click.option("--period", type=click.IntRange(1, 1000),
              help="Campaign period (week) number; default the latest started period.")
@click.option("--as-of", help="Cut-off date (YYYY-MM-DD); default the period's end or today.")
@click.pass_obj
def report(obj, out_path, period, as_of):
    """Write the progress report to the commune chairman as PDF."""
    from fieldapp.report import site_report_pdf
    site = obj.site()
    day = None
    if as_of:
        try:
            day = datetime.date.fromisoformat(as_of)
        except ValueError:
            raise click.BadParameter("dạng YYYY-MM-DD", param_hint="--as-of") from None
    try:
        pdf = site_report_pdf(site, period, day)
    except FieldappError as error:
        raise click.ClickException(error.message) from None
    _write(out_path, pdf)
    _exit_without_collecting()
    click.echo(f"Đã ghi báo cáo vào {out_path}.")


@main.command()
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False),
              help="PDF file to write.")
@click.option("--base-url", help="Address of this laptop on its Wi-Fi; "
                                 "default http://<LAN address>:8080.")
@click.option("--login-cards", is_flag=True,
              help="Village site: add a new one-time login card for every active volunteer.")
@click.pass_obj
def qr(obj, out_path, base_url, login_cards):
    """Write A4 sheets of guide cards, the Wi-Fi card and (optionally) login cards."""
    from fieldapp.qrsheet import site_sheets_pdf
    site = obj.site()
    base_url = base_url or f"http://{lan_address()}:8080"
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
        raise click.ClickException(error.message) from None
    _write(out_path, pdf)
    _exit_without_collecting()
    if not (site.settings.get("wifi") or {}).get("ssid"):
        click.echo("Chưa có tên Wi-Fi trong cài đặt: tờ in không có thẻ Wi-Fi.")
    click.echo(f"Đã ghi thẻ vào {out_path} (địa chỉ {base_url}"
               f"{f', {logins} thẻ đăng nhập' if login_cards else ''}).")
