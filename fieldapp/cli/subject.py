"""`fieldapp subject …`: a person's requests about their data (Law 91/2025/QH15).

The group holds `erase` here; `find` and `export` are added to it by name (one command
per module is fine: `subject.add_command(...)`).
"""
import click

from fieldapp.cli.common import click_error
from fieldapp.forms.errors import FieldappError
from fieldapp.forms.text import vn_number

__all__ = ["subject", "erase"]


@click.group()
def subject():
    """A person's requests about their data: find, export, erase."""


def _confirmed(question):
    """Whether the operator answers yes ("c", "có", or "y") to `question`; no by default."""
    answer = click.prompt(f"{question} [c/K]", default="k", show_default=False,
                          prompt_suffix=" ")
    return answer.strip().lower() in ("c", "có", "co", "y", "yes")


@subject.command()
@click.option("--household", "household_id", metavar="MÃ",
              help="Erase a household with its people, visits and surveys.")
@click.option("--person", "person_id", metavar="MÃ", help="Erase one person with their surveys.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--by", "actor", default="cli", show_default=True,
              help="Who asked for it, for the audit log (a login name).")
@click.pass_obj
def erase(obj, household_id, person_id, yes, actor):
    """Erase a household's or a person's identifying data (names, address, phone, notes,
    comments) from every stored version, history included; the facts stay, so the
    indicators do not change. The erasure travels in the next batch to the commune."""
    from fieldapp import erasing
    if bool(household_id) == bool(person_id):
        raise click.UsageError("Cần đúng một trong hai: --household MÃ hoặc --person MÃ.")
    site = obj.site()
    site.store.refresh()
    try:
        if household_id:
            record, ids = erasing.household_records(site.store, household_id)
            who = f"hộ “{record['data'].get('head_name', '')}”"
        else:
            record, ids = erasing.person_records(site.store, person_id)
            who = f"người “{record['data'].get('full_name', '')}”"
    except FieldappError as error:
        raise click_error(error) from None
    click.echo(f"Sẽ xóa thông tin định danh (họ tên, địa chỉ, số điện thoại, ghi chú, nhận "
               f"xét) của {who}: {erasing.describe_records(site.store, ids)}, ở mọi phiên bản đã lưu, kể cả "
               "lịch sử. Các số liệu (năm sinh, VNeID, tài khoản, lần thăm, điểm hài lòng) "
               "được giữ nên chỉ số không đổi. Việc này không hoàn tác được.")
    if not yes and not _confirmed("Xóa thật không?"):
        click.echo("Đã hủy, không xóa gì.")
        return
    done = erasing.erase(site, ids, record["village_id"], actor)
    click.echo(f"Đã xóa thông tin định danh của {vn_number(done.records)} bản ghi "
               f"({vn_number(done.versions)} phiên bản). Lần xuất lô tới sẽ mang việc xóa "
               "này lên xã." if site.kind == "village" else
               f"Đã xóa thông tin định danh của {vn_number(done.records)} bản ghi "
               f"({vn_number(done.versions)} phiên bản) trên máy của xã; các lô sau của "
               "thôn cũng sẽ được xóa khi nhận. Máy của thôn vẫn còn dữ liệu này: hãy xóa "
               "cả ở đó.")
