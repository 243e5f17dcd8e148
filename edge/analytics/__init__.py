"""Replenishment and analytics computed from the movement ledger. No Flask.

Every figure is a function of the ledger up to a moment (``as_of``), so any
report can be reproduced for a past date: see asof.py for what "as of" means.
docs/replenishment.md and docs/reports.md describe the decisions.
"""
