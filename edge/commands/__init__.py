"""Commands from handhelds: the idempotent, replayable unit of work.

A command is ``{id, type, at, replay, payload}``. Each type registers a
payload model, the roles allowed to send it and a handler that turns it into
movements through the ledger. Later workflows add their types here.
"""
from edge.commands.registry import COMMAND_TYPES, CommandType, register  # noqa: F401
from edge.commands.apply import BatchOutcome, apply_batch, MAX_BATCH  # noqa: F401
from edge.commands import stock_commands  # noqa: F401  (registers receive, move, adjust)
