"""What the commands share: reading a date option, showing a domain error."""
import click

from fieldapp.forms.errors import FieldappError

__all__ = ["parse_day_option", "click_error"]


def parse_day_option(value, option):
    """The date of a YYYY-MM-DD option (None when not given); raise BadParameter."""
    from fieldapp.indicators.periods import parse_day
    if value is None:
        return None
    try:
        return parse_day(value)
    except FieldappError as error:
        raise click.BadParameter(error.message, param_hint=option) from None


def click_error(error):
    """The click error that shows a domain error: its Vietnamese message, exit status 1."""
    return click.ClickException(error.message)
