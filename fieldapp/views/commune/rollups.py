"""The commune's roll-up for the province (SPEC §7a): a download for staff, sealed for the
province's key once the commune has stored it, and "Gửi lên tỉnh" over the network to
the province address and token saved on this site (`fieldapp push URL --token T --save`)."""
from flask import Response, flash, g, redirect, render_template, url_for

from fieldapp import audit
from fieldapp.auth.access import get_site, page
from fieldapp.forms.text import vn_date
from fieldapp.province.push import push_rollup
from fieldapp.province.rollup import make_rollup
from fieldapp.views.commune.blueprint import STAFF, bp
from fieldapp.views.days import counted_day
from fieldapp.views.forms import ActionForm, require_form_token
from sync import crypto, keys
from sync.batch import gzip_bytes
from sync.push import PushFailed, saved_push
from sync.rollup import rollup_bytes

PUSH_TIMEOUT = 30        # seconds the page waits for the province

BAD_KEY = ("Khóa của tỉnh lưu trên máy này không dùng được (bị sửa tay?), nên chưa {what}: "
           "nhập lại khóa do cán bộ tỉnh đọc ra ở trang “Kết nối gửi lên tỉnh”.")


def _sealing_key(settings):
    """The province's public key to seal for, None when none is stored, or False when the
    one stored is no usable key (then nothing leaves: never plain for a mistyped key)."""
    try:
        return crypto.sealing_key(settings, at="province")
    except ValueError:
        return False


@bp.get("/rollup")
@page(*STAFF, site_kind="commune")
def rollup():
    """What the roll-up holds, the day it counts to, and how it can be sent."""
    site = get_site()
    as_of, note = counted_day(site.settings)
    key = _sealing_key(site.settings)
    saved = saved_push(site.settings)
    return render_template("commune/rollup.html", as_of=as_of, note=note,
                           settings=site.settings, sealing=key,
                           fingerprint=keys.fingerprint(key) if key else None,
                           push_url=saved[0] if saved else None, action=ActionForm())


@bp.get("/rollup/file")
@page(*STAFF, site_kind="commune")
def rollup_file():
    """The signed roll-up as of ?as_of= (default today, kept inside the campaign); sealed
    for the province (.enc) once its key is stored."""
    site = get_site()
    as_of, _ = counted_day(site.settings)
    key = _sealing_key(site.settings)
    if key is False:
        flash(BAD_KEY.format(what="tải tệp nào"), "error")
        return redirect(url_for("commune.rollup"))
    made = make_rollup(site, as_of)
    body = gzip_bytes(rollup_bytes(made))
    if key:
        body = crypto.seal(body, key)
    audit.record(site, g.user["username"], "download.rollup", rollup_id=made["rollup_id"],
                 count=len(made["villages"]), sealed=bool(key))
    name = f"so-lieu-{made['commune_code']}-{as_of.isoformat()}{'.enc' if key else '.json.gz'}"
    return Response(body, mimetype="application/octet-stream" if key else "application/gzip",
                    headers={"Content-Disposition": f'attachment; filename="{name}"',
                             "Cache-Control": "no-store"})


@bp.post("/rollup/push")
@page(*STAFF, site_kind="commune")
def rollup_push():
    """Send the roll-up as of ?as_of= to the saved province address, sealed when the
    province's key is stored; say what the province answered."""
    site = get_site()
    require_form_token()
    as_of, _ = counted_day(site.settings)
    back = redirect(url_for("commune.rollup", as_of=as_of.isoformat()), code=303)
    saved = saved_push(site.settings)
    if saved is None:
        flash("Máy này chưa lưu địa chỉ và mã gửi của tỉnh: nhập một lần ở trang “Kết nối "
              "gửi lên tỉnh”, hoặc tải tệp về gửi cho tỉnh.", "error")
        return back
    key = _sealing_key(site.settings)
    if key is False:
        flash(BAD_KEY.format(what="gửi gì"), "error")
        return back
    try:
        answer, made = push_rollup(site, *saved, to_key=key, as_of=as_of,
                                   timeout=PUSH_TIMEOUT)
    except PushFailed as error:
        audit.record(site, g.user["username"], "rollup.sent.refused", problem=error.problem)
        flash(error.message, "error")
        return back
    audit.record(site, g.user["username"], "rollup.sent", rollup_id=made["rollup_id"],
                 count=len(made["villages"]), sealed=key is not None)
    flash(f"Đã gửi số liệu tính đến {vn_date(made['as_of'])} qua mạng"
          f"{' (đã mã hóa)' if key else ''}. Máy của tỉnh trả lời: "
          f"{answer.get('message') or 'đã nhận.'}", "ok")
    return back


__all__ = ["rollup", "rollup_file", "rollup_push"]
