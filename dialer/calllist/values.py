"""Check and clean one column's cells by the parameter's kind, once per distinct value.

A list column holds few distinct values (flags, caller IDs, the agent's number) or up to one per
row (the called number). Either way each distinct value is checked once with vectorised string
operations and the verdict is spread back over the rows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from dialer.core.params import Kind, Parameter

_SCIENTIFIC = r"[+-]?[0-9]+(?:[.,][0-9]+)?[eE][+-]?[0-9]+"
# A number written as a float ("2125551234.0"): exact, so the zeros can go. Checked before dots
# are removed as separators, or it would dial 21255512340.
_FLOAT_RENDERING = r"^(\+?[0-9]+)\.0+$"
# Not exact ("2125551234.5", "1064.5"): taking its dot as a separator would dial a different number.
# One dot after seven or more digits, or before one or two, is no grouping a person writes
# (212.555.1234, 555.1234, 01.23.45.67.89 are).
_DECIMAL = r"\+?[0-9]{7,}\.[0-9]+|[0-9]+\.[0-9]{1,2}"
# "+44 (0) 20 7946 0000": the national trunk prefix, written in brackets after the country code by
# people who dial the number both ways; with the country code it is not dialed. The same after an
# international prefix ("0044 (0) 20 ...", "011 44 (0) 20 ..."), where kept it would dial 0044020...
_TRUNK_ZERO = r"^(\s*(?:\+|00|011)[\s\-.]*[1-9][0-9]{0,2})[\s\-.]*\(0\)"
_SEPARATORS = r"[\s\-.()]+"
_DIALABLE = r"\+?[0-9*#]+"
MAX_DIGITS = 15  # ITU-T E.164: no telephone number has more

SCIENTIFIC = (
    "{label} is in scientific notation (like 2.1E+09), so digits were lost; format the column as "
    "text in the spreadsheet and export it again"
)
NOT_DIALABLE = (
    "{label} is not a dialable number: only digits, *, # and a leading + are allowed (spaces, "
    "dashes, dots and brackets are removed)"
)
DECIMAL = (
    "{label} is a decimal number (like 2125551234.5), not a telephone number; format the column as "
    "text in the spreadsheet and export it again"
)
NO_DIGIT = "{label} is not a telephone number: it has no digit"
TOO_LONG = f"{{label}} has more than {MAX_DIGITS} digits, more than any telephone number (ITU-T E.164)"
NOT_FLAG = "{label} must be 0 or 1"
NOT_INTEGER = "{label} must be a whole number, 0 or more"
NOT_STYPE = '{label} must be "phone" or empty'
NOT_DIALPLAN = '{label} must be "auto" or empty: the only dialplan calls/make supports'
TOO_LARGE = "{label} is more than {maximum}, the most dialer sends"
EMPTY = "{label} is empty and the campaign has no default for it"


@dataclass
class Checked:
    values: pd.Series  # as it will be sent; "" where unset or invalid
    problems: pd.Series  # index: the rows with an invalid cell; value: the reason template


def check_column(cells: pd.Series, kind: Kind, maximum: int | None = None) -> Checked:
    """Clean ``cells`` as ``kind`` (an integer at most ``maximum``); reasons are templates with a
    ``{label}`` field."""
    codes, uniques = distinct(cells)
    cleaned, reasons = CHECKS[kind](uniques)
    if maximum is not None:
        _at_most(cleaned, reasons, maximum)
    if codes is not None:
        cleaned, reasons = cleaned.take(codes), reasons.take(codes)
    values = pd.Series(cleaned, index=cells.index, dtype="str")
    bad = np.flatnonzero(pd.notna(reasons))
    problems = pd.Series(reasons[bad], index=cells.index[bad], dtype=object)
    return Checked(values, problems)


def distinct(cells: pd.Series) -> tuple[np.ndarray | None, pd.Series]:
    """The distinct values and, for each cell, its value's position among them.

    A column of nearly all different values (the called numbers) gains nothing from finding its
    distinct values and pays a hash of every cell for it, so it is worked on as it is (codes None).
    """
    head = cells.iloc[:10_000]
    if len(cells) > 20_000 and head.nunique() > len(head) // 2:
        return None, cells.reset_index(drop=True)
    codes, uniques = pd.factorize(cells)
    return codes, pd.Series(uniques, dtype="str")


def check_value(value: str, parameter: Parameter) -> tuple[str, str | None]:
    """One value (a campaign default): its cleaned form and the reason it is invalid, if it is."""
    cleaned, reasons = CHECKS[parameter.kind](pd.Series([value], dtype="str"))
    if parameter.maximum is not None:
        _at_most(cleaned, reasons, parameter.maximum)
    return cleaned[0], reasons[0]


def _at_most(cleaned: np.ndarray, reasons: np.ndarray, maximum: int) -> None:
    """Whole numbers above ``maximum`` made invalid, in place."""
    for i, value in enumerate(cleaned):
        if reasons[i] is None and value and int(value) > maximum:
            cleaned[i] = ""
            reasons[i] = TOO_LARGE.replace("{maximum}", f"{maximum:,}")


def _number(u: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    cleaned = u.to_numpy(dtype=object, copy=True)
    reasons = np.full(len(u), None, dtype=object)
    # Most numbers are already plain digits: only the others pay for the regex replaces.
    plain = (u.str.isdigit() & u.str.isascii() & (u.str.len() <= MAX_DIGITS)).to_numpy(dtype=bool)
    rest = np.flatnonzero(~plain)
    if rest.size == 0:
        return cleaned, reasons
    r = u.iloc[rest].str.replace(_TRUNK_ZERO, r"\1", regex=True)
    decimal = np.zeros(rest.size, dtype=bool)
    dotted = np.flatnonzero(r.str.contains(".", regex=False).to_numpy(dtype=bool))
    if dotted.size:
        repaired = r.iloc[dotted].str.strip().str.replace(_FLOAT_RENDERING, r"\1", regex=True)
        r.iloc[dotted] = repaired
        decimal[dotted] = repaired.str.fullmatch(_DECIMAL).to_numpy(dtype=bool)
    r = r.str.replace(_SEPARATORS, "", regex=True)
    empty = (r == "").to_numpy(dtype=bool)
    digits = r.str.count(r"[0-9]").to_numpy()
    dialable = r.str.fullmatch(_DIALABLE).to_numpy(dtype=bool) & ~decimal
    ok = empty | (dialable & (digits >= 1) & (digits <= MAX_DIGITS))
    cleaned[rest] = r.to_numpy(dtype=object)
    bad = rest[~ok]
    cleaned[bad] = ""
    # Scientific notation is never dialable once cleaned ("E"), so only failures are looked at.
    scientific = u.iloc[bad].str.strip().str.fullmatch(_SCIENTIFIC).to_numpy(dtype=bool)
    why = np.select(
        [scientific, decimal[~ok], ~dialable[~ok], digits[~ok] < 1],
        [SCIENTIFIC, DECIMAL, NOT_DIALABLE, NO_DIGIT],
        default=TOO_LONG,
    )
    reasons[bad] = why
    return cleaned, reasons


def _pattern(pattern: str, reason: str, fix: Callable[[pd.Series], pd.Series]):
    """A checker for small vocabularies (flags, integers, stype): strip, match, normalise."""

    def check(u: pd.Series) -> tuple[np.ndarray, np.ndarray]:
        s = u.str.strip()
        ok = (s.str.fullmatch(pattern) | (s == "")).to_numpy(dtype=bool)
        cleaned = fix(s).to_numpy(dtype=object)
        cleaned[~ok] = ""
        reasons = np.where(ok, None, reason).astype(object)
        return cleaned, reasons

    return check


def _string(u: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    # Sent exactly as written: spaces, quotes, '&' and ';' included. Only "nothing" is unset.
    cleaned = u.to_numpy(dtype=object, copy=True)
    cleaned[(u.str.strip() == "").to_numpy(dtype=bool)] = ""
    return cleaned, np.full(len(u), None, dtype=object)


CHECKS = {
    Kind.NUMBER: _number,
    Kind.FLAG: _pattern(r"[01](?:\.0+)?", NOT_FLAG, lambda s: s.str.slice(0, 1)),
    Kind.INTEGER: _pattern(
        r"[0-9]+(?:\.0+)?",
        NOT_INTEGER,
        lambda s: s.str.replace(r"\.0+$", "", regex=True).str.replace(r"^0+(?=[0-9])", "", regex=True),
    ),
    Kind.STYPE: _pattern(r"(?i:phone)", NOT_STYPE, lambda s: s.str.lower()),
    Kind.DIALPLAN: _pattern(r"(?i:auto)", NOT_DIALPLAN, lambda s: s.str.lower()),
    Kind.STRING: _string,
}
