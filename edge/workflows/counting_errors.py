"""Named refusals of the counting workflow; each reaches the user as a problem."""
from __future__ import annotations

from edge.ledger import LedgerError


class CountTaskNotFound(LedgerError):
    """No count task (or count line) with that id."""

    status, title, type_slug = 404, "Count task not found", "count-task-not-found"


class CountTaskClosed(LedgerError):
    """The count task is done or cancelled."""

    status, title, type_slug = 409, "Count task closed", "count-task-closed"


class CountTaskTaken(LedgerError):
    """The count task is assigned to another counter."""

    status, title, type_slug = 409, "Count task assigned to someone else", "count-task-taken"


class RecountBySameCounter(LedgerError):
    """A recount must be done by a different counter than the first count."""

    status, title, type_slug = 403, "Recount needs a different counter", "recount-same-counter"


class BinNotInTask(LedgerError):
    """The bin is not part of the count task."""

    status, title, type_slug = 422, "Bin not in this count", "bin-not-in-task"


class BinAlreadyCounted(LedgerError):
    """The bin of this task has been counted already."""

    status, title, type_slug = 409, "Bin already counted", "bin-already-counted"


class CountIncomplete(LedgerError):
    """An item expected in the bin is missing from the count; report 0 if it is not there."""

    status, title, type_slug = 422, "Count incomplete", "count-incomplete"


class BadCountLine(LedgerError):
    """A counted line does not fit the item (lot, serials, quantity, scope of the task)."""

    status, title, type_slug = 422, "Bad count line", "bad-count-line"


class NotAwaitingApproval(LedgerError):
    """The count line is not waiting for a supervisor's decision."""

    status, title, type_slug = 409, "Not awaiting approval", "not-awaiting-approval"


class OwnCountApproval(LedgerError):
    """A supervisor may not approve or reject a count they made themselves."""

    status, title, type_slug = 403, "Approve someone else's count", "own-count-approval"


class BadCountTask(LedgerError):
    """A count task cannot be created or changed as asked."""

    status, title, type_slug = 422, "Bad count task", "bad-count-task"
