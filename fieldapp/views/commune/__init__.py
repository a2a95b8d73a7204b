"""The commune centre's pages.

blueprint   the `commune` blueprint and what its pages share
dashboard   indicators per village against targets, conflicts, commendations
users       staff accounts
villages    villages, populations, targets, the campaign, the plan's annex
procedures  the one-stop shop's procedure figures (blueprint `procedures`)
batches     imports, pushes, held laptops, push tokens (blueprint `batches`)
rollups     the roll-up for the province, as a download
"""
from fieldapp.views.commune import batches, dashboard, procedures, rollups, users, villages
from fieldapp.views.commune.blueprint import bp

# dashboard, users, villages and rollups add their routes to `bp`
__all__ = ["blueprints", "dashboard", "rollups", "users", "villages"]

blueprints = (bp, procedures.bp, batches.bp)
