"""`fieldapp init`, `user add`, `backup` and `restore`: making and keeping a site."""
import datetime

import click

from fieldapp.cli.common import DAY, click_error
from fieldapp.forms.errors import FieldappError
from fieldapp.forms.text import vn_number
from fieldapp.indicators.periods import period_word

__all__ = ["init", "user", "backup", "restore"]


@click.command()
@click.option("--site", "site_kind", type=click.Choice(["village", "commune", "province"]),
              required=True, help="What this computer is: a village laptop, the commune "
                                  "centre or the province.")
@click.option("--commune", help="Official commune code (e.g. 25264); village and commune.")
@click.option("--province", help="Official province code (e.g. 75, Đồng Nai); province only.")
@click.option("--village-id", help="Village id for a village site, e.g. thon-3.")
@click.option("--village-name", help="Village name for a village site, e.g. 'Thôn 3'.")
@click.option("--adult-population", type=click.IntRange(0, 1_000_000),
              help="Official adult population of the village, if known.")
@click.option("--campaign-start", type=DAY,
              help="First day of the campaign (14/08/2025 or 2025-08-14); default today.")
@click.option("--campaign-end", type=DAY,
              help="Last day of the campaign; default 30 days after the start.")
@click.option("--periods", "period_kind", type=click.Choice(["week", "month"]), default="week",
              show_default=True, help="Length of the campaign periods.")
@click.pass_obj
def init(obj, site_kind, commune, province, village_id, village_name, adult_population,
         campaign_start, campaign_end, period_kind):
    """Initialise the data directory as a village, commune or province site."""
    from fieldapp.forms.versions import VILLAGE_RE
    start = campaign_start or datetime.date.today()
    end = campaign_end or start + datetime.timedelta(days=30)
    if end < start:
        raise click.BadParameter("phải sau ngày bắt đầu", param_hint="--campaign-end")
    if site_kind == "province":
        _init_province(obj, province, commune, start, end, period_kind)
        return
    if not commune or province:
        raise click.UsageError("Máy của thôn và của xã cần --commune MÃ-XÃ (không dùng "
                               "--province).")
    villages = []
    if site_kind == "village":
        if not village_id or not village_name:
            raise click.UsageError("Máy của thôn cần --village-id và --village-name.")
        if not VILLAGE_RE.match(village_id):
            raise click.BadParameter("chữ thường không dấu, số và dấu gạch, ví dụ thon-3",
                                     param_hint="--village-id")
        villages = [{"id": village_id, "name": village_name,
                     "adult_population": adult_population, "targets": {}}]
    from fieldapp.site import init_site
    try:
        settings = init_site(obj.data_dir, site_kind, commune, villages, start, end, period_kind)
    except FieldappError as error:
        raise click_error(error) from None
    click.echo(f"Đã khởi tạo {obj.data_dir}: {settings['site_name']} — "
               f"{settings['commune_name']}, {settings['province_name']} "
               f"(mã {settings['commune_code']}), {len(settings['campaign']['periods'])} "
               f"{period_word(settings['campaign'])}.")
    if site_kind == "commune":
        click.echo("Đã tạo khóa mã hóa của xã; `fieldapp commune-key` in khóa công khai "
                   "để chép sang máy của các thôn.")


def _init_province(obj, province, commune, start, end, period_kind):
    from fieldapp.site import init_province_site
    if not province or commune:
        raise click.UsageError("Máy của tỉnh cần --province MÃ-TỈNH (không dùng --commune).")
    try:
        settings = init_province_site(obj.data_dir, province, start, end, period_kind)
    except FieldappError as error:
        raise click_error(error) from None
    click.echo(f"Đã khởi tạo {obj.data_dir}: {settings['province_name']} (mã "
               f"{settings['province_code']}), {vn_number(len(settings['communes']))} xã, "
               f"phường theo danh mục chính thức, "
               f"{len(settings['campaign']['periods'])} "
               f"{'tháng' if period_kind == 'month' else 'tuần'}.")


@click.group()
def user():
    """Manage user accounts."""


@user.command("add")
@click.argument("username")
@click.option("--role", type=click.Choice(["volunteer", "lead", "staff", "admin"]), required=True,
              help="volunteer, lead (village), staff (commune) or admin.")
@click.option("--village", "village_id", help="Village of a volunteer or lead.")
@click.option("--secret", help="6-digit PIN (volunteer, lead) or password; asked if omitted.")
@click.option("--name", "full_name",
              help="The holder's full name (staff, admin; a volunteer's is on the roster).")
