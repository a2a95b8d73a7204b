"""De-identifying every version (an erasure or a purge) leaves every indicator of every
village and period equal."""
import datetime

from hypothesis import given, settings as hsettings, strategies as st

from fieldapp.forms.erasure import deidentify_version
from fieldapp.indicators.compute import compute
from tests.reports.test_indicators_onepass import END, histories, settings_for

NAMES = {"household": {"head_name": "Nguyễn Văn An", "address": "Xóm 1", "phone": "0912345678",
                       "note": "cổng xanh"},
         "person": {"full_name": "Trần Thị Bình", "phone": "0987654321"},
         "visit": {"note": "hẹn lại"}, "survey": {"comment": "nhanh"}}


def _identified(stored):
    return {rid: [dict(v, data=dict(v["data"], **NAMES.get(v["type"], {}))) for v in versions]
            for rid, versions in stored.items()}


@hsettings(max_examples=40, deadline=None)
@given(histories(), st.lists(st.sampled_from([None, 0, 40, 120]), min_size=3, max_size=3),
       st.integers(-3, 6))
def test_every_indicator_is_equal_after_every_version_is_deidentified(stored, official, days):
    settings = settings_for(official)
    stored = _identified(stored)
    erased = {rid: [deidentify_version(v) for v in versions] for rid, versions in stored.items()}
    as_of = END + datetime.timedelta(days=days)
    assert compute(settings, erased, as_of) == compute(settings, stored, as_of)
