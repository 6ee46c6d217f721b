"""Replayed rows by row number: a mapping of RowRecords that can start from a checkpoint's columns.

A resumed 1M-row campaign needs, before its first call, every row's numbers and state (to plan)
but the whole record of only the rows it touches. Building a million records from a checkpoint took
longer than the rest of the start-up together, so a store restored from one keeps the checkpoint's
columns (``StoredRows``) and makes a row's record the first time anything asks for it. From then on
that record is the row's truth: it sits in ``live``, and its position in the columns is ``taken``.
Whoever reads a record may change it (the replay's fold does), so every record handed out is a
live one.

The vectorised readers (the planner, ``Replay.placed_or_pending_pairs``, ``select``) read the
columns for the rows not taken and the live records for the rest, and get the same answers as a
loop over records would. A reader that asks for many rows one by one turns the whole store into
records at once (``BULK_FRACTION``), which is cheaper from the columns than row by row.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterator, Mapping
from operator import itemgetter
from typing import Any

import numpy as np

from dialer.journal.columns import StoredColumn
from dialer.journal.records import RowRecord
from dialer.run.collector_policy import collector_paused

BULK_FRACTION = 8  # after len/8 records made one by one, the rest are made together


class StoredRows:
    """A checkpoint's row columns, one per RowRecord field, in RowRecord's field order."""

    def __init__(self, names: list[str], columns: list[StoredColumn]) -> None:
        if names[0] != "row":
            raise ValueError("the first row column is not the row number")
        if len({len(c) for c in columns}) > 1:
            raise ValueError("row columns of different lengths")
        self.columns = columns
        self._by_name = dict(zip(names, columns, strict=True))
        rows = columns[0].array()
        if rows.dtype != np.int64:  # a column of few rows is stored as a dictionary
            if not all(type(r) is int for r in rows.tolist()):
                raise TypeError("row numbers that are not all integers")
            try:
                rows = np.array(rows.tolist(), dtype=np.int64)
            except OverflowError:
                raise TypeError("row numbers beyond 64 bits") from None
        self.rows = rows
        self.n = n = len(rows)
        # A bytearray for the one-row tests in get(), a numpy view of it for the vectorised readers.
        self._taken = bytearray(n)
        self.taken = np.frombuffer(self._taken, dtype=bool) if n else np.zeros(0, dtype=bool)
        low, high = (int(rows.min()), int(rows.max())) if n else (0, -1)
        self._low, self._high = low, high
        self._dense: np.ndarray | None = None
        self._sparse: dict[int, int] | None = None
        if low >= 0 and high < 4 * n + 1024:  # spreadsheet rows: a table by row number
            self._dense = np.full(high + 1, -1, dtype=np.int64)
            self._dense[rows] = np.arange(n)
            if n and int(np.count_nonzero(self._dense >= 0)) != n:
                raise ValueError("a row number twice")
            self._at = array("q", self._dense.tobytes())
        else:
            self._sparse = dict(zip(rows.tolist(), range(n), strict=True))
            if len(self._sparse) != n:
                raise ValueError("a row number twice")

    def column(self, name: str) -> np.ndarray:
        """One field of every stored row, taken or not (the caller masks with ``~taken``)."""
        return self._by_name[name].array()

    def isin(self, name: str, wanted: tuple) -> np.ndarray:
        return self._by_name[name].isin(wanted)

    def truthy(self, name: str) -> np.ndarray:
        return self._by_name[name].truthy()

    def counts(self, name: str, positions: np.ndarray) -> dict:
        return self._by_name[name].counts(positions)

    def is_taken(self, i: int) -> bool:
        return self._taken[i] != 0

    def take_position(self, i: int) -> None:
        self._taken[i] = 1

    def position(self, row: object) -> int:
        """Where ``row`` is stored, or -1."""
        if type(row) is not int:
            if not isinstance(row, int | np.integer):
                return -1
            row = int(row)
        if self._sparse is not None:
            return self._sparse.get(row, -1)
        return self._at[row] if self._low <= row <= self._high else -1

    def positions(self, rows: np.ndarray) -> np.ndarray:
        """``position`` of each of ``rows`` (int64)."""
        if self._sparse is not None:
            get = self._sparse.get
            return np.fromiter((get(r, -1) for r in rows.tolist()), dtype=np.int64, count=len(rows))
        out = np.full(len(rows), -1, dtype=np.int64)
        inside = (rows >= self._low) & (rows <= self._high)
        out[inside] = self._dense[rows[inside]]  # type: ignore[index]
        return out

    def record(self, i: int) -> RowRecord:
        return RowRecord(*[c.at(i) for c in self.columns])

    def all_records(self) -> list[RowRecord]:
        """A record for every stored row, in order (taken ones too: the caller keeps the live ones)."""
        return list(map(RowRecord, *[c.tolist() for c in self.columns])) if self.n else []


class RowStore(Mapping[int, RowRecord]):
    """RowRecords by row number, in the order rows were first seen (as a dict of them would be)."""

    def __init__(self, stored: StoredRows | None = None) -> None:
        self.live: dict[int, RowRecord] = {}
        self.stored = stored if stored is not None and stored.n else None
        self._made = 0
        if self.stored is None:
            self._plain()

    def _plain(self) -> None:
        # The fold calls get once per line of the results file: with nothing stored, the dict's own.
        self.get = self.live.get  # type: ignore[method-assign]
        self.stored = None

    def get(self, row: int, default: Any = None) -> Any:  # type: ignore[override]
        rec = self.live.get(row)
        if rec is not None:
            return rec
        stored = self.stored
        if stored is None:
            return default
        i = stored.position(row)
        if i < 0 or stored.is_taken(i):
            return default
        self._made += 1
        if self._made > stored.n // BULK_FRACTION:
            self.materialize()
            return self.live[row]
        rec = self.live[row] = stored.record(i)
        stored.take_position(i)
        return rec

    def __getitem__(self, row: int) -> RowRecord:
        rec = self.get(row)
        if rec is None:
            raise KeyError(row)
        return rec

    def __setitem__(self, row: int, rec: RowRecord) -> None:
        self.live[row] = rec
        if self.stored is not None:
            i = self.stored.position(row)
            if i >= 0:
                self.stored.take_position(i)

    def __contains__(self, row: object) -> bool:
        if row in self.live:
            return True
        stored = self.stored
        if stored is None:
            return False
        i = stored.position(row)
        return i >= 0 and not stored.is_taken(i)

    def __len__(self) -> int:
        stored = self.stored
        return len(self.live) + (0 if stored is None else stored.n - int(np.count_nonzero(stored.taken)))

    def __iter__(self) -> Iterator[int]:
        stored = self.stored
        if stored is None:
            yield from self.live
            return
        # A taken row is live: every stored row is still here, at its place.
        yield from stored.rows.tolist()
        position = stored.position
        yield from (row for row in list(self.live) if position(row) < 0)

    def values(self):  # type: ignore[override]
        self.materialize()
        return self.live.values()

    def items(self):  # type: ignore[override]
        self.materialize()
        return self.live.items()

    def materialize(self) -> None:
        """Every row a live record, in order; the columns are dropped."""
        stored = self.stored
        if stored is None:
            return
        with collector_paused():  # a million new records, no cycles among them
            ordered = dict(zip(stored.rows.tolist(), stored.all_records(), strict=True))
        # The live records replace the ones just built, at their places; rows never stored go last.
        ordered.update(self.live)
        self.live = ordered
        self._plain()

    def select(
        self, stored_test: Callable[[StoredRows], np.ndarray], record_test: Callable[[RowRecord], bool]
    ) -> tuple[np.ndarray, list[tuple[int, RowRecord]]]:
        """The rows that pass, without making a record of each stored one.

        ``stored_test(stored)``: a bool array over the stored rows (only the ones not taken count);
        ``record_test``: the same test on a live record. Returns the stored positions that pass and
        the live records that pass with keys that sort them among those positions in the store's
        order (a row's stored position; a row not stored, after them all in the order it came).
        """
        stored = self.stored
        if stored is None:
            hits = [(k, r) for k, r in enumerate(self.live.values()) if record_test(r)]
            return np.empty(0, dtype=np.int64), hits
        positions = np.flatnonzero(stored_test(stored) & ~stored.taken)
        position, hits, new = stored.position, [], stored.n
        for row, rec in self.live.items():
            key = position(row)
            if key < 0:
                key, new = new, new + 1
            if record_test(rec):
                hits.append((key, rec))
        hits.sort(key=itemgetter(0))
        return positions, hits

    def records_in_order(self, positions: np.ndarray, hits: list[tuple[int, RowRecord]]) -> list[RowRecord]:
        """``select``'s answer as live records in the store's order (the stored ones made now)."""
        merged = [(int(i), None) for i in positions.tolist()] + [(k, r) for k, r in hits]
        merged.sort(key=itemgetter(0))
        return [rec if rec is not None else self.take(i) for i, rec in merged]

    def take(self, i: int) -> RowRecord:
        """The live record of the row stored at position ``i`` (made now if need be)."""
        stored = self.stored
        assert stored is not None
        row = int(stored.rows[i])
        rec = self.live.get(row)
        if rec is None:
            rec = self.live[row] = stored.record(i)
            stored.take_position(i)
        return rec
