"""What the commands share: the date option type, showing a domain error, and how a
file is sealed for the tier above (its key, its name, the command that keeps it)."""
import click

from fieldapp.forms.errors import FieldappError

__all__ = ["Day", "DAY", "click_error", "TIERS", "batch_file_name", "sealing_key",
           "import_each", "shown_plainly", "key_command", "sealing_options",
           "push_address", "remember_push", "push_refusal"]


class Day(click.ParamType):
    """A day typed as 14/08/2025 (how people write it) or 2025-08-14; gives a date."""
    name = "ngày"

    def get_metavar(self, param, ctx=None):
        return "dd/mm/yyyy"

    def convert(self, value, param, ctx):
        import datetime

        from fieldapp.indicators.periods import parse_day
        if isinstance(value, datetime.date):
            return value
        try:
            return parse_day(value, typed=True)
        except FieldappError as error:
            self.fail(error.message, param, ctx)


DAY = Day()


def click_error(error):
    """The click error that shows a domain error: its Vietnamese message, exit status 1."""
    return click.ClickException(error.message)


# (whose key, the command that stores it) of the tier a file is sealed for
TIERS = {"commune": ("của xã", "commune-key"), "province": ("của tỉnh", "province-key")}


def sealing_options(at):
    """The --encrypt/--no-encrypt and --to options of a command that writes a file sealed
    for the tier `at` (`export` for the commune, `rollup` for the province)."""
    whose = {"commune": "commune's", "province": "province's"}[at]
    command = TIERS[at][1]
    encrypt = click.option(
        "--encrypt/--no-encrypt", default=None,
        help=f"Seal the file for the {whose} public key (see `fieldapp {command}`). Default: "
             "sealed whenever that key is known, plain JSON otherwise; --encrypt refuses to "
             "write without a key.")
    to = click.option("--to", "to_key", help=f"The {whose} public key, if not set in the "
                                            "settings.")
    return lambda command_function: encrypt(to(command_function))


# what `key_command(site, key, at)` says of the tier `at`: the tier below it that stores
# its key, the command that writes files sealed for it, and what those files hold
_KEY_WORDS = {"commune": ("các thôn", "export", "lô"),
              "province": ("các xã", "rollup", "số liệu")}


def key_command(site, key, at):
    """`fieldapp commune-key` (`at="commune"`) or `province-key` (`at="province"`): on
    the site of the tier `at`, print its public key (refusing a KEY); elsewhere print the
    stored key of that tier, or with KEY check and store it."""
    from sync import crypto
    whose, command = TIERS[at]
    below, writes, holds = _KEY_WORDS[at]
    if site.kind == at:
        if key:
            raise click.ClickException(f"Máy {whose} không nhận khóa: lệnh này in khóa {whose} "
                                       f"để chép sang máy của {below}.")
        public = crypto.create_box_key(site.data_dir)
        click.echo(public)
        click.echo(f"Dấu vân tay: {crypto.fingerprint(public)}", err=True)
        return
    setting = f"{at}_public_key"
    if not key:
        current = site.settings.get(setting)
        if not current:
            raise click.ClickException(f"Chưa có khóa công khai {whose}. Ở máy {whose} chạy "
                                       f"`fieldapp {command}`, rồi ở đây `fieldapp "
                                       f"{command} KHÓA`.")
        click.echo(current)
        click.echo(f"Dấu vân tay: {crypto.fingerprint(current)}", err=True)
        return
    try:
        crypto.parse_public_key(key, at)
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    site.update_settings(lambda settings: settings.update({setting: key.strip()}))
    click.echo(f"Đã lưu khóa {whose} (dấu vân tay {crypto.fingerprint(key.strip())}); từ "
               f"nay `fieldapp {writes}` và `fieldapp push` mã hóa {holds} cho khóa này.")


# the tier's name, and the button of the page that pushes to it
_PUSH_WORDS = {"commune": ("xã", "“Gửi qua mạng” ở trang Gửi lên xã"),
               "province": ("tỉnh", "“Gửi lên tỉnh” ở trang Gửi lên tỉnh")}


