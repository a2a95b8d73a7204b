"""The campaign's figures: indicator definitions and targets, campaign periods, the
computation from stored versions (compute) with its cache, and what officers enter
beside it: the plan's annex (annex), the one-stop shop's procedure figures (procedures),
read from CSV tables saved from Excel (tables)."""
