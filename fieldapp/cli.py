"""The `fieldapp` command line (SPEC §8)."""
import datetime
import json
import logging
import os
import socket
import sys
import time
import uuid

import click

from fieldapp.site import Site, SiteMissing, create_site_files

__all__ = ["main", "commune_name", "init_site"]


class Context:
    """What every subcommand receives: the data directory."""

    def __init__(self, data_dir):
        self.data_dir = data_dir

    def site(self):
        """Open the site, or fail with a clear message."""
        try:
            return Site(self.data_dir)
        except SiteMissing:
            raise click.ClickException(
                f"{self.data_dir} chưa được khởi tạo: chạy `fieldapp --data {self.data_dir} init` trước.")


@click.group()
@click.option("--data", "data_dir", envvar="FIELDAPP_DATA", default="fieldapp-data",
              show_default=True, type=click.Path(file_okay=False),
              help="Data directory (default $FIELDAPP_DATA, else ./fieldapp-data).")
@click.version_option(package_name="fieldapp")
@click.pass_context
def main(ctx, data_dir):
    """fieldapp: door-to-door campaigns for online public services."""
    ctx.obj = Context(data_dir)


def commune_name(code):
    """The official name of a commune (ward) code, with its province; raise BadParameter."""
    from vietnam_provinces import Province, Ward
    try:
        ward = Ward.from_code(int(code))
    except (ValueError, TypeError):
        raise click.BadParameter(f"{code} không phải mã xã/phường chính thức.", param_hint="--commune") from None
    return ward.name, Province.from_code(ward.province_code).name


def _date(value, name):
    if value is None:
        return None
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter("dạng YYYY-MM-DD", param_hint=name) from None


def init_site(data_dir, site_kind, commune, villages, start, end, period_kind="week"):
    """Create a data directory: settings, session key, Ed25519 site key and, at a commune,
    the X25519 key that villages seal batch files for."""
    from fieldapp.periods import monthly_periods, weekly_periods
    from fieldapp.indicators import DEFAULT_TARGETS
    if os.path.exists(os.path.join(data_dir, "settings.json")):
        raise click.ClickException(f"{data_dir} đã được khởi tạo.")
    name, province = commune_name(commune)
    make = monthly_periods if period_kind == "month" else weekly_periods
    settings = {
        "site": site_kind, "site_id": str(uuid.uuid4()),
        "site_name": villages[0]["name"] if site_kind == "village" else name,
        "commune_code": str(int(commune)), "commune_name": name, "province_name": province,
        "villages": villages, "adult_age": 18, "targets": dict(DEFAULT_TARGETS),
        "campaign": {"name": f"Chiến dịch dịch vụ công trực tuyến {name}",
                     "start": start.isoformat(), "end": end.isoformat(),
                     "periods": [p.as_json() for p in make(start, end)]},
        "wifi": {"ssid": "", "password": ""},
    }
    create_site_files(data_dir, settings)
    try:
        from sync.keys import create_site_key
        create_site_key(data_dir)
        if site_kind == "commune":        # the key villages seal batches for (sync.crypto)
            from sync.crypto import create_box_key
            create_box_key(data_dir)
    except ModuleNotFoundError as error:
        if error.name not in ("sync.keys", "sync.crypto", "sync"):
            raise
    return settings


@main.command()
@click.option("--site", "site_kind", type=click.Choice(["village", "commune"]), required=True,
              help="What this computer is: a village laptop or the commune centre.")
@click.option("--commune", required=True, help="Official commune code (e.g. 25264).")
@click.option("--village-id", help="Village id for a village site, e.g. thon-3.")
@click.option("--village-name", help="Village name for a village site, e.g. 'Thôn 3'.")
@click.option("--adult-population", type=click.IntRange(0, 1_000_000),
              help="Official adult population of the village, if known.")
@click.option("--campaign-start", help="First day of the campaign (YYYY-MM-DD).")
@click.option("--campaign-end", help="Last day of the campaign (YYYY-MM-DD).")
@click.option("--periods", "period_kind", type=click.Choice(["week", "month"]), default="week",
              show_default=True, help="Length of the campaign periods.")
