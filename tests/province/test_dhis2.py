"""`fieldapp dhis2`: the province's figures as a DHIS2 dataValueSets document and as ADX,
checked against the formats' documented structure and against counts the test sums."""
import datetime
import json
import re
from xml.etree import ElementTree

from click.testing import CliRunner

from fieldapp.cli import main
from fieldapp.indicators.definitions import DEFINITIONS
from fieldapp.indicators.procedures import COLUMNS, LCI, RATES, save_figures
from fieldapp.province.dhis2 import ADX_NS, data_elements
from fieldapp.province.rollup import make_rollup
from fieldapp.province.store import import_rollup
from fieldapp.site import Site, init_province_site, init_site
from sync.rollup import rollup_bytes
from tests.support import factories

COMMUNES = ("25264", "26068", "26041")     # two with roll-ups, one without
START, END = datetime.date(2025, 7, 25), datetime.date(2025, 8, 25)
DOOR_TO_DOOR = {d.key for d in DEFINITIONS}


def build(tmp_path, kind="week", shop=None):
    """A province with roll-ups of two communes; `shop` ({period: {area: counts}}) are
    the first commune's one-stop shop figures."""
    province = str(tmp_path / "tinh")
    init_province_site(province, "75", START, END, kind)
    site = Site(province)
    rollups = []
    for n, code in enumerate(COMMUNES[:2]):
        path = str(tmp_path / code)
        init_site(path, "commune", code, [{"id": "thon-1", "name": "Thôn 1",
                                          "adult_population": 30 + n, "targets": {}}],
                  START, END, kind)
        commune = Site(path)
        homes = [factories.household(f"Hộ {i}", village_id="thon-1") for i in range(n + 1)]
        commune.store.submit(homes + [factories.person(h["id"], "Người", 1980,
                                                       village_id="thon-1", online=True)
                                      for h in homes])
        if shop and n == 0:
            save_figures(commune, shop, "canbo")
        rollup = make_rollup(commune, datetime.date(2025, 8, 25))
        import_rollup(site, rollup_bytes(rollup))
        rollups.append(json.loads(rollup_bytes(rollup)))
    return province, rollups


def expected(rollups):
    """{(org unit, campaign period, element code): value} summed by the test."""
    out = {}
    for rollup in rollups:
        for village in rollup["villages"]:
            for entry in village["periods"]:
                for key, counts in entry["indicators"].items():
                    for part, field in (("N", "numerator"), ("D", "denominator")):
                        slot = (rollup["commune_code"], entry["period"],
                                f"FA_{key.upper()}_{part}")
                        out[slot] = out.get(slot, 0) + counts[field]
        for entry in rollup["procedures"]:
            for key, counts in entry["indicators"].items():
                for part, field in (("N", "numerator"), ("D", "denominator")):
                    out[(rollup["commune_code"], entry["period"],
                         f"FA_{key.upper()}_{part}")] = counts[field]
    return out


def write(province, tmp_path, *extra):
    out = tmp_path / ("d.xml" if extra else "d.json")
    result = CliRunner().invoke(main, ["--data", province, "dhis2", "--out", str(out), *extra])
    assert result.exit_code == 0, result.output
    return out.read_bytes()


def iso_week(period):
    start = datetime.date.fromisoformat(period["end"])
    year, week, _ = start.isocalendar()
    return f"{year}W{week}"


def test_data_value_sets_hold_every_count_by_code_with_zeros(tmp_path):
    province, rollups = build(tmp_path)
    document = json.loads(write(province, tmp_path))
    assert document["dataSet"] == "FA_DVCTT"
    assert document["idScheme"] == document["orgUnitIdScheme"] == "CODE"
    values = document["dataValues"]
    for value in values:
        assert set(value) == {"dataElement", "period", "orgUnit", "value"}
        assert re.fullmatch(r"\d{4}W\d{1,2}", value["period"])
        assert re.fullmatch(r"0|[1-9]\d*", value["value"])      # DHIS2 takes values as text
    periods = {iso_week(p): p["period"] for p in rollups[0]["campaign"]["periods"]}
    got = {(v["orgUnit"], periods[v["period"]], v["dataElement"]): int(v["value"])
           for v in values}
    assert len(got) == len(values)                              # one value per slot
    assert got == expected(rollups)
    door_to_door = {code for code, _, key, _ in data_elements() if key in DOOR_TO_DOOR}
    assert len(values) == 2 * len(periods) * len(door_to_door)  # zeros written out
    assert not {v["dataElement"] for v in values} - door_to_door    # no shop figures sent
    assert "0" in {v["value"] for v in values}
    assert COMMUNES[2] not in {v["orgUnit"] for v in values}    # sent nothing: no values


