"""The switch's refusals, in the order it makes them: auth, role, parameters, rate plan."""

from __future__ import annotations

import hmac
import re
from typing import NamedTuple

from dialer.core.params import AUTH_FIELDS, PARAMETERS, REQUIRED, Kind
from dialer.simulator.config import SimulatorConfig

_NUMBER = re.compile(r"\+?[0-9*#]+")
_DIGITS = re.compile(r"[0-9]+")

_VALID = {
    Kind.STRING: lambda value: True,
    Kind.NUMBER: lambda value: _NUMBER.fullmatch(value) is not None,
    Kind.INTEGER: lambda value: _DIGITS.fullmatch(value) is not None,
    Kind.FLAG: lambda value: value in ("0", "1"),
    Kind.STYPE: lambda value: value in ("phone", ""),
}


class Refusal(NamedTuple):
    code: int
    key: str
    message: str


def refusal_for(params: dict[str, str], repeated: list[str], config: SimulatorConfig) -> Refusal | None:
    return account_refusal(params, config) or _shape(params, repeated) or _rate_plan(params, config)


def account_refusal(params: dict[str, str], config: SimulatorConfig) -> Refusal | None:
    user = config.users.get(params.get("auth_username", ""))
    password = params.get("auth_password", "")
    if user is None or not hmac.compare_digest(user.password.encode(), password.encode()):
        return Refusal(401, "", "The authentication details provided are invalid.")
    if not user.can_dial:
        return Refusal(402, "", "Your role does not allow this.")
    return None


def _shape(params: dict[str, str], repeated: list[str]) -> Refusal | None:
    if repeated:
        return Refusal(400, repeated[0], "Parameter given more than once.")
    for name in params:
        if name not in PARAMETERS and name not in AUTH_FIELDS:
            return Refusal(400, name, "Unknown parameter.")
    for name in REQUIRED:
        if not params.get(name):
            return Refusal(400, name, "Required parameter missing.")
    for name, value in params.items():
        parameter = PARAMETERS.get(name)
        if parameter is not None and not _VALID[parameter.kind](value):
            return Refusal(400, name, "Invalid value.")
    return None


def _rate_plan(params: dict[str, str], config: SimulatorConfig) -> Refusal | None:
    for name in ("snumber", "cnumber"):
        # "+900..." is the same destination as "900..." to a rate plan.
        if params[name].lstrip("+").startswith(config.refused_prefixes):
            return Refusal(403, name, "Your rate plan does not allow this.")
    return None
