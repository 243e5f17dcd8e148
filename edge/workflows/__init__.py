"""Floor workflows: small state machines that produce movements through the
ledger. Each module registers its command types (edge.commands.registry) and
owns its tables (its migration in edge/migrations.py). No Flask here.

Importing this package loads every workflow, so every command type exists.
"""
from edge.workflows import counting, picking, putaway, receiving, transfers  # noqa: F401
from edge.workflows import exceptions, moves, returns, sync_outbox, transfers_floor  # noqa: F401
