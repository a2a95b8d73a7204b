"""Connecting a laptop to the tier above, on a page instead of the command line: the
address of the commune's machine (at a village) or the province's (at a commune), the
push token its staff issued, and its public key to seal for. It stores what `fieldapp push
URL --token T --save` and `fieldapp commune-key KEY` (or `province-key`) store: the
address and the key are checked as those commands check them, the token also for its
tier's prefix (the command line leaves that to the machine above, which refuses it). The
token is never shown again, only its last characters."""
import re
import urllib.parse

from flask import Blueprint, flash, g, redirect, render_template, url_for
from flask_wtf import FlaskForm
from wtforms import StringField

from fieldapp import audit
from fieldapp.auth.access import get_site, page
from fieldapp.auth.push_tokens import PUSH_PREFIX, ROLLUP_PREFIX
from fieldapp.forms.errors import FieldappError, Forbidden
from sync import crypto
from sync.push import PUSH_PATH, ROLLUP_PATH, endpoint, saved_push

bp = Blueprint("push_setup", __name__)

# per site kind: the tier above (`at`, its `name`), its token's prefix, its endpoint, the
# page to go back to, the roles that set the connection and an example address
TIERS = {
    "village": {"at": "commune", "name": "xã", "prefix": PUSH_PREFIX, "path": PUSH_PATH,
                "back": "export.export", "back_label": "Gửi lên xã", "roles": ("lead", "admin"),
                "example": "http://192.168.1.10:8081"},
    "commune": {"at": "province", "name": "tỉnh", "prefix": ROLLUP_PREFIX,
                "path": ROLLUP_PATH, "back": "commune.rollup", "back_label": "Gửi lên tỉnh",
                "roles": ("staff", "admin"),
                "example": "http://192.168.1.20:8082"},
}
TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{20,100}\Z")
MAX_URL = 200


class ConnectionForm(FlaskForm):
    url = StringField("Địa chỉ máy", render_kw={
        "inputmode": "url", "autocomplete": "off", "autocapitalize": "none",
        "spellcheck": "false", "maxlength": MAX_URL})
    token = StringField("Mã gửi", render_kw={
        "autocomplete": "off", "autocapitalize": "none", "spellcheck": "false",
        "maxlength": 100})
    key = StringField("Khóa công khai (không bắt buộc, để mã hóa)", render_kw={
        "autocomplete": "off", "autocapitalize": "none", "spellcheck": "false",
        "maxlength": 60})


def _check(form, tier, saved):
    """(url, token or None to keep the saved one, key or None); errors on the fields."""
    url = " ".join((form.url.data or "").split())
    token = (form.token.data or "").strip()
    key = (form.key.data or "").strip()
    if not url or len(url) > MAX_URL:
        form.url.errors = [f"Hãy nhập địa chỉ máy của {tier['name']}, ví dụ {tier['example']}."]
    else:
        try:
            endpoint(url, tier["path"])
        except FieldappError as error:
            form.url.errors = [error.message]
    if not token and saved is None:
        form.token.errors = [f"Hãy nhập mã gửi do cán bộ {tier['name']} cấp."]
    elif token and not (token.startswith(tier["prefix"])
                        and TOKEN_RE.match(token[len(tier["prefix"]):])):
        form.token.errors = [f"Mã gửi không đúng dạng: mã do cán bộ {tier['name']} cấp "
                             f"bắt đầu bằng “{tier['prefix']}”."]
    if key:
        try:
            crypto.parse_public_key(key, tier["at"])
        except ValueError as error:
            form.key.errors = [str(error)]
    return url, token or None, key or None


@bp.route("/connection", methods=["GET", "POST"])
@page("lead", "staff", "admin", site_kind=("village", "commune"))
def connection():
    """The tier above's address, push token and key, as this laptop keeps them."""
    site = get_site()
    tier = TIERS[site.kind]
    if g.user["role"] not in tier["roles"]:
        raise Forbidden("Bạn không có quyền mở trang này.")
    # one connection for every village of the laptop: one village's lead may not redirect
    if g.user["role"] == "lead" and len(site.village_ids) > 1:
        raise Forbidden("Máy này giữ dữ liệu của nhiều thôn: chỉ quản trị máy sửa kết nối "
                        "gửi lên xã.")
    saved = saved_push(site.settings)
    form = ConnectionForm(data=None if saved is None else {"url": saved[0]})
    form.url.label.text = f"Địa chỉ máy của {tier['name']}"
    form.token.label.text = f"Mã gửi do cán bộ {tier['name']} cấp"
    form.key.label.text = f"Khóa công khai của {tier['name']} (không bắt buộc, để mã hóa)"
    status = 200
    if form.validate_on_submit():
        url, token, key = _check(form, tier, saved)
        if not form.errors:
            setting = crypto.KEY_SETTINGS[tier["at"]]

            def change(settings):
                # a blank token keeps the one saved now, under the lock (another save's)
                settings["push"] = {"url": url,
                                    "token": token or (saved_push(settings) or saved)[1]}
                if key:
                    settings[setting] = key
            site.update_settings(change)
            audit.record(site, g.user["username"], "push.connection",
                         host=urllib.parse.urlsplit(url).netloc[:80], key=bool(key))
            flash(f"Đã lưu kết nối tới máy của {tier['name']}: từ nay trang "
                  f"“{tier['back_label']}” có nút gửi qua mạng.", "ok")
            return redirect(url_for(tier["back"]), code=303)
        status = 422
    elif form.is_submitted():
        status = 400
    key = site.settings.get(crypto.KEY_SETTINGS[tier["at"]])
    return render_template(
        "push_setup.html", form=form, tier=tier, saved=saved,
        token_end=saved[1][-4:] if saved else None,
        key_fingerprint=crypto.fingerprint(key) if key else None), status
