"""Site settings for supervisors."""
from __future__ import annotations

from flask import Blueprint, jsonify
from pydantic import BaseModel, ConfigDict, Field

from edge import settings
from edge.api.common import read, write
from edge.api.spec import ANY_SIGNED_IN, SUPERVISORS, endpoint

bp = Blueprint("settings", __name__, url_prefix="/api/v1")


class SettingsIn(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    receipt_tolerance_pct: float | None = Field(None, ge=0, le=1000)
    count_tolerance_pct: float | None = Field(None, ge=0, le=100)
    count_approval_value: float | None = Field(None, ge=0, le=1e12)
    count_days_a: int | None = Field(None, ge=1, le=3650)
    count_days_b: int | None = Field(None, ge=1, le=3650)
    count_days_c: int | None = Field(None, ge=1, le=3650)


@endpoint(bp, "/settings", roles=ANY_SIGNED_IN, tags=("settings",))
def get_settings():
    """Site settings: receiving and counting tolerances, count frequencies by ABC class."""
    return jsonify(settings.all_settings(read()))


@endpoint(bp, "/settings", method="PATCH", body=SettingsIn, roles=SUPERVISORS, tags=("settings",))
def patch_settings(body: SettingsIn):
    """Change some settings; the others keep their values."""
    changes = body.model_dump(exclude_none=True)

    def job(conn):
        for key, value in changes.items():
            settings.put(conn, key, value)
        return settings.all_settings(conn)
    return write(job)
