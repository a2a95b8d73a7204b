"""Two versions of one record side by side: which fields differ, and each as people read
it (the commune's conflicts page and the village's)."""
from fieldapp.forms.rules import CHOICES, RULES

__all__ = ["differences", "readable", "record_title", "field_labels"]


def differences(heads):
    """The data fields (and deletion) whose values differ between competing versions."""
    keys = sorted({k for v in heads for k in v["data"]})
    fields = [k for k in keys if len({repr(v["data"].get(k)) for v in heads}) > 1]
    if len({v["deleted"] for v in heads}) > 1:
        fields.append("deleted")
    return fields


def readable(version, field):
    """A field's value as people read it."""
    if field == "deleted":
        return "Đã xóa" if version["deleted"] else "Còn"
    value = version["data"].get(field)
    choices = CHOICES.get(field) if field in ("outcome", "vneid", "sex", "service_area",
                                              "rating") else None
    if isinstance(value, bool):
        return "Có" if value else "Không"
    if isinstance(value, list):
        return ", ".join(CHOICES["help"].get(v, v) for v in value) or "—"
    if choices and value in choices:
        return choices[value]
    return "—" if value in (None, "") else str(value)


def record_title(version):
    """What names a record for people: its household head, person, or date."""
    data = version["data"]
    return data.get("head_name") or data.get("full_name") or data.get("visited_on") \
        or data.get("surveyed_on") or version["id"][:8]


def field_labels():
    labels = {"deleted": "Trạng thái"}
    for rules in RULES.values():
        labels.update({rule.name: rule.label for rule in rules})
    return labels
