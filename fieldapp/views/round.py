"""The round app for volunteers' phones (SPEC §5a) and its one-time QR login cards.

`/round` is a static shell: the rules and the village names are rendered into it as JSON
data (not script), everything else goes through the JSON API with a bearer token kept on
the phone. No personal data is in the page itself; for a volunteer or lead already signed
in on the village pages, it carries their username and a CSRF token, so one tap trades
that session for a token (no PIN typed again).
"""
import base64
import io
from urllib.parse import urlsplit

from flask import (Blueprint, current_app, flash, jsonify, redirect, render_template, request,
                   url_for)
from flask_wtf.csrf import generate_csrf
from jinja2.utils import htmlsafe_json_dumps

from fieldapp.auth import accounts as auth
from fieldapp.auth import cards
from fieldapp.auth.access import current_user, get_site, page
from fieldapp.forms.errors import BadRequest, FieldappError, Forbidden, NotSignedIn
from fieldapp.forms.rules import DOOR_TO_DOOR, rules_as_json
from fieldapp.forms.text import vn_date
from fieldapp.records import person_name
from fieldapp.views import round_files
from fieldapp.views.forms import ActionForm, csrf, require_form_token

bp = Blueprint("round", __name__)
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
ROUND_ROLES = ("volunteer", "lead")
TEXTS = ("text", "phone")


def _door_to_door(rules):
    """The rules of the records a phone makes at the door: the team roster (member) is
    kept on the laptop's pages, so its rules need not weigh on every phone's load. Each
    field travels as a list (rules.js makes it an object again): names of keys repeated
    on every field weighed a kilobyte of the page's 50 KiB."""
    rules["types"] = {k: [_lean(rule) for rule in v] for k, v in rules["types"].items()
                      if k in DOOR_TO_DOOR}
    rules["type_labels"].pop("member", None)
    rules["choices"].pop("member_role", None)
    rules["choices"].pop("consent_by", None)          # views.js asks: guardian or not
    rules.pop("comment_needs_consent", None)          # the laptop judges a comment
    return rules


def _lean(rule):
    """[name, kind, label, required, max_length, choices, multiline] of a field, without
    its trailing zeros and empty texts (a length limit only where text is typed)."""
    values = [rule["name"], rule["kind"], rule["label"], int(rule["required"]),
              rule["max_length"] if rule["kind"] in ("text", "phone") else 0,
              rule["choices"], int(rule["multiline"])]
    while values[-1] in (0, ""):
        values.pop()
    return values


bp.after_app_request(round_files.serve_lean)


@bp.get("/round/app.js")
def script():
    """The round app's eight modules as one script (views/round_files.py)."""
    return round_files.bundle_response()


@bp.get("/round")
def app():
    """The offline round app (signing in happens inside it, against the API)."""
    site = get_site()
    boot = {"rules": _door_to_door(rules_as_json()),
            "villages": {v["id"]: v["name"] for v in site.settings.get("villages", [])}}
    user = current_user()
    if user is not None and site.kind == "village" and user["role"] in ROUND_ROLES:
        boot["session"] = {"username": user["username"], "name": person_name(site.store, user),
                           "csrf": generate_csrf()}
    # without spaces: the phone loads the page whole (tests/test_round_cards.py weighs it)
    boot_json = htmlsafe_json_dumps(boot, dumps=current_app.json.dumps, separators=(",", ":"))
    return render_template("round.html", boot_json=boot_json)


@bp.post("/round/session-token")
def session_token():
    """Trade this browser's page session for an API token of the same volunteer or lead,
    so /round opened from the village pages asks for no PIN again. A form route (session
    cookie and CSRF token, which the app sends as X-CSRFToken), not an API one: the API
    trusts bearer tokens only."""
    origin = request.headers.get("Origin")
    if origin is not None and origin != request.host_url.rstrip("/"):
        raise Forbidden("Yêu cầu đến từ trang khác: không cấp mã đăng nhập.")
    user = current_user()
    if user is None:
        raise NotSignedIn("Phiên đăng nhập trên trang đã hết: hãy đăng nhập bằng mã PIN.")
    site = get_site()
    if site.kind != "village" or user["role"] not in ROUND_ROLES:
        raise Forbidden("Chỉ tình nguyện viên và tổ trưởng của thôn dùng ứng dụng đi vòng.")
    return jsonify(auth.signed_in(site, user))


@bp.post("/api/v1/login/card")
@csrf.exempt
def login_card():
    """Trade a one-time login card's code for an API token (the card is then used up)."""
    body = request.get_json(silent=True, force=True)
    if not isinstance(body, dict) or not isinstance(body.get("code"), str):
        raise BadRequest("Thiếu mã thẻ đăng nhập.")
    site = get_site()
    user = cards.redeem_card(site, body["code"])
    return jsonify(auth.signed_in(site, user))


def _base_url():
    """This site's address as a phone on the laptop's Wi-Fi reaches it."""
    parts = urlsplit(request.host_url)
    lan = current_app.config.get("LAN_ADDRESS")      # set by `fieldapp serve`
    if parts.hostname in LOCAL_HOSTS and lan:
        port = f":{parts.port}" if parts.port else ""
        return f"{parts.scheme}://{lan}{port}/"
    return request.host_url


def _qr_data_uri(text):
    """An SVG QR code of `text` as a data: URI (the CSP allows data: images)."""
    import qrcode
    import qrcode.image.svg
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=12,
                        border=2)
    out = io.BytesIO()
    image.save(out)
    return "data:image/svg+xml;base64," + base64.b64encode(out.getvalue()).decode("ascii")


def _lead_village(user):
    site = get_site()
    return user.get("village_id") or site.village_ids[0]


@bp.route("/round/cards", methods=["GET", "POST"])
@page("lead", "admin", site_kind="village")
def login_cards():
    """The lead's one-time login cards: make one for a volunteer (printed once), list, revoke."""
    site = get_site()
    user = current_user()
    village_id = _lead_village(user)
    form = ActionForm()
    people = cards.card_users(site, village_id)
    made = None
    status = 200
    if request.method == "POST":
        if not form.validate_on_submit():
            raise BadRequest("Phiên biểu mẫu đã hết hạn. Hãy tải lại trang.")
        username = request.form.get("username", "")
        if username not in {u["username"] for u in people}:
            flash("Hãy chọn một tổ viên đang hoạt động của thôn.", "error")
            status = 422
        else:
            try:
                row, code = cards.create_card(site, username, user["username"])
            except FieldappError as error:
                flash(error.message, "error")
                status = error.status
            else:
                url = cards.card_url(_base_url(), code)
                made = {"row": row, "url": url, "qr": _qr_data_uri(url)}
    from fieldapp.records import people_names
    return render_template("round_cards.html", form=form, people=people, made=made,
                           names=people_names(site.store, [village_id]),
                           cards=cards.list_cards(site, village_id),
                           labels=cards.STATUS_LABELS, vn_date=vn_date,
                           days=cards.CARD_DAYS), status


@bp.post("/round/cards/<card_id>/revoke")
@page("lead", "admin", site_kind="village")
def revoke_card(card_id):
    """Revoke a card so it can no longer sign anyone in."""
    require_form_token()
    cards.revoke_card(get_site(), card_id, current_user())
    flash("Đã thu hồi thẻ; thẻ này không đăng nhập được nữa.", "ok")
    return redirect(url_for("round.login_cards"))
