"""The record rules of SPEC §3, written once for the HTML forms, the API and the phone.

`RULES` describes every record type's fields; `validate_data` applies them and returns
the cleaned data and a {field: Vietnamese message} dict. The round app receives the same
description as JSON (`rules_as_json`) and checks with it before saving.
"""
import datetime
import re
import unicodedata
from dataclasses import dataclass, field

from fieldapp.forms.consent import (COMMENT_NEEDS_CONSENT, GIVEN_BY, NOTICE_VERSION,
                                    NOTICE_VERSIONS, PHONE_NEEDS_CONSENT, PURPOSES,
                                    check_consent, fields_needing_consent)

__all__ = ["Field", "RULES", "CHOICES", "TYPE_LABELS", "DOOR_TO_DOOR", "validate_data",
           "rules_as_json", "DATE_RE", "PHONE_RE", "normalise_phone",
           "UUID_RE", "MIN_BIRTH_YEAR", "MAX_CLOCK_AHEAD", "CONTROL_RE", "BIDI_RE", "UNSAFE_TEXT_RE", "has_letter",
           "clean_name"]

UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\Z")
PHONE_RE = re.compile(r"^\+?[0-9][0-9 .-]{6,18}[0-9]$")
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}\Z")


def normalise_phone(text):
    """A phone number's digits, a leading +84 turned into 0 ('+84 912 345 678' ->
    '0912345678'); another country's number keeps its '+'. Search compares these."""
    digits = re.sub(r"[^0-9]", "", text)
    if text.startswith("+84"):
        return "0" + digits[2:]
    return ("+" if text.startswith("+") else "") + digits
MIN_BIRTH_YEAR = 1900
# How far a version's stamp may run ahead of the clock it is judged by: the receiving
# laptop's for a phone's version; at the commune the batch's created_at, and the commune's
# own clock for created_at. One constant for every path; the phone app receives it.
MAX_CLOCK_AHEAD = datetime.timedelta(minutes=10)

CHOICES = {
    "sex": {"male": "Nam", "female": "Nữ"},
    "vneid": {"none": "Chưa có", "installed": "Đã cài ứng dụng",
              "level1": "Mức 1", "level2": "Mức 2"},
    "outcome": {"met": "Gặp được", "absent": "Vắng nhà", "refused": "Từ chối"},
    "help": {"vneid_install": "Cài VNeID", "vneid_level2": "Kích hoạt mức 2",
             "vneid_password_reset": "Lấy lại mật khẩu VNeID",
             "phone_number_update": "Cập nhật số điện thoại",
             "bank_account": "Mở tài khoản ngân hàng",
             "online_filing": "Nộp hồ sơ trực tuyến",
             "online_payment": "Thanh toán trực tuyến",
             "guide_shared": "Gửi hướng dẫn"},
    "service_area": {"land": "Đất đai", "construction": "Xây dựng", "investment": "Đầu tư",
                     "civil_status": "Hộ tịch", "social_insurance": "Bảo hiểm xã hội",
                     "business": "Kinh doanh", "other": "Khác"},
    "purpose": PURPOSES,              # consent (SPEC §3): fieldapp/forms/consent.py
    "consent_by": GIVEN_BY,
    "member_role": {"volunteer": "Tình nguyện viên", "lead": "Tổ trưởng"},
    "rating": {1: "1 – Rất không hài lòng", 2: "2 – Không hài lòng", 3: "3 – Bình thường",
               4: "4 – Hài lòng", 5: "5 – Rất hài lòng"},
}

TYPE_LABELS = {"household": "Hộ gia đình", "person": "Người dân",
               "visit": "Lần đến nhà", "survey": "Khảo sát hài lòng",
               "member": "Thành viên tổ công nghệ số"}


@dataclass(frozen=True)
class Field:
    """One field of a record's data."""
    name: str
    kind: str                 # text, phone, year, bool, choice, choices, date, ref, rating,
                              # consent
    label: str
    required: bool = False
    max_length: int = 200
    choices: str = ""         # key into CHOICES
    multiline: bool = False
    extra: dict = field(default_factory=dict)


