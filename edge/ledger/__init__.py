"""The movement ledger: the truth about stock. Imports no Flask."""
from edge.ledger.errors import (  # noqa: F401
    BadQuantity, IdConflict, InactiveMasterData, InsufficientStock, LedgerError, LotConflict,
    SerialConflict, TrackingError, UnknownBin, UnknownItem,
)
from edge.ledger.post import DECIMAL_UOMS, Movement, PostResult, StockChange, post_movements, utcnow  # noqa: F401
from edge.ledger.verify import differences, rebuild, serial_differences  # noqa: F401
