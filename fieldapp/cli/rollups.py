"""`fieldapp rollup`: the commune's aggregate batch for the province (SPEC §7a)."""
import click

from fieldapp.cli.common import DAY, import_each, sealing_options
from fieldapp.forms.text import vn_date, vn_number

__all__ = ["rollup", "import_rollup_files", "dhis2"]


@click.command()
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, writable=True),
              help="Roll-up file to write: sealed for the province when its key is known "
                   "(named .enc), else plain JSON (.json, or .json.gz to compress).")
@click.option("--as-of", type=DAY, help="Date of the figures (14/08/2025 or 2025-08-14); "
                                        "default today.")
@sealing_options("province")
@click.pass_obj
def rollup(obj, out, as_of, encrypt, to_key):
    """Write the commune's figures for the province: per village and period, each
    indicator's numerator and denominator, and the one-stop shop's figures; signed with
    this site's key. It never holds a name, phone number, record id or note. Once the
    province's key is stored (`fieldapp province-key KEY`), the file is sealed for it
    (.enc), exactly as a village seals its batches for the commune."""
    from fieldapp import audit
    from fieldapp.cli.common import batch_file_name, sealing_key
    from fieldapp.province.rollup import make_rollup
    from storage.durable import atomic_write_bytes
    from sync import crypto
    from sync.batch import gzip_bytes
    from sync.rollup import rollup_bytes
    site = obj.site()
    if site.kind != "commune":
        raise click.ClickException("Chỉ máy của xã mới lập số liệu tổng hợp gửi tỉnh; máy "
                                   "của thôn gửi dữ liệu lên xã bằng `fieldapp export`.")
    to_key = sealing_key(site, encrypt, to_key, at="province")
    asked, out = out, batch_file_name(out, sealed=to_key is not None, at="province")
    made = make_rollup(site, as_of)
    body = rollup_bytes(made)
    if to_key is not None:
        body = crypto.seal(gzip_bytes(body), to_key)
    elif str(out).lower().endswith(".gz"):
        body = gzip_bytes(body)
    try:
        atomic_write_bytes(str(out), body)
    except OSError as error:
        raise click.ClickException(f"Không ghi được {out}: {error.strerror}.") from None
    audit.record(site, "cli", "rollup.cli", rollup_id=made["rollup_id"],
                 count=len(made["villages"]), sealed=to_key is not None)
    if out != asked:
        click.echo(f"Tệp đã mã hóa nên được ghi là {out} (không phải {asked}).")
    periods = len(made["campaign"]["periods"])
    click.echo(f"Đã ghi số liệu tổng hợp của {made['commune_name']} tính đến "
               f"{vn_date(made['as_of'])}: {vn_number(len(made['villages']))} thôn, "
               f"{vn_number(periods)} {'tháng' if made['campaign']['period_kind'] == 'month' else 'tuần'} "
               f"vào {out}{', đã mã hóa cho máy của tỉnh' if to_key else ''}. Tệp chỉ có số "
               "đếm, không có tên hay số điện thoại của ai.")


def import_rollup_files(site, paths):
    """Import roll-up files at a province, one line each; return how many failed."""
    from fieldapp import audit
    from fieldapp.province.store import import_rollup
    from sync.rollup import MAX_ROLLUP_BYTES

    def import_one(path):
        with open(path, "rb") as handle:
            raw = handle.read(MAX_ROLLUP_BYTES + 1)      # a larger file is refused unread
        return import_rollup(site, raw)

    def imported(path, receipt):
        audit.record(site, "cli", f"rollup.import.{receipt.outcome}",
                     rollup_id=receipt.rollup_id, commune=receipt.commune_code)
        click.echo(f"{path}: {receipt.summary()}")

    return import_each(site, paths, import_one, "rollup.import.refused", imported)[0]


@click.command()
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, writable=True),
              help="File to write: dataValueSets JSON, or ADX XML with --adx.")
@click.option("--adx", is_flag=True, help="Write ADX XML instead of dataValueSets JSON.")
@click.pass_obj
def dhis2(obj, out, adx):
    """Write the province's figures for DHIS2 (docs/dhis2.md): every commune's numerators
    and denominators per period, org units and data elements by code."""
    import datetime
    import json
    from fieldapp.forms.errors import FieldappError
    from fieldapp.province.dhis2 import adx_document, data_value_set
    from fieldapp.province.store import stored_rollups
    from storage.durable import atomic_write_bytes
    site = obj.site()
    if site.kind != "province":
        raise click.ClickException("Chỉ máy của tỉnh xuất số liệu cho DHIS2.")
    rollups = stored_rollups(site)
    exported = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    try:
        if adx:
            body = adx_document(site.settings, rollups, exported)
        else:
            body = json.dumps(data_value_set(site.settings, rollups, exported),
                              ensure_ascii=False, indent=1).encode("utf-8")
    except FieldappError as error:
        raise click.ClickException(error.message) from None
    try:
        atomic_write_bytes(str(out), body)
    except OSError as error:
        raise click.ClickException(f"Không ghi được {out}: {error.strerror}.") from None
    click.echo(f"Đã ghi số liệu của {vn_number(len(rollups))} xã cho DHIS2 "
               f"({'ADX' if adx else 'dataValueSets'}) vào {out}.")
