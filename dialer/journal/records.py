"""What the results file says of one person: the record the replay folds each line into.

A record is known by its key: the person a dial was about (``dialer.calllist.persons``: canonical
numbers), so that whatever row or list holds that person later, the record is theirs. Two other kinds
of key hold what is not a dial about a person: a list's verdict on a row it did not send (rejected,
suppressed), and a row an older dialer recorded before lines named the person.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from dialer.core import outcomes as o

LIST_ROW = "row:"  # + row number: a list's verdict on a row never sent
OLDER_ROW = "pair:"  # + snumber|cnumber as sent: a row recorded by a dialer before persons


def key_of(line: dict) -> str | None:
    """The record a results line about a row belongs to; None for a line about no row."""
    row = line.get("row")
    if type(row) is not int:
        return None
    person = line.get("person")
    if type(person) is str and person:
        return person
    return f"{OLDER_ROW}{line.get('snumber')}|{line.get('cnumber')}"


def list_row_key(row: int) -> str:
    return f"{LIST_ROW}{row}"


def older_row_key(snumber: str, cnumber: str) -> str:
    return f"{OLDER_ROW}{snumber}|{cnumber}"


def is_person(key: str) -> bool:
    """A key of a person's record (not a list's verdict on a row)."""
    return not key.startswith(LIST_ROW)


@dataclass(slots=True)
class PersonRecord:
    key: str  # the person (see the module's docstring)
    row: int = 0  # the list row of the latest line about the person
    snumber: str = ""  # the numbers as last sent (or listed)
    cnumber: str = ""
    state: str = o.NOT_DIALED
    sent: bool = False  # a request for this person may have left at some point
    in_flight: bool = False  # an intent with no result after it
    attempts: int = 0
    code: str | None = None
    callid: str | None = None
    reason: str | None = None
    message: str | None = None
    first_ts: str | None = None
    last_ts: str | None = None
    run: str | None = None  # the run of the latest dial
    dialed_ts: str | None = None  # when the latest dial's intent was written: its request left after
    dial_attempt: int = 0  # the latest dial's attempt number (in its run)
    # The delay and wait (seconds) the latest dial's request carried, as its answer or, failing that,
    # its intent recorded them: how long after it left its call may still start and show in the
    # switch's lists, whatever the list sends by the time it is asked about.
    sent_delay: int = 0
    sent_wait: int = 0
    calls: int = 0  # calls placed to the person (requests the switch accepted)
    placed_at: str = ""  # the dial times of those calls, space-separated
    call_status: str | None = None  # what became of the latest placed call (None: not learned yet)
    talk_s: float | None = None
    # state, run, dialed_ts, dial_attempt, sent_delay and sent_wait before the latest intent (restored
    # if it is withdrawn)
    _before_intent: list | None = field(default=None, repr=False)
