"""`fieldapp export`, `commune-key`, `import` and `push`: batches by USB and HTTP (SPEC §7, §8)."""
import os

import click

from fieldapp.cli.common import (DAY, batch_file_name, click_error, import_each, key_command,
                                 push_address, push_refusal, remember_push, sealing_key,
                                 sealing_options)
from fieldapp.forms.errors import FieldappError
from fieldapp.forms.text import vn_number

__all__ = ["export", "commune_key", "import_files", "push"]


@click.command()
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, writable=True),
              help="Batch file to write: sealed for the commune when its key is known "
                   "(name it .enc), else plain JSON (.json, or .json.gz to compress).")
@click.option("--all", "all_versions", is_flag=True,
              help="Export every version, not only the changes since the last export.")
@sealing_options("commune")
@click.pass_obj
def export(obj, out, all_versions, encrypt, to_key):
    """Write this village's changes as a signed batch file (e.g. onto a USB stick).

    Once the commune's public key is known (`fieldapp commune-key KEY`), the file is sealed
    for it, so a lost USB stick shows nobody's name or phone number; `--no-encrypt`
    writes the plain batch (`.json`, or `.json.gz` compressed)."""
    from sync.export import export_batch, mark_exported, write_batch_file
    site = obj.site()
    to_key = sealing_key(site, encrypt, to_key)
    encrypt = to_key is not None
    asked = out
    from fieldapp.cli.retention import phones_if_needed
    phones_if_needed(site, "cli")
    out = batch_file_name(out, sealed=encrypt)
    try:
        batch = export_batch(site, all_versions=all_versions, remember=False)
    except FieldappError as error:
        raise click_error(error) from None
    try:
        if encrypt:
            from storage.durable import atomic_write_bytes
            from sync import crypto
            from sync.batch import batch_bytes, gzip_bytes
            sealed = crypto.seal(gzip_bytes(batch_bytes(batch)), to_key)
            atomic_write_bytes(str(out), sealed)
            size = len(sealed)
        else:
            size = write_batch_file(batch, out)
    except OSError as error:
        raise click.ClickException(f"Không ghi được {out}: {error.strerror}.") from None
    from sync.erasures import unsent
    erased = len(unsent(site, batch))      # erasures no earlier file carried
    mark_exported(site, batch, destination=os.path.abspath(out))
    from fieldapp import audit
    audit.record(site, "cli", "export.cli", batch_id=batch["batch_id"],
                 count=batch["record_count"], sealed=encrypt)
    if out != asked:
        click.echo(f"Tệp đã mã hóa nên được ghi là {out} (không phải {asked}).")
    sealed_note = ", đã mã hóa cho máy của xã." if encrypt else \
        ", chưa mã hóa (lưu khóa của xã bằng `fieldapp commune-key KHÓA` để mã hóa)."
    if erased:
        sealed_note = f"; lô mang {vn_number(erased)} yêu cầu xóa dữ liệu" + sealed_note
    if batch["record_count"] == 0:
        click.echo(f"Không có thay đổi mới kể từ lần xuất trước; đã ghi lô rỗng vào {out}"
                   + sealed_note)
        return
    scope = "toàn bộ dữ liệu" if all_versions else \
        f"các thay đổi #{vn_number(batch['since_seq'] + 1)}–#{vn_number(batch['until_seq'])}"
    click.echo(f"Đã xuất {vn_number(batch['record_count'])} bản ghi ({scope}) vào {out} "
               f"({vn_number(max(1, size // 1024))} kB)" + sealed_note)


@click.command("commune-key")
@click.argument("key", required=False)
@click.pass_obj
def commune_key(obj, key):
    """At the commune: print the public key that villages seal batch files for.
    At a village: `commune-key KEY` stores the commune's key for `export` and `push`
    (which then seal every batch they write or send)."""
    key_command(obj.site(), key, at="commune")


