"""Roll-ups pushed to the province (SPEC §7a): `POST /api/v1/rollups` for a commune's push
token, and the page where province staff issue, replace and revoke those tokens (one
live token per commune; only its hash is kept), mirroring the commune's tokens for its
village laptops (views/commune/batches.py)."""
from flask import Blueprint, flash, g, jsonify, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField

from fieldapp import audit
from fieldapp.auth.access import bearer_token, get_site, page
from fieldapp.auth.push_tokens import (ROLLUP_PREFIX, issue_rollup_token, mark_rollup_used,
                                       revoke_rollup_token, rollup_token_row, rollup_tokens)
from fieldapp.forms.errors import FieldappError, Forbidden, NotFound, NotSignedIn
from fieldapp.forms.text import vn_time
from fieldapp.province.store import import_rollup
from fieldapp.views.forms import ActionForm, csrf, require_form_token
from sync import crypto, keys
from sync.errors import BatchTooLarge

bp = Blueprint("province_push", __name__)
STAFF = ("staff", "admin")
MAX_PUSH_BODY = 4 * 1024 * 1024         # gzip or sealed: a commune's roll-up is far smaller


# -------------------------------------------------------------- the push API

def _guard(site, token, row):
    """Refuse a roll-up of another commune, or from another machine, than the token's,
    or one whose token was revoked while it was read (run under the import's lock);
    once the roll-up is taken, the token is marked used by (and bound to) the sender."""
    def authorize(rollup):
        sender = rollup["site"]["id"]
        if rollup["commune_code"] != row["commune_code"]:
            raise Forbidden(f"Mã gửi này chỉ dùng cho xã mã {row['commune_code']}: không "
                            "nhận số liệu của xã khác. Không có gì được lưu.")
        # read again under the lock: revoked (NotSignedIn) or bound meanwhile
        if rollup_token_row(site, token)["site_id"] not in (None, sender):
            raise Forbidden("Mã gửi này đã được một máy khác của xã dùng; hãy xin cán bộ "
                            "tỉnh mã mới.")
        return lambda: mark_rollup_used(site, row, sender)
    return authorize


@bp.post("/api/v1/rollups")
@csrf.exempt
def receive():
    """Import a commune's pushed roll-up (JSON, gzip or sealed body) → the receipt, or the
    JSON error; nothing is stored on a refusal."""
    site = get_site()
    token = bearer_token()
    if not token.startswith(ROLLUP_PREFIX):
        raise NotSignedIn("Cần mã gửi của xã do cán bộ tỉnh cấp (trang “Mã gửi của xã”).")
    row = rollup_token_row(site, token)
    if site.kind != "province":         # (no token is ever issued there)
        raise NotFound("Máy này không phải máy của tỉnh: không nhận số liệu tổng hợp.")
    actor, detail = f"push:{row['commune_code']}", {"token": row.doc_id}
    try:
        if request.content_length is None or request.content_length > MAX_PUSH_BODY:
            raise BatchTooLarge("too_large", "Số liệu gửi lên phải có độ dài và không quá "
                                f"{MAX_PUSH_BODY // (1024 * 1024)} MB: không nhận.")
        body = request.get_data(cache=False)
        receipt = import_rollup(site, body, authorize=_guard(site, token, row))
    except FieldappError as error:
        audit.record(site, actor, "rollup.push.refused",
                     problem=(error.details or {}).get("problem") or error.code, **detail)
        raise
    audit.record(site, actor, f"rollup.push.{receipt.outcome}", rollup_id=receipt.rollup_id,
                 commune=receipt.commune_code, **detail)
    return jsonify({"receipt": receipt.as_json(), "message": receipt.summary()})


# -------------------------------------------------------------- the communes' tokens

class RollupTokenForm(FlaskForm):
    commune = SelectField("Xã, phường", validate_choice=False)
    label = StringField("Ghi chú (ví dụ: máy tính của văn phòng UBND xã)",
                        render_kw={"maxlength": 60})


@bp.route("/province/push-tokens", methods=["GET", "POST"])
@page(*STAFF, site_kind="province")
def tokens():
    """Issue a commune's push token (replacing its earlier one), shown once with the
    commands the commune runs; list the tokens and revoke them."""
    site = get_site()
    communes = sorted(site.settings.get("communes", []), key=lambda c: c["name"])
    names = {c["code"]: c["name"] for c in communes}
    form = RollupTokenForm()
    form.commune.choices = [("", "— Chọn xã, phường —")] + [(c["code"], c["name"])
                                                            for c in communes]
    issued, status = None, 200
    if form.validate_on_submit():
        code = form.commune.data
        if code not in names:
            form.commune.errors = ["Hãy chọn một xã, phường của tỉnh."]
            status = 422
        else:
            label = (form.label.data or "").strip()[:60] or f"Máy của {names[code]}"
            token, replaced = issue_rollup_token(site, code, label, g.user["username"])
            audit.record(site, g.user["username"], "rollup_token.issue", commune=code,
                         replaced=replaced)
            public = crypto.create_box_key(site.data_dir)    # made at init; kept if it exists
            issued = {"token": token, "commune": names[code], "replaced": replaced,
                      "url": request.host_url, "key": public,
                      "command": f"fieldapp push {request.host_url} --token {token} --save",
                      "key_command": f"fieldapp province-key {public}",
                      "fingerprint": keys.fingerprint(public)}
    elif form.errors:
        status = 422
    rows = rollup_tokens(site)
    for row in rows:
        row["created_local"], row["used_local"] = vn_time(row["created_at"]), \
            vn_time(row["last_used"])
    return render_template("province/push_tokens.html", form=form, rows=rows, names=names,
                           issued=issued, action=ActionForm()), status


@bp.post("/province/push-tokens/<int:token_id>/revoke")
@page(*STAFF, site_kind="province")
def revoke_token(token_id):
    """Revoke a commune's token: that commune can no longer push until given a new one."""
    site = get_site()
    require_form_token()
    revoke_rollup_token(site, token_id=token_id)
    audit.record(site, g.user["username"], "rollup_token.revoke", token=token_id)
    flash("Đã thu hồi mã gửi.", "ok")
    return redirect(url_for("province_push.tokens"), code=303)
