"""The province tier (SPEC §7a): roll-ups a commune makes of its figures, and (to come)
the province site that imports them."""
