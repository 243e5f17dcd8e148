"""Where command types are declared."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from pydantic import BaseModel


@dataclass(frozen=True)
class CommandType:
    name: str
    payload: type[BaseModel]
    roles: frozenset[str]
    handler: Callable  # (conn, ctx: CommandContext, payload) -> PostResult
    summary: str


COMMAND_TYPES: dict[str, CommandType] = {}


def register(name: str, payload: type[BaseModel], roles: set[str], summary: str):
    def inner(handler):
        COMMAND_TYPES[name] = CommandType(name, payload, frozenset(roles), handler, summary)
        return handler
    return inner


def ensure_loaded() -> None:
    """Import every workflow so its command types are registered."""
    import edge.workflows  # noqa: F401
