"""The switch's refusals, in the order it makes them: auth (a password or a user/login token), role,
parameters, rate plan."""

from __future__ import annotations

import hmac
import re
from typing import NamedTuple

from dialer.core.params import AUTH_FIELDS, PARAMETERS, REQUIRED, Kind
from dialer.simulator.config import SimulatorConfig
from dialer.simulator.tokens import Tokens

TOKEN_FIELD = "auth_token"
# What authenticates a request: accepted by every function, never written anywhere.
SECRET_FIELDS: tuple[str, ...] = (*AUTH_FIELDS, TOKEN_FIELD)

_NUMBER = re.compile(r"\+?[0-9*#]+")
_DIGITS = re.compile(r"[0-9]+")

_VALID = {
    Kind.STRING: lambda value: True,
    Kind.NUMBER: lambda value: _NUMBER.fullmatch(value) is not None,
    Kind.INTEGER: lambda value: _DIGITS.fullmatch(value) is not None,
    Kind.FLAG: lambda value: value in ("0", "1"),
    Kind.STYPE: lambda value: value in ("phone", ""),
    Kind.DIALPLAN: lambda value: value in ("auto", ""),  # the only dialplan the API page supports
}


class Refusal(NamedTuple):
    code: int
    key: str
    message: str


_BAD_PASSWORD = Refusal(401, "", "The authentication details provided are invalid.")
_BAD_TOKEN = Refusal(401, "", "The authentication token is invalid or has expired.")


def refusal_for(
    params: dict[str, str], repeated: list[str], config: SimulatorConfig, tokens: Tokens
) -> Refusal | None:
    return account_refusal(params, config, tokens) or _shape(params, repeated) or _rate_plan(params, config)


def account_refusal(params: dict[str, str], config: SimulatorConfig, tokens: Tokens) -> Refusal | None:
    """401 unless the request carries a valid token, or else a known user's password; 402 if that
    user's role may not dial. A token, when given, is what counts."""
    if TOKEN_FIELD in params:
        name = tokens.holder(params[TOKEN_FIELD])
        if name is None or name not in config.users:
            return _BAD_TOKEN
        user = config.users[name]
    else:
        name = params.get("auth_username", "")
        if not password_matches(config, name, params.get("auth_password", "")):
            return _BAD_PASSWORD
        user = config.users[name]
    if not user.can_dial:
        return Refusal(402, "", "Your role does not allow this.")
    return None


def password_matches(config: SimulatorConfig, name: str, password: str) -> bool:
    user = config.users.get(name)
    return user is not None and hmac.compare_digest(user.password.encode(), password.encode())


def _shape(params: dict[str, str], repeated: list[str]) -> Refusal | None:
    if repeated:
        return Refusal(400, repeated[0], "Parameter given more than once.")
    for name in params:
        if name not in PARAMETERS and name not in SECRET_FIELDS:
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