RULES = {
    "household": (
        Field("head_name", "text", "Họ tên chủ hộ", required=True, max_length=120),
        Field("address", "text", "Địa chỉ", max_length=200),
        Field("hamlet", "text", "Xóm, tổ", max_length=60),   # the lead sorts the round by it
        Field("consent", "consent", "Đồng ý", choices="purpose"),
        Field("phone", "phone", "Số điện thoại"),
        Field("note", "text", "Ghi chú", max_length=1000, multiline=True),
    ),
    "person": (
        Field("household_id", "ref", "Hộ gia đình", required=True),
        Field("full_name", "text", "Họ và tên", required=True, max_length=120),
        Field("birth_year", "year", "Năm sinh", required=True),
        Field("sex", "choice", "Giới tính", choices="sex"),
        Field("consent", "consent", "Đồng ý", choices="purpose"),
        Field("phone", "phone", "Số điện thoại"),
        Field("vneid", "choice", "Tài khoản VNeID", required=True, choices="vneid"),
        Field("bank_account", "bool", "Có tài khoản ngân hàng", required=True),
        Field("uses_online_services", "bool", "Đã nộp hồ sơ trực tuyến", required=True),
        Field("paid_online", "bool", "Đã thanh toán trực tuyến"),
    ),
    "visit": (
        Field("household_id", "ref", "Hộ gia đình", required=True),
        Field("visited_on", "date", "Ngày đến", required=True),
        Field("outcome", "choice", "Kết quả", required=True, choices="outcome"),
        Field("help", "choices", "Đã hỗ trợ", choices="help"),
        Field("note", "text", "Ghi chú", max_length=1000, multiline=True),
    ),
    "survey": (
        Field("household_id", "ref", "Hộ gia đình"),
        Field("person_id", "ref", "Người được hỏi"),
        Field("surveyed_on", "date", "Ngày khảo sát", required=True),
        Field("service_area", "choice", "Lĩnh vực thủ tục", required=True,
              choices="service_area"),
        Field("rating", "rating", "Mức độ hài lòng", required=True, choices="rating"),
        Field("comment", "text", "Ý kiến", max_length=1000, multiline=True),
    ),
    # the team roster: written by the lead from the accounts page, counted by the commune
    "member": (
        Field("full_name", "text", "Họ và tên", required=True, max_length=120),
        Field("username", "text", "Tên đăng nhập", max_length=32),
        Field("role", "choice", "Vai trò", choices="member_role"),
        Field("active", "bool", "Đang tham gia tổ", required=True),
        Field("trained_on", "date", "Ngày tập huấn"),
        Field("training_topic", "text", "Nội dung tập huấn", max_length=200),
    ),
}
DOOR_TO_DOOR = ("household", "person", "visit", "survey")


# the Unicode category Cc (C0 and C1 controls) except newline and tab, and lone
# surrogates (JSON can spell them, UTF-8 cannot: no file could hold them), as one regex
CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
# bidirectional embeddings, overrides (U+202A-U+202E) and isolates (U+2066-U+2069): they
# make a text read otherwise than it is stored (a name shown backwards, a note disguised)
BIDI_RE = re.compile("[\u202a-\u202e\u2066-\u2069]")
# what no text field may hold: either of the above (the fast checks look for this first)
UNSAFE_TEXT_RE = re.compile(CONTROL_RE.pattern[:-1] + BIDI_RE.pattern[1:])


def has_letter(text):
    """Whether a text holds a letter (a Unicode category L* character): a name made only
    of spaces, zero-width characters or combining marks is not one a person can read."""
    return any(map(str.isalpha, text))


def _clean_text(value, rule):
    if not isinstance(value, str):
        return None, "phải là chữ"
    text = unicodedata.normalize("NFC", value).strip()
    if CONTROL_RE.search(text):
        return None, "có ký tự không hợp lệ"
    if BIDI_RE.search(text):
        return None, "có ký tự đảo hướng chữ (U+202A–U+202E, U+2066–U+2069), không được phép"
    if len(text) > rule.max_length:
        return None, f"dài quá {rule.max_length} ký tự"
    if rule.required and text and not has_letter(text):     # every required text is a name
        return None, "phải có ít nhất một chữ cái (không chỉ dấu cách hay ký tự vô hình)"
    return text, None


_NAME = Field("full_name", "text", "Họ và tên", required=True, max_length=120)


def clean_name(value):
    """(the name as stored, None) or (None, Vietnamese reason) for a person's name that is
    not in a record (an account's holder): a team member's name rule."""
    text, error = _clean_text(value, _NAME)
    if error is None and not text:
        error = "bắt buộc"
    return text, error


