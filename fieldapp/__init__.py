"""fieldapp: door-to-door digital campaigns, from village laptops to the commune centre."""
import datetime
import os

from flask import Flask, g, jsonify, render_template, request
from flask_wtf.csrf import CSRFError

from fieldapp import compression
from fieldapp.auth.accounts import prune_tokens
from fieldapp.forms import text
from fieldapp.forms.errors import FieldappError
from fieldapp.indicators import periods
from fieldapp.indicators.definitions import source_label
from fieldapp.site import Site

__all__ = ["create_app", "error_response"]
__version__ = "0.1.0"

MAX_BODY = 4 * 1024 * 1024
SMALL_BODY = 8 * 1024
# endpoints whose bodies are a few fields (sign-in above all: anyone on the Wi-Fi reaches it)
SMALL_BODY_ENDPOINTS = frozenset((
    "api.login", "api.logout", "auth.login", "auth.logout", "round.login_card",
    "round.session_token", "batches.forget_key", "batches.push_sealing",
    "batches.revoke_push_token", "export.confirm_export", "round.revoke_card",
    "commune.user_action", "team.volunteer_action", "village.delete_record",
    "conflicts.resolve", "subjects.new", "subjects.answered", "subjects.done",
    "province_push.revoke_token", "commune.rollup_push", "push_setup.connection"))


def create_app(config=None):
    """Build the Flask app for the data directory in config["DATA_DIR"]."""
    config = dict(config or {})
    data_dir = config.get("DATA_DIR") or os.environ.get("FIELDAPP_DATA") or "fieldapp-data"
    site = Site(data_dir)
    prune_tokens(site)          # sign-ins since the last start left expired tokens behind
    app = Flask(__name__)
    app.config.from_mapping(
        SECRET_KEY=site.secret_key(),
        DATA_DIR=site.data_dir,
        MAX_CONTENT_LENGTH=MAX_BODY,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_NAME="fieldapp_session",
        PERMANENT_SESSION_LIFETIME=datetime.timedelta(days=7),
        WTF_CSRF_TIME_LIMIT=None,
    )
    app.config.update(config)
    app.json.ensure_ascii = False
    app.extensions["fieldapp_site"] = site
    compression.init_app(app)       # first registered, so it runs after every other hook

    @app.before_request
    def limit_small_bodies():
        # before CSRFProtect reads the form: a larger body is refused unread (JSON 413)
        if request.endpoint in SMALL_BODY_ENDPOINTS or request.endpoint is None:
            request.max_content_length = SMALL_BODY

    from fieldapp.views import (api, audit_log, auth_pages, commune, conflicts, export, guides,
                                province, province_push, province_targets, reports, round,
                                push_setup, subject_requests, team, village)
    from fieldapp.views.forms import csrf
    csrf.init_app(app)
    for blueprint in (auth_pages.bp, village.bp, team.bp, conflicts.bp, api.bp, round.bp,
                      guides.bp, export.bp, reports.bp, subject_requests.bp, audit_log.bp, province.bp,
                      province_targets.bp, province_push.bp, push_setup.bp, *commune.blueprints):
        app.register_blueprint(blueprint)
    csrf.exempt(api.bp)

    app.jinja_env.filters.update(percent=text.percent, vn_date=text.vn_date, vn_span=text.vn_span,
                                 vn_number=text.vn_number, points=text.points,
                                 target=text.target_cell, target_line=text.target_line,
                                 source_label=source_label, numbered=periods.numbered)
    @app.context_processor
    def navigation():
        from fieldapp.auth.access import current_user
        from fieldapp.indicators.periods import period_word
        from fieldapp.views.nav import nav_links
        from fieldapp.records import person_name
        user = current_user()
        who = person_name(site.store, user) if user else None
        return {"nav_links": nav_links(user, site.kind), "site_settings": site.settings,
                "who": who, "period_word": period_word(site.settings.get("campaign"))}

    @app.before_request
    def pick_up_other_writers():
        # a CLI command (import, user add) may have written since the last request
        if request.endpoint != "healthz":
            site.store.refresh()

    app.add_url_rule("/healthz", "healthz", lambda: jsonify({"status": "ok"}))
    app.add_url_rule("/favicon.ico", "favicon", lambda: app.send_static_file("favicon.ico"))
    _register_errors(app)
    _register_headers(app)
    return app


def error_response(status, code, message, details=None):
    """The JSON error response every API error uses."""
    response = jsonify({"error": {"code": code, "message": message, "details": details}})
    response.status_code = status
    return response


def wants_json():
    """True when the client should get JSON errors (API calls and JSON clients)."""
    return request.path.startswith("/api/") or request.path == "/healthz" or (
        request.accept_mimetypes.best == "application/json")


def _register_errors(app):
    """Turn every error into the one JSON shape or a Vietnamese page, in one place."""
    from fieldapp.views.forms import FORM_EXPIRED
    messages = {400: "Yêu cầu không hợp lệ.", 401: "Bạn cần đăng nhập.",
                403: "Bạn không có quyền làm việc này.", 404: "Không tìm thấy trang này.",
                405: "Phương thức không được phép.", 413: "Dữ liệu gửi lên quá lớn.",
                429: "Quá nhiều lần thử.", 500: "Máy chủ gặp lỗi. Dữ liệu của bạn không bị thay đổi."}
    codes = {400: "bad_request", 401: "not_signed_in", 403: "forbidden", 404: "not_found",
             405: "method_not_allowed", 413: "too_large", 429: "locked", 500: "server_error"}

    def render(status, code, message, details=None):
        if wants_json():
            return error_response(status, code, message, details)
        return render_template("error.html", status=status, message=message,
                               details=details), status

    @app.errorhandler(FieldappError)
    def domain_error(error):
        return render(error.status, error.code, error.message, error.details)

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return render(400, "csrf", FORM_EXPIRED)

    from werkzeug.exceptions import HTTPException

    @app.errorhandler(HTTPException)
    def http_error(error):
        status = error.code or 500
        response = app.make_response(render(status, codes.get(status, "http_error"),
                                            messages.get(status, error.description)))
        for name, value in error.get_headers():
            if name.lower() != "content-type":    # e.g. Allow on a 405
                response.headers[name] = value
        return response

    @app.errorhandler(Exception)
    def unexpected(error):
        # the traceback without the exception's message, which often quotes the values
        # being handled (int('Nguyễn Văn An')): no personal data in the log
        import traceback
        app.logger.error("unexpected error on %s %s: %s\n%s", request.method, request.path,
                         type(error).__name__,
                         "".join(traceback.format_tb(error.__traceback__)).rstrip())
        return render(500, "server_error", messages[500])


def _register_headers(app):
    """Security headers on every response."""

    @app.after_request
    def headers(response):
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        if g.get("user") is not None or request.path.startswith("/api/"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response