def push_address(site, url, token, check, at):
    """The (URL, token) that `fieldapp push` sends to the tier `at` with: the ones given,
    else the ones saved with --save. `check(url)` raises a domain error for an address
    that is not the tier's; a missing or bad one is a usage error."""
    from sync.push import saved_push
    saved = saved_push(site.settings) or (None, None)
    url, token = url or saved[0], token or saved[1]
    if not url or not token:
        name = _PUSH_WORDS[at][0]
        raise click.UsageError(f"Cần địa chỉ máy của {name} và --token (mã gửi do cán bộ "
                               f"{name} cấp); thêm --save để máy nhớ cho các lần sau.")
    try:
        check(url)
    except FieldappError as error:
        raise click.BadParameter(error.message, param_hint="URL") from None
    return url, token


def remember_push(site, url, token, at):
    """`push --save`: keep the URL and token for the next pushes (and the page's button)."""
    site.update_settings(lambda settings: settings.update(push={"url": url, "token": token}))
    click.echo("Đã lưu địa chỉ và mã gửi: lần sau chỉ cần `fieldapp push`, hoặc nút "
               f"{_PUSH_WORDS[at][1]}.")


def push_refusal(error, at):
    """The click error of a push the tier `at` refused (a sync.push.PushFailed): its
    message, with how to check the tier's key when it could not open the sealed body."""
    message = error.message
    if error.problem == "encrypted":
        whose, command = TIERS[at]
        message += (f" Kiểm tra khóa {whose}: ở máy {whose} chạy `fieldapp {command}`, rồi "
                    f"ở đây `fieldapp {command} KHÓA`.")
    return click.ClickException(message)


def batch_file_name(out, sealed, at="commune"):
    """The file name to write: a sealed batch (or roll-up) always ends in .enc, a plain
    one never.

    A sealed file named .json or .json.gz would mislead whoever opens it, so its
    extension is replaced (X.json.gz -> X.enc); a plain batch asked for as .enc is refused.
    """
    out = str(out)
    if not sealed:
        if out.lower().endswith(".enc"):
            whose, command = TIERS[at]
            raise click.ClickException(
                f"{out}: tệp .enc là tệp đã mã hóa, nhưng máy chưa có khóa {whose} để mã "
                f"hóa. Lưu khóa bằng `fieldapp {command} KHÓA`, hoặc đặt tên .json hay "
                ".json.gz.")
        return out
    if out.lower().endswith(".enc"):
        return out
    for suffix in (".json.gz", ".json", ".gz"):
        if out.lower().endswith(suffix):
            return out[:-len(suffix)] + ".enc"
    return out + ".enc"


def sealing_key(site, encrypt, to_key, at="commune"):
    """The public key (of the commune, or with `at="province"` of the province) to seal
    a batch or roll-up for, or None to send it plain.

    `encrypt` is True (required), False (plain) or None (seal when the key is known);
    a key given with --to seals. Raise ClickException for a missing or bad key, or for
    --no-encrypt with --to.
    """
    from sync import crypto
    if to_key and encrypt is False:
        raise click.ClickException("--no-encrypt và --to mâu thuẫn nhau: bỏ một trong hai.")
    if encrypt is False:
        return None
    try:
        key = crypto.sealing_key(site.settings, to_key, at)
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    if key is None and encrypt:
        whose, command = TIERS[at]
        raise click.ClickException(f"Chưa có khóa công khai {whose}: chạy `fieldapp "
                                   f"{command} KHÓA` hoặc dùng --to KHÓA.")
    return key


def import_each(site, paths, import_one, refused_action, imported):
    """Import files one by one, one line each: `import_one(path)` gives a receipt (or
    raises OSError or a domain error, audited as `refused_action`), `imported(path,
    receipt)` audits and shows a success. Return (failed count, receipts imported)."""
    from fieldapp import audit
    failed, receipts = 0, []
    for path in paths:
        try:
            receipt = import_one(path)
        except OSError as error:
            failed += 1
            click.echo(f"{path}: LỖI — không đọc được tệp ({error.strerror}).")
        except FieldappError as error:
            failed += 1
            audit.record(site, "cli", refused_action)
            click.echo(f"{path}: TỪ CHỐI — {error.message}")
        else:
            receipts.append(receipt)
            imported(path, receipt)
    return failed, receipts


def shown_plainly(found, as_json, empty):
    """Echo `found` as one JSON object per line (with --json), or `empty` when there is
    nothing; True when that is all to show, False when the caller lists it as a table."""
    import json
    if as_json:
        for entry in found:
            click.echo(json.dumps(entry, ensure_ascii=False))
        return True
    if not found:
        click.echo(empty)
        return True
    return False