@click.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.pass_context
def import_files(ctx, files):
    """Import batch files at the commune (roll-ups of communes at the province); one line
    per file. Exit 1 unless every file was imported (or had been): a refused batch, or one
    held until staff approve a new laptop for its village."""
    from sync.batch import open_batch_file
    from fieldapp import audit
    from sync.transfer import import_batch
    site = ctx.obj.site()
    if site.kind == "province":             # a province takes its communes' roll-ups
        from fieldapp.cli.rollups import import_rollup_files
        ctx.exit(1 if import_rollup_files(site, files) else 0)

    def import_one(path):
        return import_batch(site, open_batch_file(path), source=f"file:{os.path.basename(path)}")

    def imported(path, receipt):
        audit.record(site, "cli", "import.cli.held" if receipt.held else "import.cli.ok",
                     batch_id=receipt.batch_id, count=receipt.record_count,
                     new=receipt.new, duplicate=receipt.duplicate,
                     **({"erased": receipt.erased} if receipt.erased else {}))
        click.echo(f"{path}: {'CHỜ DUYỆT — ' if receipt.held else ''}{receipt.summary()}")

    failed, receipts = import_each(site, files, import_one, "import.cli.refused", imported)
    held = sum(receipt.held for receipt in receipts)
    if held:
        click.echo(f"{held} lô chưa được nhận vì đang chờ duyệt máy mới: mở trang “Máy mới "
                   "chờ duyệt” (/commune/sites) trên máy của xã để so dấu vân tay khóa.")
    if failed or held:
        ctx.exit(1)


@click.command()
@click.argument("url", required=False)
@click.option("--token", envvar="FIELDAPP_PUSH_TOKEN",
              help="Push token issued by commune staff for this village ($FIELDAPP_PUSH_TOKEN).")
@click.option("--save", is_flag=True,
              help="Remember URL and token, so later pushes (and the lead's /export page "
                   "button) need neither.")
@click.option("--all", "all_versions", is_flag=True, help="Send every version, not only changes.")
@click.option("--encrypt/--no-encrypt", default=None,
              help="Seal the batch for the commune's public key. Default: sealed whenever "
                   "the key is known (`fieldapp commune-key KEY`), plain otherwise; "
                   "--encrypt refuses to send without a key.")
@click.option("--to", "to_key", help="The commune's public key, if not set in the settings.")
@click.option("--timeout", default=120, show_default=True, type=click.IntRange(1, 3600),
              help="Seconds to wait for the commune.")
@click.option("--as-of", type=DAY, help="At a commune: the date of the roll-up's figures "
                                        "(14/08/2025 or 2025-08-14); default today.")
@click.pass_obj
def push(obj, url, token, save, all_versions, encrypt, to_key, timeout, as_of):
    """Send this village's changes to the commune centre over the network; at a commune,
    send its roll-up to the province (always whole, so --all changes nothing there).

    URL and token default to the ones saved with `--save`. A village LAN is plain HTTP:
    anyone on the Wi-Fi can read what passes. So once the commune's public key is known
    (`fieldapp commune-key KEY`), the batch is sealed for it, exactly as `export` seals a
    USB file, and only the commune can open it. The changes count as sent only when the
    commune has answered with its receipt. A commune seals its roll-up for the province's
    key the same way (`fieldapp province-key KEY`).
    """
    from sync.push import PushFailed, endpoint, push_changes
    site = obj.site()
    if site.kind == "commune":
        from fieldapp.cli.province_push import push_to_province
        push_to_province(site, url, token, save, encrypt, to_key, timeout, as_of)
        return
    if site.kind == "province":
        raise click.ClickException("Máy của tỉnh không gửi lên đâu: các xã gửi số liệu lên "
                                   "đây (`fieldapp push-token issue MÃ_XÃ`).")
    if as_of is not None:
        raise click.UsageError("--as-of chỉ dùng ở máy của xã (ngày của số liệu gửi tỉnh).")
    url, token = push_address(site, url, token, endpoint, at="commune")
    to_key = sealing_key(site, encrypt, to_key)
    from fieldapp.cli.retention import phones_if_needed
    phones_if_needed(site, "cli")
    if save:
        remember_push(site, url, token, at="commune")
    try:
        answer, batch = push_changes(site, url, token, to_key=to_key,
                                     all_versions=all_versions, timeout=timeout)
    except PushFailed as error:
        from fieldapp import audit
        audit.record(site, "cli", "push.cli.refused", problem=error.problem)
        raise push_refusal(error, at="commune") from None
    except FieldappError as error:
        raise click_error(error) from None
    from fieldapp import audit
    audit.record(site, "cli", "push.cli", batch_id=batch["batch_id"],
                 count=batch["record_count"], sealed=to_key is not None)
    click.echo(answer.get("message") or "Máy của xã đã nhận lô.")
    if to_key is not None:
        click.echo("Lô đã được mã hóa cho khóa của xã trước khi gửi.")
