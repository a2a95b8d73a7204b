"""The province's figures for DHIS2 (docs/dhis2.md): a `dataValueSets` document and
the same values as ADX XML, identified by codes (`idScheme` CODE).

Org units are the communes' official codes (vietnam-provinces); each indicator gives two
data elements, its numerator and its denominator (FA_<KEY>_N, FA_<KEY>_D), so DHIS2
sums them up its own hierarchy and computes the rates as indicators. A campaign period's
counts are cumulative to its last day and are reported for the DHIS2 period (ISO week,
or month) holding that day. Every commune that sent a roll-up gets every value of every
period it covers, zeros included; a commune that sent nothing gets none, nor does one
whose one-stop shop entered no figures get procedure values (no data is not zero).
"""
import datetime
from xml.etree import ElementTree

from fieldapp.forms.errors import FieldappError
from fieldapp.indicators.definitions import DEFINITIONS
from fieldapp.indicators.periods import period_kind
from fieldapp.indicators.procedures import RATES
from fieldapp.province.figures import commune_totals

__all__ = ["DATA_SET", "data_elements", "dhis2_period", "adx_period", "data_values",
           "data_value_set", "adx_document", "ADX_NS"]

DATA_SET = "FA_DVCTT"            # the data set's code in DHIS2
ADX_NS = "urn:ihe:qrph:adx:2015"


def _indicators():
    """(key, label) of every indicator a roll-up carries: door to door, then the one-stop
    shop's rates (also for land, construction and investment alone)."""
    out = [(d.key, d.label) for d in DEFINITIONS]
    for suffix, words in (("", ""), ("_lci", " (đất đai, xây dựng, đầu tư)")):
        out += [(r.key + suffix, r.label + words) for r in RATES]
    return out


def data_elements():
    """[(code, name, indicator key, "N"|"D")] of the data elements, in a stable order."""
    return [(f"FA_{key.upper()}_{part}", f"{label} ({word})", key, part)
            for key, label in _indicators()
            for part, word in (("N", "tử số"), ("D", "mẫu số"))]


def dhis2_period(day, kind):
    """The DHIS2 period holding `day`: ISO week "2025W31" or month "202508"."""
    if kind == "month":
        return f"{day.year}{day.month:02d}"
    year, week, _ = day.isocalendar()
    return f"{year}W{week}"


def adx_period(day, kind):
    """The same period as ADX writes it: its first day and ISO 8601 duration."""
    if kind == "month":
        return f"{day.year}-{day.month:02d}-01/P1M"
    monday = day - datetime.timedelta(days=day.weekday())
    return f"{monday.isoformat()}/P7D"


def data_values(settings, rollups):
    """[(org unit code, campaign period, dhis2 period, adx period, element code, value)]
    of every commune that sent a roll-up, complete periods and the one under way.

    Raise FieldappError when two campaign periods would land in one DHIS2 period (a
    campaign cut into periods shorter than DHIS2's): their values would overwrite."""
    campaign = settings.get("campaign") or {}
    kind = period_kind(campaign)
    ends = {}
    for period in campaign.get("periods", []):
        end = datetime.date.fromisoformat(period["end"])
        ends[period["period"]] = (dhis2_period(end, kind), adx_period(end, kind))
    taken = {}
    for number, (code, _) in ends.items():
        if code in taken:
            raise FieldappError(f"Kỳ {taken[code]} và kỳ {number} của chiến dịch cùng rơi vào "
                                f"kỳ {code} của DHIS2: không xuất được.")
        taken[code] = number
    elements = data_elements()
    out = []
    for org_unit in sorted(rollups):
        totals = commune_totals(rollups[org_unit])
        for number in sorted(totals):
            if number not in ends:
                continue
            period, adx = ends[number]
            for code, _, key, part in elements:
                pair = totals[number].get(key)
                if pair is None:          # no one-stop shop figures sent: no data, not 0
                    continue
                out.append((org_unit, number, period, adx, code, pair[0 if part == "N" else 1]))
    return out


def data_value_set(settings, rollups, exported):
    """The `dataValueSets` JSON document (a dict)."""
    return {
        "dataSet": DATA_SET, "idScheme": "CODE", "dataElementIdScheme": "CODE",
        "orgUnitIdScheme": "CODE", "completeDate": exported[:10],
        "dataValues": [{"dataElement": element, "period": period, "orgUnit": org_unit,
                        "value": str(value)}
                       for org_unit, _, period, _, element, value in data_values(settings,
                                                                                  rollups)],
    }


def adx_document(settings, rollups, exported):
    """The same values as ADX XML bytes: one group per commune and period."""
    ElementTree.register_namespace("", ADX_NS)
    root = ElementTree.Element(f"{{{ADX_NS}}}adx", exported=exported)
    groups = {}
    for org_unit, _, _, adx, element, value in data_values(settings, rollups):
        group = groups.get((org_unit, adx))
        if group is None:
            group = groups[(org_unit, adx)] = ElementTree.SubElement(
                root, f"{{{ADX_NS}}}group", orgUnit=org_unit, period=adx, dataSet=DATA_SET)
        ElementTree.SubElement(group, f"{{{ADX_NS}}}dataValue", dataElement=element,
                               value=str(value))
    return ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)
