"""`fieldapp audit`: reading the site's audit log."""

import click

from fieldapp.cli.common import DAY, shown_plainly

__all__ = ["audit"]

_PLAIN = {"at", "actor", "action"}


@click.command()
@click.option("--json", "as_json", is_flag=True, help="One JSON object per entry per line.")
@click.option("--since", type=DAY, help="Only entries on or after this day (UTC).")
@click.option("--action", "prefix", help="Only actions starting with this, e.g. login.")
@click.pass_obj
def audit(obj, as_json, since, prefix):
    """Show the audit log: who did what, when (oldest first)."""
    from fieldapp import audit as log
    found = log.entries(obj.site(), prefix)
    if since:
        found = [e for e in found if e.get("at", "")[:10] >= since.isoformat()]
    if shown_plainly(found, as_json, "Không có mục nào trong nhật ký."):
        return
    click.echo(f"{'Thời điểm (UTC)':<26}{'Người':<16}{'Việc':<20}Chi tiết")
    for entry in found:
        details = ", ".join(f"{k}={v}" for k, v in entry.items() if k not in _PLAIN)
        click.echo(f"{entry.get('at', ''):<26}{entry.get('actor', ''):<16}"
                   f"{entry.get('action', ''):<20}{details}")