def _check(value, rule, today):
    """Return (clean value, None) or (None, Vietnamese reason) for one present value."""
    kind = rule.kind
    if kind == "text":
        return _clean_text(value, rule)
    if kind == "phone":
        text, error = _clean_text(value, rule)
        if error or text == "":
            return text, error
        if not PHONE_RE.match(text):
            return None, "sai dạng (ví dụ 0912 345 678)"
        return normalise_phone(text), None      # SPEC §3: digits only, +84 -> 0
    if kind in ("year", "rating"):
        if isinstance(value, bool) or not isinstance(value, int):
            return None, "phải là số nguyên"
        if kind == "rating":
            return (value, None) if 1 <= value <= 5 else (None, "phải từ 1 đến 5")
        if value > today.year:
            return None, "không thể ở tương lai"
        if value < MIN_BIRTH_YEAR:
            return None, f"phải từ {MIN_BIRTH_YEAR} trở đi"
        return value, None
    if kind == "bool":
        return (value, None) if isinstance(value, bool) else (None, "phải là có hoặc không")
    if kind == "choice":
        return (value, None) if isinstance(value, str) and value in CHOICES[rule.choices] \
            else (None, "giá trị không hợp lệ")
    if kind == "choices":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return None, "phải là danh sách"
        if len(value) > len(CHOICES[rule.choices]) * 2 or any(
                v not in CHOICES[rule.choices] for v in value):
            return None, "có giá trị không hợp lệ"
        return sorted(set(value), key=list(CHOICES[rule.choices]).index), None
    if kind == "date":
        if not isinstance(value, str) or not DATE_RE.match(value):
            return None, "phải là ngày dạng YYYY-MM-DD"
        try:
            day = datetime.date.fromisoformat(value)
        except ValueError:
            return None, "không phải ngày có thật"
        if day > today + datetime.timedelta(days=1):
            return None, "không thể ở tương lai"
        if day.year < 2000:
            return None, "ngày quá xa"
        return value, None
    if kind == "ref":
        return (value, None) if isinstance(value, str) and UUID_RE.match(value) \
            else (None, "mã tham chiếu không hợp lệ")
    if kind == "consent":
        return check_consent(value, today)
    raise AssertionError(f"unknown field kind {kind}")


def validate_data(record_type, data, today=None, partial=False):
    """Check a record's data; return (clean data, {field: message}).

    With `partial` (tombstones), required fields may be missing, and a phone is not
    judged by the consent (a deletion is never refused for the data it leaves behind).
    """
    today = today or datetime.date.today()
    rules = RULES.get(record_type)
    if rules is None:
        return {}, {"type": "loại bản ghi không hợp lệ"}
    if not isinstance(data, dict):
        return {}, {"data": "phải là một đối tượng JSON"}
    errors, clean = {}, {}
    known = {rule.name for rule in rules}
    for name in data:
        if name not in known:
            errors[str(name)[:60]] = "trường không được phép"
    for rule in rules:
        value = data.get(rule.name)
        if value is None or value == "" or value == []:
            if rule.required and not partial:
                errors[rule.name] = f"{rule.label}: bắt buộc"
            elif (value == "" and rule.kind in ("text", "phone")) or (
                    value == [] and rule.kind == "choices"):    # kept only in its own type
                clean[rule.name] = value
            continue
        value, error = _check(value, rule, today)
        if value == "" and rule.required and not partial:
            error = "bắt buộc"
        if error:
            errors[rule.name] = f"{rule.label}: {error}"
        else:
            clean[rule.name] = value
    if not partial:
        for name in fields_needing_consent(record_type, clean):
            errors[name] = f"{_LABELS[record_type, name]}: {PHONE_NEEDS_CONSENT}"
            del clean[name]
    return clean, errors


_LABELS = {(t, rule.name): rule.label for t, rules in RULES.items() for rule in rules}


def rules_as_json(today=None):
    """The rules as plain JSON for the phone app."""
    today = today or datetime.date.today()
    return {
        "types": {t: [{"name": r.name, "kind": r.kind, "label": r.label,
                       "required": r.required, "max_length": r.max_length,
                       "choices": r.choices, "multiline": r.multiline,
                       "needs_letter": r.required and r.kind == "text"} for r in rules]
                  for t, rules in RULES.items()},
        "choices": {k: [[key, label] for key, label in v.items()] for k, v in CHOICES.items()},
        "type_labels": TYPE_LABELS,
        "min_birth_year": MIN_BIRTH_YEAR,
        "max_year": today.year,
        "phone_pattern": PHONE_RE.pattern,
        "control_pattern": CONTROL_RE.pattern,
        "bidi_pattern": BIDI_RE.pattern,
        "max_clock_ahead_ms": int(MAX_CLOCK_AHEAD.total_seconds() * 1000),
        "notice_version": NOTICE_VERSION,
        "notice_versions": list(NOTICE_VERSIONS),
        "phone_needs_consent": PHONE_NEEDS_CONSENT,
        "comment_needs_consent": COMMENT_NEEDS_CONSENT,
    }
