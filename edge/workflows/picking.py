"""Picking workflow (issue 3). No Flask: blueprints call this, this calls the ledger.

Sales orders (picking_orders), allocation with reservations (allocation),
waves and pick lists (picking_lists), the picker's steps (picking_steps:
``pick.tote``, ``pick.confirm``; picking_short: ``pick.short``) and what
follows the walk (picking_ship: ``pick.sort``, ``order.ship``). Importing this
module registers the command types. The walk through it, as a picker
experiences it, is docs/workflows/picking.md.
"""
from edge.workflows import (  # noqa: F401
    allocation, picking_lists, picking_orders, picking_ship, picking_short, picking_steps,
)
