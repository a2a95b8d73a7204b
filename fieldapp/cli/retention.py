"""`fieldapp purge`: de-identify every record once the retention date is reached."""
import datetime

import click

from fieldapp.cli.common import DAY
from fieldapp.forms.text import vn_date, vn_number

__all__ = ["purge", "purge_if_due", "phones_if_needed"]

_DAY = datetime.timedelta(days=1)


@click.command()
@click.option("--as-of", type=DAY, help="Judge the retention date as of this day "
                                         "(default today, in Vietnam).")
@click.option("--dry-run", is_flag=True, help="Only say how many records would be purged.")
@click.pass_obj
def purge(obj, as_of, dry_run):
    """De-identify every record (names, address, phone, notes, comments, history
    included) once the retention date after the campaign's end is reached; reports and
    indicators stay as they were."""
    from fieldapp import erasing, retention
    from sync import erasures
    site = obj.site()
    erasures.apply_pending(site)             # what a crash or a full disk left unapplied
    today = as_of or erasing.local_today()
    if not erasing.purge_is_due(site, today):
        last = erasing.last_purge_day(site)
        if last is not None and retention.purge_due(site.settings, today):
            click.echo(f"Đã xóa theo thời hạn lưu trữ ngày {vn_date(last)}; không cần xóa lại.")
        else:
            click.echo(f"Chưa đến hạn: dữ liệu được giữ đến hết ngày "
                       f"{vn_date(retention.purge_date(site.settings) - _DAY)} "
                       f"({retention.retention_days(site.settings)} ngày sau khi chiến dịch "
                       "kết thúc). Không xóa gì.")
        return
    done = erasing.purge(site, "cli", dry_run=dry_run)
    if dry_run:
        click.echo(f"Sẽ xóa thông tin định danh của {vn_number(done.records)} bản ghi "
                   "(chạy không có --dry-run để xóa).")
    else:
        click.echo(_purged(done))


def _purged(done):
    """The Vietnamese line saying what a purge did."""
    return (f"Đã xóa thông tin định danh của {vn_number(done.records)} bản ghi "
            f"({vn_number(done.versions)} phiên bản) vì đã hết thời hạn lưu trữ; "
            "báo cáo và chỉ số giữ nguyên.")


def purge_if_due(site):
    """At `serve`'s start: apply erasures a crash left unapplied, and run the purge when
    it is due; return the line to show, or None."""
    from fieldapp import erasing
    from storage import StorageError
    from sync import erasures
    try:
        erasures.apply_pending(site)         # what a crash or a full disk left unapplied
        if not erasing.purge_is_due(site, erasing.local_today()):
            return None
        return _purged(erasing.purge(site, "system"))
    except StorageError:           # serve anyway: the next start (or `purge`) tries again
        return ("Đã hết thời hạn lưu trữ nhưng CHƯA xóa được thông tin định danh (lỗi ghi "
                "đĩa: đĩa đầy?). Hãy chạy `fieldapp purge` sau khi khắc phục.")


def phones_if_needed(site, actor="system"):
    """At `serve`'s start and before an export or a push: remove the phones recorded
    without the `phone_contact` consent (fieldapp.phone_consent) on a village site, else
    the commune refuses the batch, and say so."""
    from fieldapp import phone_consent
    from storage import StorageError
    try:
        said = phone_consent.migrate_if_needed(site, actor)
    except StorageError:
        said = ("CHƯA xóa được số điện thoại không có đồng ý liên hệ qua điện thoại (lỗi ghi "
                "đĩa: đĩa đầy?); xã sẽ từ chối lô có số đó. Hãy khắc phục rồi chạy lại.")
    if said:
        click.echo(said)
