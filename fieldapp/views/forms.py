"""Flask-WTF forms built from the shared record rules (fieldapp.forms.rules).

WTForms renders the fields and checks CSRF; the rules, shared with the API and the phone,
decide what is valid, so a rule is never written twice.
"""
from flask_wtf import CSRFProtect, FlaskForm
from wtforms import (BooleanField, PasswordField, RadioField, SelectChoice, SelectField,
                     SelectMultipleField, StringField, TextAreaField, widgets)

from fieldapp.forms.consent import GIVEN_BY, PURPOSES, consent_from_form
from fieldapp.forms.errors import BadRequest
from fieldapp.forms.rules import CHOICES, RULES, validate_data

__all__ = ["csrf", "record_form", "form_to_data", "consent_initial", "CONSENT_FIELDS", "choice_list", "LoginForm", "VolunteerForm",
           "ActionForm", "VillageSettingsForm", "DocumentForm", "require_form_token",
           "FORM_EXPIRED"]

csrf = CSRFProtect()      # every form's token; the API (bearer tokens) is exempt
FORM_EXPIRED = "Phiên biểu mẫu đã hết hạn hoặc không hợp lệ. Hãy tải lại trang và gửi lại."


def choice_list(pairs):
    """WTForms choices from (value, label) pairs."""
    return [SelectChoice(str(value), label) for value, label in pairs]


class MultiCheckboxField(SelectMultipleField):
    """A list of checkboxes."""
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()

    def pre_validate(self, form):
        """Choices are checked by the shared rules."""


class LooseRadioField(RadioField):
    """Radio buttons whose value is checked by the shared rules, in Vietnamese."""

    def pre_validate(self, form):
        """Choices are checked by the shared rules."""


# the consent (SPEC §3) as three fields of a page's form; nothing ticked until asked
CONSENT_FIELDS = ("consent_purposes", "consent_by", "consent_on")


def _consent_fields(rule):
    return {"consent_purposes": MultiCheckboxField(
                "Người dân đồng ý cho (hỏi từng mục, chỉ đánh dấu mục được đồng ý)",
                choices=choice_list(PURPOSES.items())),
            "consent_by": LooseRadioField("Người đồng ý", choices=choice_list(GIVEN_BY.items()),
                                          default="self", validate_choice=False),
            "consent_on": StringField("Ngày đồng ý", render_kw={"type": "date"})}


def _field(rule, household_members):
    label = rule.label + (" *" if rule.required else "")
    if rule.kind == "bool":
        return BooleanField(rule.label)
    if rule.kind in ("choice", "rating"):
        choices = list(CHOICES[rule.choices].items())
        if not rule.required:
            choices = [("", "— Không chọn —")] + choices
        return LooseRadioField(label, choices=choice_list(choices), validate_choice=False)
    if rule.kind == "choices":
        return MultiCheckboxField(label, choices=choice_list(CHOICES[rule.choices].items()))
    if rule.kind == "ref":
        if rule.name == "person_id":
            return SelectField(label, choices=choice_list([("", "— Không chọn —")]
                                                          + household_members),
                               validate_choice=False)
        return None          # household_id comes from the page, not from a field
    render = {"maxlength": rule.max_length}
    if rule.kind == "year":
        render = {"inputmode": "numeric", "maxlength": 4, "pattern": "[0-9]*"}
    elif rule.kind == "phone":
        render = {"type": "tel", "inputmode": "tel", "maxlength": 20}
    elif rule.kind == "date":
        render = {"type": "date"}
    if rule.multiline:
        return TextAreaField(label, render_kw=dict(render, rows=3))
    return StringField(label, render_kw=render)


def record_form(record_type, household_members=(), **kwargs):
    """A FlaskForm instance for one record type."""
    attrs = {}
    for rule in RULES[record_type]:
        if rule.kind == "consent":
            attrs.update(_consent_fields(rule))
            continue
        field = _field(rule, list(household_members))
        if field is not None:
            attrs[rule.name] = field
    form_class = type(f"{record_type.title()}Form", (FlaskForm,), attrs)
    return form_class(**kwargs)


