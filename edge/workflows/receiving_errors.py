"""What receiving and putaway refuse, as named errors the handheld shows as they are."""
from __future__ import annotations

from edge.ledger import LedgerError


class UnknownDocument(LedgerError):
    """No purchase order or ASN with that number."""

    status, title, type_slug = 404, "Unknown document", "unknown-document"


class DocumentClosed(LedgerError):
    """The purchase order or ASN is closed: nothing more is expected against it."""

    status, title, type_slug = 409, "Document closed", "document-closed"


class UnknownReceipt(LedgerError):
    """No receipt with that id (open it with receipt.open first)."""

    status, title, type_slug = 404, "Unknown receipt", "unknown-receipt"


class ReceiptClosed(LedgerError):
    """The receipt is closed; open a new one for goods that still arrive."""

    status, title, type_slug = 409, "Receipt closed", "receipt-closed"


class WrongBinKind(LedgerError):
    """Receipts land in a dock bin, damaged goods in a quarantine bin."""

    status, title, type_slug = 422, "Wrong kind of bin", "wrong-bin-kind"


class UnknownBarcode(LedgerError):
    """The scan is not an item barcode this site knows."""

    status, title, type_slug = 422, "Unknown barcode", "unknown-barcode"


class ScanMismatch(LedgerError):
    """The typed lot, expiry or serial disagrees with what the GS1 label says."""

    status, title, type_slug = 422, "Scan and entry disagree", "scan-mismatch"


class ExpiredOnArrival(LedgerError):
    """The lot is past its expiry date: receive it as damaged into quarantine, or refuse it."""

    status, title, type_slug = 409, "Expired on arrival", "expired-on-arrival"


class OverTolerance(LedgerError):
    """More than the document expects, beyond the site's tolerance, without a supervisor's approval."""

    status, title, type_slug = 409, "Over tolerance", "over-tolerance"


class ShortBeyondTolerance(LedgerError):
    """Closing for good with less than the document expects, beyond tolerance, without approval."""

    status, title, type_slug = 409, "Short beyond tolerance", "short-beyond-tolerance"


class SupervisorRequired(LedgerError):
    """The step needs a supervisor's PIN or badge, and none that fits was given."""

    status, title, type_slug = 403, "Supervisor approval required", "supervisor-required"


class TooManyOverrideAttempts(LedgerError):
    """Too many wrong supervisor PINs or badges from this user; wait a minute."""

    status, title, type_slug = 429, "Too many attempts", "too-many-attempts"


class UnknownPallet(LedgerError):
    """No ASN lists this SSCC."""

    status, title, type_slug = 404, "Unknown pallet", "unknown-pallet"


class PalletNotOnDocument(LedgerError):
    """The pallet belongs to another ASN or purchase order than the receipt."""

    status, title, type_slug = 409, "Pallet of another delivery", "pallet-not-on-document"


class PalletAlreadyReceived(LedgerError):
    """The pallet was received before."""

    status, title, type_slug = 409, "Pallet already received", "pallet-already-received"


class UnknownTask(LedgerError):
    """No putaway task with that id."""

    status, title, type_slug = 404, "Unknown putaway task", "unknown-task"


class TaskDone(LedgerError):
    """The putaway task is already complete."""

    status, title, type_slug = 409, "Task already done", "task-done"


class ReasonRequired(LedgerError):
    """Putting away elsewhere than the suggested bin needs a reason."""

    status, title, type_slug = 422, "Reason required", "reason-required"


class NotAPutawayBin(LedgerError):
    """Putaway goes into a storage, pick-face or quarantine bin."""

    status, title, type_slug = 422, "Not a putaway bin", "not-a-putaway-bin"


class TooMuch(LedgerError):
    """More than the task has left to put away."""

    status, title, type_slug = 409, "More than the task holds", "too-much"
