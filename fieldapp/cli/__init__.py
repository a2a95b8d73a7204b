"""The `fieldapp` command line (SPEC §8): one group, and its commands added by name."""
import click

from fieldapp.cli import vietnamese

vietnamese.install()        # before the commands are made: their help options are worded then

from fieldapp.cli import (admin, audit_log, help_vi, province_push, reports, retention,  # noqa: E402
                          rollups, server, subject, subject_requests, targets, transfer)
from fieldapp.site import Site, SiteMissing  # noqa: E402

__all__ = ["main"]


class Context:
    """What every subcommand receives: the data directory."""

    def __init__(self, data_dir):
        self.data_dir = data_dir

    def site(self):
        """Open the site, or fail with a clear message."""
        try:
            return Site(self.data_dir)
        except SiteMissing:
            raise click.ClickException(
                f"{self.data_dir} chưa được khởi tạo: chạy `fieldapp --data {self.data_dir} init` trước.")


@click.group()
@click.option("--data", "data_dir", envvar="FIELDAPP_DATA", default="fieldapp-data",
              show_default=True, type=click.Path(file_okay=False),
              help="Data directory (default $FIELDAPP_DATA, else ./fieldapp-data).")
@click.version_option(package_name="fieldapp")
@click.pass_context
def main(ctx, data_dir):
    """fieldapp: door-to-door campaigns for online public services."""
    ctx.obj = Context(data_dir)


for command in (admin.init, admin.user, admin.backup, admin.restore, server.serve, server.demo,
                reports.indicators, reports.report, reports.qr, reports.privacy_report,
                transfer.export,
                transfer.commune_key, transfer.import_files, transfer.push, audit_log.audit,
                subject.subject, retention.purge):
    main.add_command(command)
main.add_command(rollups.rollup)
main.add_command(rollups.dhis2)
main.add_command(targets.targets)
main.add_command(province_push.province_key)
main.add_command(province_push.push_token)

# a citizen's requests (find, export, the request log) join `subject erase` in one group
for command in subject_requests.COMMANDS:
    subject.subject.add_command(command)

help_vi.apply(main)         # what --help shows, in Vietnamese (the docstrings stay English)
