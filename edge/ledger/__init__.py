"""The movement ledger: the truth about stock. Imports no Flask."""
from edge.ledger.errors import (  # noqa: F401
    BadQuantity, IdConflict, InactiveMasterData, InsufficientStock, LedgerError, LotConflict,
    SerialConflict, TrackingError, UnknownBin, UnknownItem,
)
from edge.ledger.post import (  # noqa: F401
    DECIMAL_UOMS, Movement, PostResult, StockChange, is_decimal_uom, post_movements, utcnow,
)
from edge.ledger.verify import differences, rebuild, serial_differences  # noqa: F401