@click.pass_obj
def init(obj, site_kind, commune, village_id, village_name, adult_population,
         campaign_start, campaign_end, period_kind):
    """Initialise the data directory as a village or commune site."""
    from fieldapp.records import VILLAGE_RE
    start = _date(campaign_start, "--campaign-start") or datetime.date.today()
    end = _date(campaign_end, "--campaign-end") or start + datetime.timedelta(days=30)
    if end < start:
        raise click.BadParameter("phải sau ngày bắt đầu", param_hint="--campaign-end")
    villages = []
    if site_kind == "village":
        if not village_id or not village_name:
            raise click.UsageError("Máy của thôn cần --village-id và --village-name.")
        if not VILLAGE_RE.match(village_id):
            raise click.BadParameter("chữ thường không dấu, số và dấu gạch, ví dụ thon-3",
                                     param_hint="--village-id")
        villages = [{"id": village_id, "name": village_name,
                     "adult_population": adult_population, "targets": {}}]
    settings = init_site(obj.data_dir, site_kind, commune, villages, start, end, period_kind)
    click.echo(f"Đã khởi tạo {obj.data_dir}: {settings['site_name']} — "
               f"{settings['commune_name']}, {settings['province_name']} "
               f"(mã {settings['commune_code']}), {len(settings['campaign']['periods'])} đợt.")
    if site_kind == "commune":
        click.echo("Đã tạo khóa mã hóa của xã; `fieldapp commune-key` in khóa công khai "
                   "để chép sang máy của các thôn.")


@main.group()
def user():
    """Manage user accounts."""


@user.command("add")
@click.argument("username")
@click.option("--role", type=click.Choice(["volunteer", "lead", "staff", "admin"]), required=True,
              help="volunteer, lead (village), staff (commune) or admin.")
@click.option("--village", "village_id", help="Village of a volunteer or lead.")
@click.option("--secret", help="6-digit PIN (volunteer, lead) or password; asked if omitted.")
@click.pass_obj
def user_add(obj, username, role, village_id, secret):
    """Add a user."""
    from fieldapp.auth import add_user
    from fieldapp.errors import FieldappError
    site = obj.site()
    if secret is None:
        secret = click.prompt("PIN/mật khẩu", hide_input=True, confirmation_prompt=True)
    try:
        added = add_user(site, username, role, secret, village_id)
    except FieldappError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"Đã thêm {added['username']} ({role}"
               f"{', ' + added['village_id'] if added.get('village_id') else ''}).")


def lan_address():
    """The laptop's address on its Wi-Fi: its first global IPv4 address (nothing is sent)."""
    import subprocess
    try:
        out = subprocess.run(["ip", "-4", "-o", "addr", "show", "scope", "global"],
                             capture_output=True, text=True, timeout=5).stdout
        addresses = [line.split()[3].split("/")[0] for line in out.splitlines()
                     if len(line.split()) > 3]
    except (OSError, subprocess.SubprocessError):
        addresses = []
    if not addresses:
        try:
            infos = socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)
        except OSError:
            infos = []
        addresses = [i[4][0] for i in infos if not i[4][0].startswith("127.")]
    return addresses[0] if addresses else "127.0.0.1"


def terminal_qr(text):
    """A QR code of `text` drawn with characters for the terminal."""
    import io
    import qrcode
    code = qrcode.QRCode(border=1)
    code.add_data(text)
    out = io.StringIO()
    code.print_ascii(out=out, invert=True)
    return out.getvalue()


# waitress for a village laptop: a few dozen phones, each keeping up to 6 connections
# open. Its defaults (100 connections, idle ones kept 120 s) let 110 held-open sockets
# stall every new client for two minutes; poll, not select, has no 1024-descriptor ceiling.
VILLAGE_SERVER = {"connection_limit": 500, "channel_timeout": 30, "cleanup_interval": 10,
                  "backlog": 1024, "asyncore_use_poll": True}


class QueueWarnings(logging.Filter):
    """Lets one "Task queue depth" warning a minute through, counting the ones held back.

    Under a burst waitress warns once per queued request, which would scroll the LAN
    address and QR code off the terminal. Only logger `waitress.queue` is filtered; its
    warnings come from waitress's one dispatching thread.
    """

    def __init__(self, interval=60):
        super().__init__()
        self.interval = interval
        self.quiet_until = 0.0
        self.held = 0

    def filter(self, record):
        now = time.monotonic()
        if now < self.quiet_until:
            self.held += 1
            return False
        depth = record.args[0] if isinstance(record.args, tuple) and record.args else "?"
        record.msg = "Máy đang bận: %s yêu cầu phải xếp hàng chờ"
        record.args = (depth,)
        if self.held:
            record.msg += " (đã bỏ bớt %d lần báo như vậy từ lần báo trước)"
            record.args = (depth, self.held)
        self.quiet_until = now + self.interval
        self.held = 0
        return True


QUEUE_WARNINGS = QueueWarnings()


