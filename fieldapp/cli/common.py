"""What the commands share: the date option type, showing a domain error."""
import click

from fieldapp.forms.errors import FieldappError

__all__ = ["Day", "DAY", "click_error"]


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
