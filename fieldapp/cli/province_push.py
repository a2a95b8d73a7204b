"""Roll-ups over the network (SPEC §7a): `province-key` (the province's sealing key, printed
there and stored at each commune), `push-token` (a province's tokens for its communes) and
a commune's `fieldapp push` of its roll-up, all as the commune and its villages do it."""
import click

from fieldapp.forms.text import vn_date, vn_time

__all__ = ["province_key", "push_token", "push_to_province"]


@click.command("province-key")
@click.argument("key", required=False)
@click.pass_obj
def province_key(obj, key):
    """At the province: print the public key that communes seal their roll-ups for.
    At a commune: `province-key KEY` stores the province's key for `rollup` and `push`
    (which then seal every roll-up they write or send)."""
    from fieldapp.cli.common import key_command
    site = obj.site()
    if site.kind not in ("province", "commune"):
        raise click.ClickException("Chỉ máy của xã lưu khóa của tỉnh; máy của thôn dùng "
                                   "`fieldapp commune-key`.")
    key_command(site, key, at="province")


# -------------------------------------------------------------- a province's tokens

def _province(obj):
    site = obj.site()
    if site.kind != "province":
        raise click.ClickException("Lệnh này chỉ dùng ở máy của tỉnh (mã gửi của các xã). "
                                   "Máy của xã cấp mã cho thôn ở trang /commune/push-tokens.")
    return site


def _commune(site, code):
    names = {c["code"]: c["name"] for c in site.settings.get("communes", [])}
    code = str(code).strip().lstrip("0") or "0"
    if code not in names:
        raise click.BadParameter(f"Không có xã, phường mã {code} trong "
                                 f"{site.settings['province_name']}.", param_hint="MÃ_XÃ")
    return code, names[code]


@click.group("push-token")
def push_token():
    """A province's push tokens for its communes: each commune sends its roll-ups with
    one (`fieldapp push` there). Only a token's hash is kept; it is shown once."""


@push_token.command("issue")
@click.argument("code", metavar="MÃ_XÃ")
@click.option("--label", default="", help="A note on the token (e.g. which laptop).")
@click.option("--url", default="http://MÁY-CỦA-TỈNH:8080",
              help="The province's address, for the command printed for the commune.")
@click.pass_obj
def issue(obj, code, label, url):
    """Issue a new token for the commune of official code MÃ_XÃ; its earlier token stops
    working. Prints the token once, and the commands the commune runs."""
    from fieldapp import audit
    from fieldapp.auth.push_tokens import issue_rollup_token
    from sync import crypto
    site = _province(obj)
    code, name = _commune(site, code)
    token, replaced = issue_rollup_token(site, code, label.strip()[:60] or f"Máy của {name}",
                                         "cli")
    audit.record(site, "cli", "rollup_token.issue", commune=code, replaced=replaced)
    public = crypto.create_box_key(site.data_dir)
    click.echo(token)
    click.echo(f"Mã gửi mới cho {name} (chỉ hiện một lần; mã cũ của xã "
               f"{'đã hết dùng' if replaced else 'không có'}). Trên máy của xã chạy:\n"
               f"  fieldapp province-key {public}\n"
               f"  fieldapp push {url} --token {token} --save", err=True)


@push_token.command("list")
@click.pass_obj
def list_tokens(obj):
    """List the tokens issued (never the tokens themselves): commune, note, state."""
    from fieldapp.auth.push_tokens import rollup_tokens
    site = _province(obj)
    names = {c["code"]: c["name"] for c in site.settings.get("communes", [])}
    rows = rollup_tokens(site)
    if not rows:
        click.echo("Chưa cấp mã gửi nào.")
    for row in rows:
        used = f"dùng gần nhất {vn_time(row['last_used'])}" if row["last_used"] else "chưa dùng"
        click.echo(f"#{row['doc_id']} {names.get(row['commune_code'], row['commune_code'])} "
                   f"({row['commune_code']}) — {row['label']}; cấp {vn_time(row['created_at'])}"
                   f", {used}; {'đã thu hồi' if row['revoked'] else 'đang dùng'}")


@push_token.command("revoke")
@click.argument("code", metavar="MÃ_XÃ")
@click.pass_obj
def revoke(obj, code):
    """Revoke the live token of the commune MÃ_XÃ: it can no longer push."""
    from fieldapp import audit
    from fieldapp.auth.push_tokens import revoke_rollup_token
    site = _province(obj)
    code, name = _commune(site, code)
    count = revoke_rollup_token(site, commune_code=code)
    audit.record(site, "cli", "rollup_token.revoke", commune=code, count=count)
    click.echo(f"Đã thu hồi mã gửi của {name}." if count else
               f"{name} không có mã gửi nào đang dùng; không có gì thay đổi.")


# -------------------------------------------------------------- a commune's push

def push_to_province(site, url, token, save, encrypt, to_key, timeout, as_of):
    """`fieldapp push` on a commune site: send its roll-up (as of `as_of`, default today)
    to the province, sealed when the province's key is known; echo the answer."""
    from fieldapp import audit
    from fieldapp.cli.common import push_address, push_refusal, remember_push, sealing_key
    from fieldapp.province.push import province_endpoint, push_rollup
    from sync.push import PushFailed
    url, token = push_address(site, url, token, province_endpoint, at="province")
    to_key = sealing_key(site, encrypt, to_key, at="province")
    if save:
        remember_push(site, url, token, at="province")
    try:
        answer, made = push_rollup(site, url, token, to_key=to_key, as_of=as_of,
                                   timeout=timeout)
    except PushFailed as error:
        audit.record(site, "cli", "rollup.sent.refused", problem=error.problem)
        raise push_refusal(error, at="province") from None
    audit.record(site, "cli", "rollup.sent", rollup_id=made["rollup_id"],
                 count=len(made["villages"]), sealed=to_key is not None)
    click.echo(answer.get("message") or f"Máy của tỉnh đã nhận số liệu tính đến "
                                        f"{vn_date(made['as_of'])}.")
    if to_key is not None:
        click.echo("Số liệu đã được mã hóa cho khóa của tỉnh trước khi gửi.")
