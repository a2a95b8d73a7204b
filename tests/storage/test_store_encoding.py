"""Segment files are the same bytes whichever encoder writes them."""
import json

from hypothesis import given, settings, strategies as st

from storage import segments

values = st.recursive(
    st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                 max_size=4),
    max_leaves=20)


def standard(table):
    return json.dumps({"versions": table}, ensure_ascii=False,
                      separators=(",", ":")).encode("utf-8")


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.integers(1, 10**6), values, max_size=5))    # {seq: version}
def test_segment_bytes_are_what_json_dumps_writes(table):
    try:
        expected = standard(table)
    except UnicodeEncodeError:            # a lone surrogate: the write fails as it always did
        try:
            segments._segment_bytes(table)
        except UnicodeEncodeError:
            return
        raise AssertionError("a lone surrogate was written")
    assert segments._segment_bytes(table) == expected
    written = json.loads(segments._segment_bytes(table))
    assert written == {"versions": {str(seq): version for seq, version in table.items()}}


def test_what_msgspec_refuses_the_standard_encoder_writes(monkeypatch):
    table = {1: {"head_name": "Nguyễn Văn An", "n": 2**64, "ok": True, "help": []}}

    class Refusing:
        def encode(self, value):
            raise TypeError("refused")
    monkeypatch.setattr(segments, "_ENCODER", Refusing())
    assert segments._segment_bytes(table) == standard(table)
