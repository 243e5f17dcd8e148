"""Putaway workflow (issue 3). No Flask: blueprints call this, this calls the ledger."""
