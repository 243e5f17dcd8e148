"""POST /api/v1/commands: the handheld protocol's one write endpoint."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, g, jsonify, request
from pydantic import BaseModel, Field

from edge import realtime
from edge.api.common import edge
from edge.api.errors import ApiProblem
from edge.api.spec import endpoint
from edge.command_lane import LANE_ERROR
from edge.commands import COMMAND_TYPES, apply_batch
from edge.commands.apply import CommandEnvelope

bp = Blueprint("commands", __name__, url_prefix="/api/v1")


@bp.before_request
def _lane_error():
    # The command lane (edge/command_lane.py) hit this writer error first: raise
    # it here so Flask's error handlers answer it as they answer every request.
    exc = request.environ.pop(LANE_ERROR, None)
    if exc is not None:
        raise exc


class CommandBatch(BaseModel):
    # Commands stay raw dicts here: each is validated on its own so one bad
    # command is rejected without sinking the batch.
    commands: list[Any] = Field(description="Ordered; each {id, type, at, replay, payload}",
                                 json_schema_extra={"items": CommandEnvelope.model_json_schema()})


class CommandResult(BaseModel):
    id: str | None
    status: str = Field(description="applied | duplicate | rejected")
    problem: dict | None = None
    movements: list[dict] = []
    exceptions: list[dict] | None = None


class CommandResults(BaseModel):
    results: list[CommandResult]


@endpoint(bp, "/commands", method="POST", body=CommandBatch, response=CommandResults, tags=("commands",),
          extra_responses={413: "more commands than the batch limit"})
def post_commands(body: CommandBatch):
    """Apply an ordered batch of commands exactly once each.

    Every command gets a result: ``applied``, ``duplicate`` (this id was
    applied before; the stored result is returned) or ``rejected`` with a
    problem. A rejected command never stops the ones after it. The payload
    of each type is in the schemas ``ReceivePayload``, ``MovePayload``, ...
    """
    limit = int(current_app.config["MAX_BATCH"])
    if len(body.commands) > limit:
        raise ApiProblem(413, f"{len(body.commands)} commands in one batch; send at most {limit}")
    if not body.commands:
        return jsonify({"results": []})
    user = g.user
    outcome = _apply(body.commands, user)
    realtime.publish(outcome.posts)
    return jsonify({"results": outcome.results})


def _apply(commands: list, user: dict):
    """In the writer process when there is one (several workers), else in this process's writer."""
    remote = current_app.extensions.get("floorscan_writer_process")
    if remote is not None:
        return remote.run("apply_batch", commands, user=user, device_id=user.get("device_id"),
                          timeout=edge().write_timeout)
    return edge().write(lambda conn: apply_batch(conn, commands, user=user, device_id=user.get("device_id")))