def form_to_data(record_type, form, fixed, today=None, previous=None):
    """Turn a submitted form into record data; return (data, errors) by the shared rules
    (an error of the consent is named after its purposes' field). `previous`: the data
    the form edits, whose consent keeps its notice version while its day is unchanged."""
    raw = dict(fixed)
    for rule in RULES[record_type]:
        if rule.kind == "consent":
            raw["consent"] = consent_from_form(
                form.consent_purposes.data, form.consent_by.data or None,
                (form.consent_on.data or "").strip() or None, (previous or {}).get("consent"))
            continue
        if rule.name not in form:
            continue
        value = form[rule.name].data
        if rule.kind in ("year", "rating") and isinstance(value, str):
            value = value.strip()
            value = int(value) if value.isascii() and value.isdigit() else (value or None)
        if value == "":
            value = None
        raw[rule.name] = value
    data, errors = validate_data(record_type, raw, today)
    if "consent" in errors:
        errors["consent_purposes"] = errors.pop("consent")
    return data, errors


def consent_initial(data, today):
    """The consent fields' initial values for a form showing `data`: the day defaults to
    `today`, who gave it to the person; no purpose is ticked unless it was agreed."""
    given = data.get("consent") or {}
    return {"consent_purposes": list(given.get("purposes", [])),
            "consent_by": given.get("by", "self"), "consent_on": given.get("on", today)}


class LoginForm(FlaskForm):
    """Sign-in with a username and a PIN or password."""
    username = StringField("Tên đăng nhập", render_kw={
        "autocomplete": "username", "autocapitalize": "none", "autocorrect": "off"})
    secret = PasswordField("Mã PIN hoặc mật khẩu", render_kw={
        "autocomplete": "current-password"})


class VolunteerForm(FlaskForm):
    """The lead adds a volunteer account."""
    full_name = StringField("Họ và tên", render_kw={"maxlength": 120})
    username = StringField("Tên đăng nhập (không dấu)", render_kw={
        "autocapitalize": "none", "maxlength": 32})
    pin = PasswordField("Mã PIN 6 số", render_kw={"inputmode": "numeric", "maxlength": 6,
                                                  "autocomplete": "new-password"})
    role = LooseRadioField("Vai trò", choices=choice_list([("volunteer", "Tình nguyện viên"),
                                                           ("lead", "Tổ trưởng")]),
                           default="volunteer", validate_choice=False)


class ActionForm(FlaskForm):
    """A form with only its CSRF token, for buttons that change something."""


def require_form_token():
    """Raise BadRequest unless the posted form carries a valid CSRF token."""
    if not ActionForm().validate_on_submit():
        raise BadRequest(FORM_EXPIRED)


class VillageSettingsForm(FlaskForm):
    """The village admin's settings: Wi-Fi for the QR sheet, population, campaign dates."""
    village_name = StringField("Tên thôn", render_kw={"maxlength": 80})
    adult_population = StringField("Số người trưởng thành (số chính thức, để trống nếu chưa có)",
                                   render_kw={"inputmode": "numeric", "maxlength": 7})
    campaign_start = StringField("Ngày bắt đầu chiến dịch", render_kw={"type": "date"})
    campaign_end = StringField("Ngày kết thúc chiến dịch", render_kw={"type": "date"})
    wifi_ssid = StringField("Tên Wi-Fi của máy (SSID)", render_kw={"maxlength": 32})
    wifi_password = StringField("Mật khẩu Wi-Fi", render_kw={"maxlength": 63,
                                                              "autocomplete": "off"})
    subject_request_days = StringField("Hạn xử lý yêu cầu về dữ liệu cá nhân (số ngày)",
                                       render_kw={"inputmode": "numeric", "maxlength": 2})


class DocumentForm(FlaskForm):
    """The report's Decree 30 details (fieldapp.reports.decree30 checks them)."""
    issuer = StringField("Cơ quan ban hành", render_kw={"maxlength": 120})
    symbol = StringField("Ký hiệu văn bản (sau dấu “/” của số)", render_kw={
        "maxlength": 30, "autocapitalize": "characters"})
    signer_capacity = StringField("Thẩm quyền ký", render_kw={"maxlength": 60})
    signer_title = StringField("Chức vụ người ký", render_kw={"maxlength": 60})
    signer_name = StringField("Họ và tên người ký", render_kw={"maxlength": 80,
                                                               "autocomplete": "off"})
    recipients = TextAreaField("Nơi nhận (mỗi nơi một dòng)", render_kw={"rows": 5})
