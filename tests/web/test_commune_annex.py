"""The plan's annex: Vietnamese numbers, percentages and CSV round trips."""
import pytest
from hypothesis import given, settings, strategies as st

from fieldapp.indicators.annex import (TARGET_HEADERS, AnnexError, annex_template, merge_villages,
                            parse_percent, parse_population, parse_village_name, read_annex_csv,
                            slug)


@pytest.mark.parametrize("raw, expected", [
    ("50", 0.5), ("52,5", 0.525), ("52.5", 0.525), ("100 %", 1.0), ("0", 0.0),
    (" 85% ", 0.85), ("33,33", 0.3333), ("", None), ("  ", None), (None, None)])
def test_percentages_the_vietnamese_way(raw, expected):
    assert parse_percent(raw) == expected


@pytest.mark.parametrize("raw", ["abc", "100,5,1", "-5", "101", "1e2", "50%%", "0,5.1", "1000"])
def test_bad_percentages_say_why(raw):
    with pytest.raises(AnnexError) as error:
        parse_percent(raw)
    assert error.value.message


@pytest.mark.parametrize("raw, expected", [
    ("1234", 1234), ("1.234", 1234), ("1 234", 1234), ("12.345", 12345), ("", None),
    ("0", None)])
def test_populations(raw, expected):
    assert parse_population(raw) == expected


@pytest.mark.parametrize("raw", ["1,5", "12.34", "mười", "-3", "2000000", "1.2345"])
def test_bad_populations(raw):
    with pytest.raises(AnnexError):
        parse_population(raw)


@pytest.mark.parametrize("raw", ["=HYPERLINK(\"http://x\")", "+1", "@SUM(A1)", "-2"])
def test_names_that_a_spreadsheet_would_run_are_refused(raw):
    with pytest.raises(AnnexError):
        parse_village_name(raw)


def test_ids_from_vietnamese_names():
    assert slug("Thôn Phú Bình") == "thon-phu-binh"
    assert slug("Tổ dân phố Đồng Xoài 2") == "to-dan-pho-dong-xoai-2"


village_ids = st.from_regex(r"[a-z0-9][a-z0-9_-]{0,20}", fullmatch=True)
names = st.text(st.characters(codec="utf-8", categories=("L", "N", "Zs", "P")),
                min_size=1, max_size=40).map(lambda s: " ".join(s.split())).filter(
    lambda s: s and s[0] not in "=+-@")
ratios = st.integers(0, 10000).map(lambda n: n / 10000)
villages = st.lists(st.fixed_dictionaries({
    "id": village_ids, "name": names,
    "adult_population": st.one_of(st.none(), st.integers(1, 1_000_000)),
    # a target of None: "không", no target whatever the commune's
    "targets": st.dictionaries(st.sampled_from(list(TARGET_HEADERS)),
                               st.one_of(st.none(), ratios))}),
    min_size=1, max_size=8, unique_by=lambda v: v["id"])


@settings(max_examples=60, deadline=None)
@given(villages)
def test_the_template_reads_back_as_the_same_villages(rows):
    from fieldapp.forms.text import nfc
    rows = [dict(r, name=nfc(r["name"])) for r in rows]
    parsed, errors = read_annex_csv(annex_template(rows))
    assert errors == []
    assert merge_villages([], parsed) == rows


def test_merge_keeps_villages_and_columns_missing_from_the_file():
    stored = [{"id": "a", "name": "A", "adult_population": 5, "targets": {"satisfaction": 0.9}},
              {"id": "b", "name": "B", "adult_population": None, "targets": {}}]
    merged = merge_villages(stored, [{"id": "a", "name": "A mới"}])
    assert merged[0] == dict(stored[0], name="A mới")
    assert merged[1] == stored[1]
    assert stored[0]["name"] == "A"                                   # the input is untouched


def guarded(csv_bytes, columns):
    """The annex with an apostrophe before every non-empty cell of `columns` (0-based),
    as a spreadsheet that kept the CSV's formula guard, or a person typing '0123, saves it."""
    text = csv_bytes.decode("utf-8-sig")
    lines = text.split("\r\n")
    out = [lines[0]]
    for line in lines[1:]:
        cells = line.split(";")
        out.append(";".join("'" + c if i in columns and c else c for i, c in enumerate(cells)))
    return ("\ufeff" + "\r\n".join(out)).encode("utf-8")


def test_codes_and_numbers_with_a_guard_apostrophe_read_back_as_written():
    rows = [{"id": "thon-3", "name": "Thôn 3", "adult_population": 1234,
             "targets": {"adult_online_usage": 0.525, "satisfaction": 0.9}},
            {"id": "ap-phu-binh", "name": "Ấp Phú Bình", "adult_population": None, "targets": {}}]
    written = annex_template(rows)
    codes_and_numbers = {0} | set(range(2, 3 + len(TARGET_HEADERS)))
    parsed, errors = read_annex_csv(guarded(written, codes_and_numbers))
    assert errors == []
    assert merge_villages([], parsed) == rows


def test_a_name_keeps_its_apostrophe_and_a_guarded_negative_is_still_refused():
    content = ("Mã thôn;Tên thôn;Số người trưởng thành\r\n"
               "thon-1;'Thôn Đá;'-5\r\n").encode("utf-8")
    parsed, errors = read_annex_csv(content)
    assert errors == ["Dòng 2, cột “Số người trưởng thành”: “-5” không phải số nguyên "
                      "(ví dụ 1.234)."]
    content = "Mã thôn;Tên thôn\r\n'thon-1;'Thôn Đá\r\n".encode("utf-8")
    parsed, errors = read_annex_csv(content)
    assert errors == [] and parsed == [{"id": "thon-1", "name": "'Thôn Đá"}]


def test_an_unknown_column_is_quoted_without_its_bidirectional_characters():
    """A header the annex does not know is named in the error, but a right-to-left mark
    in it would reorder the message around it: it is shown as U+FFFD."""
    with pytest.raises(AnnexError) as error:
        read_annex_csv("Mã thôn;Ghi\u202echú\r\nthon-1;x\r\n".encode())
    assert "Không hiểu cột" in error.value.message and "\u202e" not in error.value.message
    assert "Ghi\ufffdchú" in error.value.message