@click.pass_obj
def user_add(obj, username, role, village_id, secret, full_name):
    """Add a user."""
    from fieldapp.auth.accounts import add_user
    site = obj.site()
    if secret is None:
        secret = click.prompt("PIN/mật khẩu", hide_input=True, confirmation_prompt=True)
    try:
        added = add_user(site, username, role, secret, village_id, full_name=full_name)
    except FieldappError as error:
        raise click_error(error) from None
    click.echo(f"Đã thêm {added['username']}{' (' + added['full_name'] + ')' if full_name else ''}"
               f" ({role}{', ' + added['village_id'] if added.get('village_id') else ''}).")


@user.command("name")
@click.argument("username")
@click.argument("full_name")
@click.pass_obj
def user_name(obj, username, full_name):
    """Set the full name of the person holding an account (shown instead of the login)."""
    from fieldapp import audit
    from fieldapp.auth.accounts import set_full_name
    site = obj.site()
    try:
        set_full_name(site, username, full_name)
    except FieldappError as error:
        raise click_error(error) from None
    audit.record(site, "cli", "user.name", user=username)
    click.echo(f"Đã ghi họ và tên cho {username}.")


PASSPHRASE_ENV = "FIELDAPP_BACKUP_PASSPHRASE"


def _passphrase(passphrase_file, confirm):
    """The backup passphrase: from --passphrase-file (its first line), else
    $FIELDAPP_BACKUP_PASSPHRASE, else asked (hidden; twice when making a backup)."""
    import os
    if passphrase_file:
        try:
            with open(passphrase_file, encoding="utf-8") as handle:
                return handle.readline(4096).rstrip("\r\n")
        except (OSError, UnicodeDecodeError) as error:
            raise click.ClickException(f"Không đọc được tệp cụm mật khẩu {passphrase_file}: "
                                       f"{getattr(error, 'strerror', None) or error}.") from None
    if os.environ.get(PASSPHRASE_ENV):
        return os.environ[PASSPHRASE_ENV]
    return click.prompt("Cụm mật khẩu của bản sao lưu", hide_input=True,
                        confirmation_prompt="Nhập lại cụm mật khẩu" if confirm else False)


_PASSPHRASE_FILE = click.option(
    "--passphrase-file", type=click.Path(dir_okay=False),
    help=f"Read the passphrase from the first line of this file (for scripts); else "
         f"${PASSPHRASE_ENV}, else it is asked.")


@click.command()
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False),
              help="Backup file to write (encrypted, e.g. sao-luu.fieldapp-backup).")
@_PASSPHRASE_FILE
@click.pass_obj
def backup(obj, out_path, passphrase_file):
    """Make a consistent, passphrase-encrypted backup of the data directory, even while
    the server runs."""
    from fieldapp.backup import BackupError, make_backup
    obj.site()
    passphrase = _passphrase(passphrase_file, confirm=True)
    try:
        manifest = make_backup(obj.data_dir, out_path, passphrase)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    except OSError as error:
        raise click.ClickException(f"Không ghi được tệp sao lưu {out_path}: {error.strerror}.") from None
    from fieldapp import audit
    audit.record(obj.site(), "cli", "backup", count=len(manifest["files"]))
    click.echo(f"Đã sao lưu {vn_number(len(manifest['files']))} tệp vào {out_path} (đã mã hóa). "
               "Hãy giữ cụm mật khẩu ở nơi khác: không có nó thì không khôi phục được.")


@click.command()
@click.argument("archive", type=click.Path(dir_okay=False))
@click.option("--force", is_flag=True,
              help="Replace an existing data directory (it is kept aside, not deleted).")
@_PASSPHRASE_FILE
@click.option("--unencrypted-legacy", is_flag=True,
              help="Also accept a backup made before backups were encrypted (.tar.gz).")
@click.pass_obj
def restore(obj, archive, force, passphrase_file, unencrypted_legacy):
    """Restore a backup made by `fieldapp backup` into the data directory."""
    import os

    from fieldapp.backup import BackupError, restore_backup
    from fieldapp.backup_box import is_encrypted
    if os.path.exists(os.path.join(obj.data_dir, "settings.json")) and not force:
        raise click.ClickException(f"{obj.data_dir} đang có dữ liệu; dùng --force để thay bằng "
                                   "bản sao lưu (dữ liệu cũ được giữ lại bên cạnh).")
    try:
        with open(archive, "rb") as handle:
            encrypted = is_encrypted(handle.read(16))
    except OSError:
        encrypted = False          # restore_backup says what is wrong with the path
    passphrase = _passphrase(passphrase_file, confirm=False) if encrypted else None
    try:
        aside = restore_backup(archive, obj.data_dir, force, passphrase, unencrypted_legacy)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    from fieldapp import audit
    audit.record(obj.site(), "cli", "restore" + ("" if encrypted else ".legacy"))
    click.echo(f"Đã khôi phục {obj.data_dir} từ {archive}."
               + (f" Dữ liệu cũ được giữ ở {aside}." if aside else ""))
    click.echo("Hãy khởi động lại `fieldapp serve` nếu nó đang chạy.")
