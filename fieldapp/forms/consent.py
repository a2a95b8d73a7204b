"""Consent at the door (SPEC §3, Law 91/2025/QH15, Decree 356/2025/NĐ-CP).

Households and people may carry `consent`: {"notice_version", "purposes", "by", "on"}:
the version of the privacy notice the volunteer showed or read (NOTICE_VERSION is the
one published now, at /guides/quyen-rieng-tu), the purposes agreed, who agreed (the
person or a guardian) and the day. `check_consent` cleans one; `fields_needing_consent`
says which fields of a record its own consent does not allow (a phone needs
`phone_contact`); `comment_allowed` is the rule of a survey's comment, which needs the
`satisfaction_survey` consent of the person (or household) surveyed, another record.

Nothing here imports the rest of the app (rules.py stands on it).
"""
import datetime
import re

__all__ = ["NOTICE_VERSION", "NOTICE_VERSIONS", "PURPOSES", "GIVEN_BY", "CONSENT_KEYS",
           "check_consent", "consent_from_form", "fields_needing_consent", "comment_allowed", "PHONE_NEEDS_CONSENT",
           "COMMENT_NEEDS_CONSENT", "COMMENT_PARENT_UNKNOWN"]

# Every version of the notice ever published, oldest first; the last is shown now. A new
# notice is a new entry (never an edit of one), so a consent names the text it was given on.
NOTICE_VERSIONS = ("2026-01",)
NOTICE_VERSION = NOTICE_VERSIONS[-1]

# the purposes a person may agree to, in the order the forms show and the rules store them
# (short: the round app carries them on every phone's load)
PURPOSES = {
    "campaign_support": "Hỗ trợ dùng dịch vụ công trực tuyến",
    "satisfaction_survey": "Khảo sát hài lòng (ghi ý kiến)",
    "phone_contact": "Gọi điện, nhắn tin (ghi số điện thoại)",
}
GIVEN_BY = {"self": "Chính người đó", "guardian": "Người giám hộ"}
CONSENT_KEYS = ("by", "notice_version", "on", "purposes")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}\Z")

PHONE_NEEDS_CONSENT = ("chỉ được ghi khi người dân đồng ý được gọi điện, nhắn tin: hãy đánh "
                       "dấu mục đó, hoặc xóa số điện thoại.")
COMMENT_NEEDS_CONSENT = ("chỉ được ghi khi người được hỏi (hoặc hộ) đã đồng ý khảo sát hài "
                         "lòng: hãy ghi sự đồng ý đó, hoặc xóa ý kiến.")
COMMENT_PARENT_UNKNOWN = ("chưa thấy hộ hoặc người được hỏi trên máy này, nên chưa biết họ có "
                          "đồng ý không. Hãy lưu hộ/người trước, hoặc xóa ý kiến.")


def check_consent(value, today):
    """(clean consent, None) or (None, Vietnamese reason) for a present `consent` value.

    The purposes are stored in the order of PURPOSES; an unknown or repeated purpose, an
    unknown notice version, another shape, or a day after tomorrow (the date rule of every
    date field) is refused.
    """
    if not isinstance(value, dict) or sorted(value) != list(CONSENT_KEYS):
        return None, "sai dạng: phải có đúng bốn mục notice_version, purposes, by, on"
    version, purposes, by, day = (value["notice_version"], value["purposes"], value["by"],
                                  value["on"])
    if not isinstance(version, str) or version not in NOTICE_VERSIONS:
        return None, f"phiên bản thông báo không có (bản hiện nay: {NOTICE_VERSION})"
    if not isinstance(purposes, list) or not all(isinstance(p, str) for p in purposes):
        return None, "các mục đích phải là một danh sách"
    if any(p not in PURPOSES for p in purposes):
        return None, "có mục đích không hợp lệ"
    if len(set(purposes)) != len(purposes):
        return None, "có mục đích bị ghi hai lần"
    if not isinstance(by, str) or by not in GIVEN_BY:
        return None, "người đồng ý phải là chính người đó hoặc người giám hộ"
    if not isinstance(day, str) or not _DATE_RE.match(day):
        return None, "ngày đồng ý phải là ngày dạng YYYY-MM-DD"
    try:
        given = datetime.date.fromisoformat(day)
    except ValueError:
        return None, "ngày đồng ý không phải ngày có thật"
    if given > today + datetime.timedelta(days=1):
        return None, "ngày đồng ý không thể ở tương lai"
    if given.year < 2000:
        return None, "ngày đồng ý quá xa"
    order = list(PURPOSES)
    return {"notice_version": version, "purposes": sorted(purposes, key=order.index),
            "by": by, "on": day}, None


def consent_from_form(purposes, by, on, previous=None):
    """The consent a form (a page, the round app's views.js) records: None when no
    purpose is ticked (nothing is pre-ticked; unticking them all withdraws it), else the
    purposes, who gave it and the day, on the notice shown that day: the previous
    consent's when its day is unchanged, else today's NOTICE_VERSION."""
    if not purposes:
        return None
    keep = isinstance(previous, dict) and previous.get("on") == on
    return {"notice_version": previous.get("notice_version") if keep else NOTICE_VERSION,
            "purposes": list(purposes), "by": by, "on": on}


def agreed(consent, purpose):
    """Whether a (clean) consent, or None, holds `purpose`."""
    return isinstance(consent, dict) and purpose in (consent.get("purposes") or ())


def fields_needing_consent(record_type, clean):
    """The fields of a household's or person's clean data that its consent does not
    allow: a phone without `phone_contact`. An empty phone is no phone."""
    if record_type in ("household", "person") and clean.get("phone") and not agreed(
            clean.get("consent"), "phone_contact"):
        return ["phone"]
    return []


def comment_allowed(survey_data, current):
    """Whether a survey's comment may be kept: True (no comment, or the consent is
    there), False (the person or household surveyed is known and has not agreed to
    `satisfaction_survey`), or None (who was surveyed is not known here yet).

    `current(record_id)` answers the live data of a record, or None. The person surveyed,
    when named, decides; else the household.
    """
    if not survey_data.get("comment"):
        return True
    parent = survey_data.get("person_id") or survey_data.get("household_id")
    if not parent:
        return False
    data = current(parent)
    if data is None:
        return None
    return agreed(data.get("consent"), "satisfaction_survey")
