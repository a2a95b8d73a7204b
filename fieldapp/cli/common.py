"""What the commands share: the date option type, showing a domain error."""
import click

from fieldapp.forms.errors import FieldappError

__all__ = ["Day", "DAY", "click_error", "import_each", "shown_plainly"]


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
