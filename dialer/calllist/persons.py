"""Who a row calls: the person a campaign calls at most once, and the sign it was chosen wrongly.

By default the person is the number ``stype`` says is outside the switch: snumber when stype is empty
(the first call goes to a number), cnumber when stype is "phone" (snumber is then a line of the
switch: an agent's). A campaign can name it instead: ``person = "snumber"``, ``"cnumber"``, or
``"pair"`` (snumber and cnumber together: a number called once for each number it is bridged to).
A person is known by canonical numbers (the forms do-not-call matching uses), so "(212) 555-1234"
and "+12125551234" are one person, whatever row or list holds them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

AUTO = "auto"
SETTINGS = (AUTO, "snumber", "cnumber", "pair")
PAIR_SEPARATOR = "|"
MANY_ROWS = 10  # rows of one person that no list of people holds (and 5% of the list)
MOST_AT_LEAST = 3  # in a small list, most of its rows on one person, each with another number


@dataclass(frozen=True)
class Crowding:
    """One person on many rows, each with another number: the person was probably chosen wrongly."""

    person: str
    rows: int  # rows holding the person
    others: int  # distinct other numbers on those rows
    valid: int  # valid rows in the list
    leg: str  # "snumber" or "cnumber": which number is the person


def person_keys(snumber: pd.Series, cnumber: pd.Series, phone: np.ndarray | bool, setting: str) -> pd.Series:
    """Each row's person, from its canonical numbers (same index)."""
    if setting == "pair":
        return snumber + PAIR_SEPARATOR + cnumber
    return pd.Series(_pick(snumber, cnumber, phone, setting, person=True), index=snumber.index, dtype="str")


def other_numbers(
    snumber: pd.Series, cnumber: pd.Series, phone: np.ndarray | bool, setting: str
) -> pd.Series:
    """Each row's number that is not its person ("" under "pair": both are)."""
    if setting == "pair":
        return pd.Series("", index=snumber.index, dtype="str")
    return pd.Series(_pick(snumber, cnumber, phone, setting, person=False), index=snumber.index, dtype="str")


def person_leg(phone: bool, setting: str) -> str:
    """Which number is the person of a row: "snumber", "cnumber" or "pair"."""
    if setting != AUTO:
        return setting
    return "cnumber" if phone else "snumber"


def _pick(snumber: pd.Series, cnumber: pd.Series, phone: np.ndarray | bool, setting: str, person: bool):
    if setting == "snumber":
        return (snumber if person else cnumber).to_numpy(dtype=object)
    if setting == "cnumber":
        return (cnumber if person else snumber).to_numpy(dtype=object)
    first, second = (cnumber, snumber) if person else (snumber, cnumber)
    return np.where(phone, first.to_numpy(dtype=object), second.to_numpy(dtype=object))


def crowding(
    persons: pd.Series, others: pd.Series, phone: np.ndarray | bool, setting: str
) -> Crowding | None:
    """The person on most rows with different other numbers, when that is more rows than a list of
    people would ever share one number: more than 10 and more than 5% of the list, or, in a small
    list, most of it with as many other numbers (at least 3). An agent's line taken for the person:
    all but one of its rows would be suppressed."""
    valid = len(persons)
    if setting == "pair" or not valid:
        return None
    frame = pd.DataFrame({"person": persons.to_numpy(), "other": others.to_numpy()})
    grouped = frame.groupby("person", sort=False)["other"]
    rows, distinct = grouped.size(), grouped.nunique()
    many = rows > max(MANY_ROWS, valid // 20)
    most = (distinct >= MOST_AT_LEAST) & (distinct * 2 > valid)
    crowded = rows[(distinct > 1) & (many | most)]
    if crowded.empty:
        return None
    person = str(crowded.idxmax())
    at = int(np.flatnonzero(persons.to_numpy() == person)[0])
    phone_at = bool(phone if isinstance(phone, bool) else phone[at])
    return Crowding(person, int(rows[person]), int(distinct[person]), valid, person_leg(phone_at, setting))


def crowding_message(path: Path, c: Crowding, setting: str) -> str:
    other = "cnumber" if c.leg == "snumber" else "snumber"
    why = (
        f"with person = {setting!r} the person is {c.leg}"
        if setting != AUTO
        else (
            "with stype empty the person is snumber (the number called first)"
            if c.leg == "snumber"
            else 'with stype "phone" the person is cnumber (snumber is a line of the switch)'
        )
    )
    fix = (
        'If it is an agent\'s line, set stype = "phone" (in [defaults] or a stype column) so that cnumber '
        'is the person, or choose the person with person = "cnumber" or "pair" under [campaign]'
        if c.leg == "snumber"
        else 'If it is an agent\'s line, choose the person with person = "snumber" or "pair" under [campaign]'
    )
    return (
        f"{path}: {c.leg} {c.person} is on {c.rows:,} of {c.valid:,} rows, with {c.others:,} different "
        f"{other}s: dialer calls a person once, so all but one of those rows would be suppressed; "
        f"{why}. {fix}."
    )
