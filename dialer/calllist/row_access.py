"""Fast per-row access to a checked list: a run reads a row three times per request.

pandas' ``.loc`` costs tens of microseconds a call; a position lookup and plain arrays cost one,
and a row's position is remembered while it is being dialed.
"""

from __future__ import annotations

from dialer.calllist.model import CallList
from dialer.core.request import request_params

POSITIONS_KEPT = 65536  # more than the rows in flight at once, so a row's later lookups are hits
TIMING = ("delay", "wait")  # what a request asks the switch to wait for
_NOTHING: dict[str, str] = {}


class ListRows:
    """The rows of a checked list, by row number: what is sent for each, and what its lines carry."""

    def __init__(self, call_list: CallList) -> None:
        table = call_list.table
        self._index = table.index
        self._params = [(name, table[name].to_numpy(dtype=object)) for name in call_list.parameters]
        self._extras = [(name, table[name].to_numpy(dtype=object)) for name in call_list.extras]
        self._snumber = table["snumber"].to_numpy(dtype=object)
        self._cnumber = table["cnumber"].to_numpy(dtype=object)
        persons = call_list.persons
        if persons is None or len(persons) != len(table):
            raise ValueError("a checked list without its persons")
        self._person = persons.to_numpy(dtype=object)
        self._timing = [(name, values) for name, values in self._params if name in TIMING]
        self._positions: dict[int, int] = {}  # rows looked up lately; bounded by POSITIONS_KEPT

    def _pos(self, row: int) -> int:
        pos = self._positions.get(row)
        if pos is None:
            if len(self._positions) >= POSITIONS_KEPT:
                self._positions.clear()
            pos = self._positions[row] = self._index.get_loc(row)
        return pos

    def params(self, row: int) -> dict[str, str]:
        """The calls/make parameters the list sets for a row (unset ones left out)."""
        i = self._pos(row)
        return {name: values[i] for name, values in self._params if values[i] != ""}

    def timing(self, row: int) -> dict[str, str]:
        """The ``delay`` and ``wait`` a row's request carries (wait raised by the delay, as sent), before
        any staggered delay; empty for a list that sets neither."""
        if not self._timing:
            return _NOTHING
        i = self._pos(row)
        set_ = {name: values[i] for name, values in self._timing if values[i] != ""}
        return request_params(set_, 0) if set_ else _NOTHING

    def person(self, row: int) -> str:
        return self._person[self._pos(row)]

    def extras(self, row: int) -> dict[str, str]:
        i = self._pos(row)
        return {name: values[i] for name, values in self._extras}

    def line_fields(self, row: int) -> dict:
        """What every results line about a row carries."""
        i = self._pos(row)
        fields = {
            "row": row,
            "snumber": self._snumber[i],
            "cnumber": self._cnumber[i],
            "person": self._person[i],
        }
        if self._extras:
            fields["columns"] = {name: values[i] for name, values in self._extras}
        return fields
