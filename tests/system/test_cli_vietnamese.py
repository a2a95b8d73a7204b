"""The command line speaks Vietnamese: click's own words, dates as 14/08/2025, numbers."""
import datetime

import pytest

from fieldapp.cli import main
from fieldapp.site import Site
from tests.support.factories import household, person

ENGLISH = ("Error:", "Invalid value", "Usage:", "Try '", "Missing option", "No such option",
           "is not one of", "Repeat for confirmation", "do not match", "Aborted")


def _no_english(output):
    assert not [word for word in ENGLISH if word in output], output


@pytest.mark.parametrize("args, vietnamese", [
    (["init", "--site", "farm", "--commune", "25264"], "Giá trị không hợp lệ của '--site'"),
    (["init", "--commune", "25264"], "Thiếu tùy chọn '--site'"),
    (["indicators", "--bogus"], "Không có tùy chọn '--bogus'"),
    (["no-such-command"], "Không có lệnh 'no-such-command'"),
    (["report", "--out", "x.pdf", "--period", "abc"], "không phải số nguyên hợp lệ"),
])
def test_usage_errors_are_worded_in_vietnamese(runner, site, args, vietnamese):
    result = runner.invoke(main, ["--data", site.data_dir] + args)
    assert result.exit_code == 2, result.output
    assert "Lỗi: " in result.output and vietnamese in result.output
    assert "Cách dùng:" in result.output
    _no_english(result.output)


def test_a_domain_error_starts_with_loi(runner, tmp_path):
    result = runner.invoke(main, ["--data", str(tmp_path / "none"), "indicators"])
    assert result.exit_code == 1 and result.output.startswith("Lỗi: ")
    _no_english(result.output)


def test_the_password_prompt_asks_again_in_vietnamese(runner, site):
    mismatch = runner.invoke(main, ["--data", site.data_dir, "user", "add", "hoa", "--role",
                                    "admin"], input="mat-khau-dai-1\nkhac-han\n")
    assert "Nhập lại để xác nhận" in mismatch.output
    assert "hai lần nhập không khớp nhau" in mismatch.output
    _no_english(mismatch.output)
    aborted = runner.invoke(main, ["--data", site.data_dir, "user", "add", "hoa", "--role",
                                   "admin"], input="")
    assert aborted.exit_code == 1 and "Đã hủy." in aborted.output
    _no_english(aborted.output)


def test_help_is_framed_in_vietnamese(runner):
    result = runner.invoke(main, ["--help"])
    assert result.exit_code == 0
    assert "Cách dùng:" in result.output and "Tùy chọn:" in result.output
    assert "Lệnh:" in result.output and "Hiện hướng dẫn này rồi thoát." in result.output


def test_dates_are_accepted_as_typed_and_printed_day_first(runner, site):
    home = household()
    site.store.submit([home, person(home["id"], online=True)])
    typed = runner.invoke(main, ["--data", site.data_dir, "indicators", "--as-of", "14/08/2025"])
    iso = runner.invoke(main, ["--data", site.data_dir, "indicators", "--as-of", "2025-08-14"])
    assert typed.exit_code == 0 and iso.exit_code == 0, typed.output + iso.output
    assert typed.output == iso.output
    assert "tính đến 14/08/2025" in typed.output and "2025-08-14" not in typed.output
    bad = runner.invoke(main, ["--data", site.data_dir, "indicators", "--as-of", "31/02/2025"])
    assert bad.exit_code == 2 and "ví dụ 14/08/2025" in bad.output
    _no_english(bad.output)


def test_init_takes_campaign_days_typed_day_first(runner, tmp_path):
    data = str(tmp_path / "d")
    result = runner.invoke(main, ["--data", data, "init", "--site", "village", "--commune", "25264",
                                  "--village-id", "thon-3", "--village-name", "Thôn 3",
                                  "--campaign-start", "25/07/2025", "--campaign-end", "2025-08-25"])
    assert result.exit_code == 0, result.output
    campaign = Site(data).settings["campaign"]
    assert (campaign["start"], campaign["end"]) == ("2025-07-25", "2025-08-25")


def test_counts_are_printed_with_vietnamese_thousands(runner, site):
    homes = [household() for _ in range(1001)]
    site.store.submit(homes)
    result = runner.invoke(main, ["--data", site.data_dir, "indicators", "--as-of", "25/08/2025"])
    assert result.exit_code == 0, result.output
    assert "/1.001)" in result.output and "/1001)" not in result.output
    assert datetime.date(2025, 8, 25)       # the figures' day is the one typed


# the help of every command and option

def _commands():
    from fieldapp.cli.help_vi import commands
    return list(commands(main))


def _worded_options(command):
    """The long names of a command's options that carry a help text of their own."""
    import click
    return {next(o for o in p.opts if o.startswith("--")) for p in command.params
            if isinstance(p, click.Option) and p.help and "--help" not in p.opts
            and "--version" not in p.opts}


def test_every_command_and_option_has_its_vietnamese_help_and_no_more():
    """A new command or option fails here until fieldapp/cli/help_vi.py words it; an
    entry left there for a command or option that went fails too."""
    from fieldapp.cli.help_vi import HELP
    found = {path: _worded_options(command) for path, command in _commands()}
    assert sorted(found) == sorted(HELP)
    for path, options in found.items():
        assert set(HELP[path][1]) == options, path


@pytest.mark.parametrize("path", [path for path, _ in _commands()])
def test_help_pages_are_in_vietnamese(runner, path):
    from fieldapp.cli.help_vi import HELP
    result = runner.invoke(main, [*path.split(), "--help"])
    assert result.exit_code == 0, result.output
    shown = " ".join(result.output.split())
    assert result.output.startswith("Cách dùng: ") and "[TÙY CHỌN]" in shown
    text, options = HELP[path]
    assert " ".join(text.split())[:60] in shown
    for help_text in options.values():
        assert " ".join(help_text.split())[:40] in shown
    command = dict(_commands())[path]
    english = (command.callback.__doc__ or "").strip().split("\n")[0][:40]
    assert not english or english not in shown, english
    _no_english(result.output)
