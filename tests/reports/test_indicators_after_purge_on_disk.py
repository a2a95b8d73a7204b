"""A purge rewrites the stored versions on disk and leaves every indicator of every
village and period equal, also when a history has versions stamped alike (same time and
device), whose order an erasure must not change, and after the store is read again."""
import datetime
import tempfile

from hypothesis import given, settings as hsettings, strategies as st

from fieldapp.forms.erasure import deidentify_version
from fieldapp.indicators.compute import compute_each
from storage import RecordStore
from tests.reports.test_indicators_after_erasure import _identified
from tests.reports.test_indicators_onepass import END, VILLAGES, histories, settings_for


@st.composite
def tied_histories(draw):
    """Histories where some records have two versions stamped alike (same device)."""
    drawn = draw(histories())
    for history in drawn.values():
        if len(history) > 1 and draw(st.booleans()):
            history[1] = dict(history[1], updated_at=history[0]["updated_at"])
    return drawn


def _all(settings, stored, as_of):
    return compute_each(settings, stored, as_of, VILLAGES + ["thon-x"])


@hsettings(max_examples=30, deadline=None)
@given(tied_histories(), st.lists(st.sampled_from([None, 0, 40]), min_size=3, max_size=3),
       st.integers(-3, 6))
def test_purging_the_store_leaves_every_indicator_equal(drawn, official, days):
    settings = settings_for(official)
    as_of = END + datetime.timedelta(days=days)
    versions = [v for history in _identified(drawn).values() for v in history]
    with tempfile.TemporaryDirectory() as directory:
        store = RecordStore(directory, stable_under=deidentify_version)
        if versions:
            store.submit(versions)
        before = _all(settings, store.histories(), as_of)
        store.rewrite(deidentify_version)
        assert _all(settings, store.histories(), as_of) == before
        reopened = RecordStore(directory, stable_under=deidentify_version)
        assert _all(settings, reopened.histories(), as_of) == before
        assert all(deidentify_version(v) is v for h in reopened.histories().values() for v in h)