def test_adx_holds_the_same_values_in_groups(tmp_path):
    province, rollups = build(tmp_path)
    json_values = {(v["orgUnit"], v["period"], v["dataElement"]): v["value"]
                   for v in json.loads(write(province, tmp_path))["dataValues"]}
    root = ElementTree.fromstring(write(province, tmp_path, "--adx"))
    assert root.tag == f"{{{ADX_NS}}}adx" and root.get("exported")
    seen = {}
    for group in root:
        assert group.tag == f"{{{ADX_NS}}}group"
        assert set(group.attrib) == {"orgUnit", "period", "dataSet"}
        start, duration = group.get("period").split("/")
        monday = datetime.date.fromisoformat(start)
        assert duration == "P7D" and monday.weekday() == 0
        year, week, _ = monday.isocalendar()
        for value in group:
            assert value.tag == f"{{{ADX_NS}}}dataValue"
            seen[(group.get("orgUnit"), f"{year}W{week}", value.get("dataElement"))] = \
                value.get("value")
    assert seen == json_values


def test_a_monthly_campaign_uses_dhis2_months(tmp_path):
    province, _ = build(tmp_path, kind="month")
    periods = {v["period"] for v in json.loads(write(province, tmp_path))["dataValues"]}
    assert periods == {"202507", "202508"}
    root = ElementTree.fromstring(write(province, tmp_path, "--adx"))
    assert {g.get("period") for g in root} == {"2025-07-01/P1M", "2025-08-01/P1M"}


def test_only_a_province_writes_dhis2_figures(tmp_path):
    commune = factories.commune_site(tmp_path / "xa", users=False)
    result = CliRunner().invoke(main, ["--data", commune.data_dir, "dhis2", "--out",
                                       str(tmp_path / "d.json")])
    assert result.exit_code != 0 and "Chỉ máy của tỉnh" in result.output
    assert not (tmp_path / "d.json").exists()


def shop_figures():
    """Two weeks of a one-stop shop: land and two other areas, every column non-zero."""
    def counts(base):
        return {"received": base + 20, "received_online": base + 9, "full_online": base + 3,
                "settled": base + 15, "with_fee": base + 8, "paid_online": base + 2,
                "digitised": base + 11}
    assert set(counts(0)) == set(COLUMNS)
    return {1: {"land": counts(4), "health": counts(1)},
            2: {"land": counts(7), "construction": counts(2), "justice": counts(5)}}


def test_the_shops_rates_go_to_dhis2_as_counts_to_each_periods_end(tmp_path):
    shop = shop_figures()
    province, rollups = build(tmp_path, shop=shop)
    document = json.loads(write(province, tmp_path))
    periods = {iso_week(p): p["period"] for p in rollups[0]["campaign"]["periods"]}
    got = {(v["orgUnit"], periods[v["period"]], v["dataElement"]): int(v["value"])
           for v in document["dataValues"]}
    want = {}
    for number in periods.values():
        so_far = [(area, row) for week, rows in shop.items() if week <= number
                  for area, row in rows.items()]
        for rate in RATES:
            for suffix, areas in (("", None), ("_lci", LCI)):
                rows = [row for area, row in so_far if areas is None or area in areas]
                code = f"FA_{(rate.key + suffix).upper()}"
                want[(COMMUNES[0], number, code + "_N")] = sum(r[rate.numerator] for r in rows)
                want[(COMMUNES[0], number, code + "_D")] = sum(r[rate.denominator] for r in rows)
    shop_values = {slot: value for slot, value in got.items()
                   if slot[0] == COMMUNES[0] and slot[2] in {k[2] for k in want}}
    assert shop_values == want
    # settled in land to the end of week 2: 19 + 22, and 17 in construction; not health
    assert want[(COMMUNES[0], 2, "FA_FULL_ONLINE_RATE_LCI_D")] == 19 + 22 + 17
    shop_elements = {slot[2] for slot in want}
    assert not {slot for slot in got if slot[0] == COMMUNES[1] and slot[2] in shop_elements}