def run_server(app, host, port, announce=True):
    """Serve the app with waitress; print the address and its QR code."""
    import waitress
    logging.getLogger("waitress.queue").addFilter(QUEUE_WARNINGS)     # added once
    # waitress reads whole bodies up to its own limit; keep it above Flask's so that an
    # oversized request still gets the JSON 413, and only absurd ones are cut by waitress
    server = waitress.create_server(app, host=host, port=port, threads=8,
                                    max_request_body_size=4 * app.config["MAX_CONTENT_LENGTH"],
                                    ident="fieldapp", **VILLAGE_SERVER)
    real_port = server.effective_port
    if announce:
        shown = lan_address() if host in ("0.0.0.0", "") else host
        url = f"http://{shown}:{real_port}/"
        click.echo(f"fieldapp đang chạy: {url}")
        click.echo("Trên điện thoại, nối Wi-Fi của máy này rồi quét mã:")
        click.echo(terminal_qr(url))
    sys.stdout.flush()
    server.run()


@main.command()
@click.option("--host", default="0.0.0.0", show_default=True, help="Address to listen on.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535),
              help="Port to listen on (0 picks a free one).")
@click.pass_obj
def serve(obj, host, port):
    """Serve the site to phones on this laptop's network."""
    from fieldapp import create_app
    obj.site()
    app = create_app({"DATA_DIR": obj.data_dir})
    run_server(app, host, port)


@main.command()
@click.option("--as-of", help="Date of the figures (YYYY-MM-DD); default today.")
@click.option("--json", "as_json", is_flag=True, help="Print the API's indicators object.")
@click.pass_obj
def indicators(obj, as_of, as_json):
    """Print the indicators against their targets."""
    from fieldapp.indicators import site_indicators
    from fieldapp.text import percent
    site = obj.site()
    answer = site_indicators(site, _date(as_of, "--as-of"))
    if as_json:
        click.echo(json.dumps(answer, ensure_ascii=False, indent=1))
        return
    click.echo(f"{site.settings['site_name']} — tính đến {answer['as_of']}")
    for entry in answer["indicators"]:
        mark = {True: "đạt", False: "CHƯA ĐẠT", None: ""}[entry["met"]]
        target = "" if entry["target"] is None else f" / chỉ tiêu {percent(entry['target'], 0)}"
        click.echo(f"  {entry['label']}: {percent(entry['value'])} "
                   f"({entry['numerator']}/{entry['denominator']}){target} {mark}")


@main.command()
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535),
              help="Port of the village site; the commune site uses the next one.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--no-serve", is_flag=True, help="Only build the demo data, do not serve it.")
@click.option("--seed", default=2025, show_default=True, help="Random seed of the demo data.")
@click.pass_obj
def demo(obj, port, host, no_serve, seed):
    """Build a seeded demo commune (villages, weeks of visits) and serve it."""
    from fieldapp.demo import build_demo, serve_demo
    summary = build_demo(obj.data_dir, seed=seed)
    if no_serve:
        click.echo(summary.describe())
    else:
        serve_demo(summary, host, port)     # prints the summary with the addresses


@main.command()
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False),
              help="Backup file to write (.tar.gz).")
@click.pass_obj
def backup(obj, out_path):
    """Make a consistent backup of the data directory, even while the server runs."""
    from fieldapp.backup import make_backup
    obj.site()
    try:
        manifest = make_backup(obj.data_dir, out_path)
    except OSError as error:
        raise click.ClickException(f"Không ghi được tệp sao lưu {out_path}: {error.strerror}.") from None
    click.echo(f"Đã sao lưu {len(manifest['files'])} tệp vào {out_path}.")


@main.command()
@click.argument("archive", type=click.Path(dir_okay=False))
@click.option("--force", is_flag=True,
              help="Replace an existing data directory (it is kept aside, not deleted).")
@click.pass_obj
def restore(obj, archive, force):
    """Restore a backup made by `fieldapp backup` into the data directory."""
    from fieldapp.backup import BackupError, restore_backup
    try:
        aside = restore_backup(archive, obj.data_dir, force)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Đã khôi phục {obj.data_dir} từ {archive}."
               + (f" Dữ liệu cũ được giữ ở {aside}." if aside else ""))
    click.echo("Hãy khởi động lại `fieldapp serve` nếu nó đang chạy.")


for _module in ("sync.cli", "fieldapp.report_cli"):
    try:
        __import__(_module)
    except ModuleNotFoundError as _error:
        if _error.name != _module:
            raise
