"""The indicators of SPEC §4: each one's label, default target, numerator and denominator."""
from dataclasses import dataclass

from fieldapp.forms.sources import SOURCES

__all__ = ["Definition", "DEFINITIONS", "LABELS", "DEFAULT_TARGETS", "LCI", "SOURCES",
           "source_label", "change"]

LCI = ("land", "construction", "investment")


@dataclass(frozen=True)
class Definition:
    key: str
    label: str
    target: float | None
    numerator: str
    denominator: str      # a Counts field, or "adults" for the official-population rule


DEFINITIONS = (
    Definition("adult_online_usage", "Người trưởng thành sử dụng dịch vụ công trực tuyến",
               0.50, "adults_online", "adults"),
    Definition("satisfaction", "Người dân hài lòng với dịch vụ công trực tuyến",
               0.90, "surveys_satisfied", "surveys"),
    Definition("satisfaction_land_construction_investment",
               "Hài lòng với thủ tục đất đai, xây dựng, đầu tư", 0.85,
               "surveys_lci_satisfied", "surveys_lci"),
    Definition("household_vneid_level2", "Hộ có ít nhất 1 thành viên định danh mức 2",
               1.00, "households_level2", "households"),
    Definition("adult_vneid_level2", "Người trưởng thành có định danh điện tử mức 2",
               None, "adults_level2", "adults"),
    Definition("adult_bank_account", "Người trưởng thành có tài khoản ngân hàng",
               1.00, "adults_bank", "adults"),
    Definition("households_visited", "Hộ đã được đến tận nhà hướng dẫn",
               1.00, "households_visited", "households"),
    Definition("volunteers_trained", "Thành viên tổ công nghệ số được tập huấn",
               0.90, "members_trained", "members"),
)
LABELS = {d.key: d.label for d in DEFINITIONS}
DEFAULT_TARGETS = {d.key: d.target for d in DEFINITIONS}


def source_label(source):
    """The label of a denominator source ('' for none; an unknown one as it is)."""
    return SOURCES.get(source, source or "")


def change(value, before):
    """How far a ratio moved from an earlier one (0.52 after 0.40: 0.12), or None when
    either is unknown: the one "change from the previous period" of pages and reports."""
    return None if value is None or before is None else value - before
