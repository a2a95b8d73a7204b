"""JSON API v1 (SPEC §6): login, records, indicators, rules."""

from flask import Blueprint, g, jsonify, request

from fieldapp import audit, phones
from fieldapp.auth import accounts as auth
from fieldapp.auth.access import api, check_village, get_site, visible_villages
from fieldapp.forms.errors import BadRequest, Invalid
from fieldapp.forms.rules import rules_as_json
from fieldapp.forms.versions import utc_now
from fieldapp.indicators.compute import site_indicators
from fieldapp.indicators.periods import parse_day, today_local
from fieldapp.records import (MAX_RECORDS_PER_REQUEST, WRITER_ROLES, forked_households,
                              open_forks, save_versions)

bp = Blueprint("api", __name__, url_prefix="/api/v1")

MAX_PULL = 2000
MAX_PHONE_REPORT = 512


def json_body(*required):
    """The request's JSON object; raise BadRequest when it is not one or lacks a key."""
    try:
        body = request.get_json(silent=True, force=True)
    except RecursionError:            # absurdly deep nesting
        body = None
    if not isinstance(body, dict) or not utf8_clean(body):
        raise BadRequest("Nội dung gửi lên không phải một đối tượng JSON hợp lệ.")
    missing = [key for key in required if key not in body]
    if missing:
        raise BadRequest("Thiếu trường: " + ", ".join(missing), {"missing": missing})
    return body


def utf8_clean(value, depth=0):
    """True when every string in a JSON value can be stored as UTF-8 (no lone surrogates)."""
    if depth > 50:
        return False
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return False
        return True
    if isinstance(value, dict):
        return all(utf8_clean(k, depth + 1) and utf8_clean(v, depth + 1)
                   for k, v in value.items())
    if isinstance(value, list):
        return all(utf8_clean(v, depth + 1) for v in value)
    return True


def int_arg(name, default, low=0, high=None):
    """An integer query argument within bounds; raise BadRequest otherwise."""
    raw = request.args.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(f"Tham số {name} phải là số nguyên.") from None
    if value < low or (high is not None and value > high):
        raise BadRequest(f"Tham số {name} nằm ngoài khoảng cho phép.")
    return value


def date_arg(name):
    """A YYYY-MM-DD query argument, or today in Vietnam."""
    raw = request.args.get(name)
    if raw is None:
        return today_local()
    try:
        return parse_day(raw, f"Tham số {name}")
    except Invalid as error:
        raise BadRequest(error.message) from None


@bp.post("/login")
def login():
    """Exchange a username and PIN or password for a bearer token."""
    body = json_body("username", "secret")
    site = get_site()
    return jsonify(auth.signed_in(site, auth.authenticate(site, body["username"],
                                                         body["secret"])))


@bp.post("/logout")
@api()
def logout():
    """Revoke the token of this request (the user's other phones stay signed in)."""
    auth.revoke_token(get_site(), request.headers["Authorization"][7:].strip())
    audit.record(get_site(), g.user["username"], "logout")
    return jsonify({"status": "ok"})


@bp.get("/records")
@api("volunteer", "lead", "staff", "admin")
def records():
    """Versions the caller may see, stored after change sequence `since`."""
    since = int_arg("since", 0)
    limit = int_arg("limit", MAX_PULL, 1, MAX_PULL)
    villages = set(visible_villages(g.user))
    site = get_site()
    # read before the scan: a version committed during it must not fall behind next_since
    last_seq = site.store.last_seq
    rows = site.store.versions_since(since, limit + 1, lambda v: v["village_id"] in villages)
    more = len(rows) > limit
    rows = rows[:limit]
    next_since = rows[-1][0] if rows else max(since, 0)
    answer = {"records": [v for _, v in rows], "more": more, "server_time": utc_now()}
    if not more:           # the last page: also which households have an open fork
        next_since = max(next_since, last_seq)
        answer["forked"] = forked_households(site.store, villages)
    return jsonify(dict(answer, next_since=next_since))


@bp.post("/records")
@api(*WRITER_ROLES)
def post_records():
    """Store versions; answer a status per record: accepted, duplicate or rejected."""
    body = json_body("records")
    raws = body["records"]
    if not isinstance(raws, list):
        raise BadRequest("Trường records phải là một danh sách.")
    if len(raws) > MAX_RECORDS_PER_REQUEST:
        raise BadRequest(f"Tối đa {MAX_RECORDS_PER_REQUEST} bản ghi mỗi lần gửi.")
    site = get_site()
    results = save_versions(site, raws, g.user, visible_villages(g.user))
    return jsonify({"results": results, "server_time": utc_now()})


@bp.post("/phones")
@api(*WRITER_ROLES)
def phone_report():
    """A phone's report after a sync: its device id and the changes still in its outbox,
    kept one row per device for the lead's view of the team's phones."""
    if request.content_length is None or request.content_length > MAX_PHONE_REPORT:
        raise BadRequest(f"Báo cáo điện thoại phải có độ dài, tối đa {MAX_PHONE_REPORT} byte.")
    phones.report(get_site(), g.user, json_body())
    return jsonify({"status": "ok", "server_time": utc_now()})


@bp.get("/indicators")
@api("lead", "staff", "admin")
def indicators():
    """The indicators answer of SPEC §6, for the caller's villages (a lead's village: the
    dashboard is theirs, SPEC §5; volunteers work on households, not on figures)."""
    as_of = date_arg("as_of")
    village_id = request.args.get("village_id")
    villages = visible_villages(g.user)
    if village_id:
        check_village(g.user, village_id)
        villages = [village_id]
    site = get_site()
    return jsonify(site_indicators(site, as_of, villages))


@bp.get("/conflicts")
@api("lead", "staff", "admin")
def conflicts():
    """Records of the caller's villages edited from two devices, neither edit made from
    the other (SPEC §3 forks), each with its heads, for the lead and staff to resolve."""
    site = get_site()
    site.store.refresh()
    return jsonify({"conflicts": list(open_forks(site.store, visible_villages(g.user)))})


@bp.get("/openapi.json")
def openapi_json():
    """The OpenAPI description of this API (no data, public like the guides)."""
    from fieldapp.views.openapi import openapi
    return jsonify(openapi())


@bp.get("/rules")
@api()
def rules():
    """The record rules, for the phone app to check before saving (no personal data)."""
    return jsonify(rules_as_json())


@bp.get("/me")
@api()
def me():
    """Who the token belongs to."""
    return jsonify({"user": auth.public_user(get_site(), g.user), "server_time": utc_now()})


