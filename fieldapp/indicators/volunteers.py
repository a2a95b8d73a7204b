"""What each volunteer did (SPEC §4's commendations): visits, households met, level-2
accounts and bank accounts helped, surveys, as of a day, computed from stored versions."""
from fieldapp.indicators.cache import cached
from fieldapp.indicators.compute import snapshot
from fieldapp.indicators.periods import today_local

__all__ = ["volunteer_stats", "site_volunteer_stats"]


def volunteer_stats(histories, as_of=None):
    """One row per volunteer (village, author), highest score first: {village_id, author,
    name (from the team roster, else the login), visits, households_visited,
    vneid_level2, bank_account, surveys, score}."""
    records = snapshot(histories, as_of or today_local())
    # people are named as the roster names them now, also on figures of an earlier date
    latest = (h[-1] for h in histories.values() if h and h[-1]["type"] == "member")
    names = {r["data"]["username"]: r["data"]["full_name"] for r in latest
             if not r["deleted"] and r["data"].get("username") and r["data"].get("full_name")}
    stats = {}
    for record in records:
        if record["type"] not in ("visit", "survey"):
            continue
        # the work is credited to whoever recorded it first, not to a later corrector
        author = histories[record["id"]][0]["author"]
        row = stats.setdefault((record["village_id"], author), {
            "village_id": record["village_id"], "author": author,
            "name": names.get(author, author), "visits": 0,
            "households_visited": set(), "vneid_level2": 0, "bank_account": 0, "surveys": 0})
        data = record["data"]
        if record["type"] == "survey":
            row["surveys"] += 1
            continue
        row["visits"] += 1
        if data.get("outcome") == "met":
            row["households_visited"].add(data.get("household_id"))
        row["vneid_level2"] += "vneid_level2" in data.get("help", [])
        row["bank_account"] += "bank_account" in data.get("help", [])
    rows = []
    for row in stats.values():
        row["households_visited"] = len(row["households_visited"])
        row["score"] = (row["households_visited"] + row["vneid_level2"]
                        + row["bank_account"] + row["surveys"])
        rows.append(row)
    return sorted(rows, key=lambda r: (-r["score"], r["village_id"], r["author"]))


def site_volunteer_stats(site, as_of=None):
    """volunteer_stats(site.store.histories(), as_of), kept while the data stays the same;
    the rows are copies, free to change."""
    as_of = as_of or today_local()
    rows = cached(site.store, ("volunteer_stats", as_of),
                  lambda: volunteer_stats(site.store.histories(), as_of))
    return [dict(row) for row in rows]
