"""The replayed rows: each row's record, by row number, in the order rows were first seen.

A resumed 1M-row campaign needs, before its first call, every row's numbers and state (to plan) but
the whole record of only the few rows it touches. Building a million records from a checkpoint would
cost more than the rest of the start-up, so a store restored from one keeps the checkpoint's columns
and makes a row's record the first time something asks for that row. From then on that record is the
row's truth: whoever holds it may change it (the replay's fold does), and the store sees the change.

The questions asked of every row (which rows are in these states, how many rows hold each value,
these fields for these rows) are answered from the columns for the rows without a record and from
the records for the rest: the same answers as a loop over records, without making them. Nobody
outside this module sees how a row is held.
"""

from __future__ import annotations

from array import array
from collections import Counter
from collections.abc import Collection, Iterable, Iterator, Sequence
from operator import attrgetter, itemgetter
from typing import Any

import numpy as np

from dialer.journal.column_codec import StoredColumn
from dialer.journal.records import RowRecord

BULK_FRACTION = 8  # after len/8 records made one by one, the rest are made together


class RowStore:
    """RowRecords by row number, in the order rows were first seen (as a dict of them would be)."""

    def __init__(self) -> None:
        self._live: dict[int, RowRecord] = {}
        self._stored: _Columns | None = None
        self._made = 0  # records made from the columns one by one

    @classmethod
    def from_columns(cls, names: list[str], columns: list[StoredColumn]) -> RowStore:
        """A store over a checkpoint's columns, one per RowRecord field in RowRecord's order.
        Raises ValueError for columns that cannot be one (a row twice, lengths that differ)."""
        store = cls()
        try:
            stored = _Columns(names, columns)
        except TypeError:  # row numbers a table cannot hold (never written by this dialer): records now
            for rec in map(RowRecord, *[c.tolist() for c in columns]):
                if rec.row in store._live:
                    raise ValueError("a row number twice") from None
                store._live[rec.row] = rec
            return store
        store._stored = stored if stored.n else None
        return store

    # -- one row ------------------------------------------------------------------------------------

    def record(self, row: int) -> RowRecord:
        """The row's live record, made now if the row has none (a new row goes last)."""
        rec = self._live.get(row)
        if rec is None:
            rec = self.record_of(row)
            if rec is None:
                rec = self._live[row] = RowRecord(row)
        return rec

    def record_of(self, row: int) -> RowRecord | None:
        """The row's live record, or None when the store has no such row."""
        rec = self._live.get(row)
        if rec is not None or self._stored is None:
            return rec
        stored = self._stored
        i = stored.position(row)
        if i < 0 or stored.is_taken(i):
            return None
        self._made += 1
        if self._made > stored.n // BULK_FRACTION:
            self.make_all_records()
            return self._live[row]
        return self._take(i)

    @property
    def rows_in_columns(self) -> int:
        """Rows still read from a checkpoint's columns: no record made for them yet."""
        stored = self._stored
        return 0 if stored is None else stored.n - stored.taken_count()

    def __contains__(self, row: object) -> bool:
        if row in self._live:
            return True
        stored = self._stored
        if stored is None:
            return False
        i = stored.position(row)
        return i >= 0 and not stored.is_taken(i)

    def __len__(self) -> int:
        return len(self._live) + self.rows_in_columns

    def __iter__(self) -> Iterator[int]:
        """Row numbers, in the store's order."""
        stored = self._stored
        if stored is None:
            yield from list(self._live)
            return
        yield from stored.rows.tolist()  # a taken row is live, at its place
        position = stored.position
        yield from (row for row in list(self._live) if position(row) < 0)

    # -- every row ----------------------------------------------------------------------------------

    def make_all_records(self) -> None:
        """Make every row's record now: cheaper from the columns at once than row by row, for a
        reader about to look at most rows (a report)."""
        stored = self._stored
        if stored is None:
            return
        ordered = dict(zip(stored.rows.tolist(), stored.all_records(), strict=True))
        ordered.update(self._live)  # the live records replace the ones just built, at their places
        self._live = ordered
        self._stored = None

    def records(self) -> list[RowRecord]:
        """Every row's live record, in the store's order (all made now)."""
        self.make_all_records()
        return list(self._live.values())

    def records_of(self, rows: Iterable[int]) -> list[RowRecord]:
        """The live records of ``rows`` that the store holds, in the order given."""
        out = []
        for row in rows:
            rec = self.record_of(row)
            if rec is not None:
                out.append(rec)
        return out

    def select(
        self,
        *,
        states: Collection[str] | None = None,
        sent: bool | None = None,
        in_flight: bool | None = None,
        stamped: bool | None = None,
    ) -> list[int]:
        """The rows whose record passes every test given, in the store's order: ``state`` one of
        ``states``, ``sent`` and ``in_flight`` as given, ``stamped``: a last line time or not."""
        tests = _Tests(states, sent, in_flight, stamped)
        stored = self._stored
        if stored is None:
            return [row for row, rec in self._live.items() if tests.passes(rec)]
        positions = np.flatnonzero(tests.mask(stored) & ~stored.taken)
        keyed = list(zip(positions.tolist(), stored.rows[positions].tolist(), strict=True))
        position, new = stored.position, stored.n
        for row, rec in self._live.items():
            key = position(row)
            if key < 0:
                key, new = new, new + 1
            if tests.passes(rec):
                keyed.append((key, row))
        keyed.sort(key=itemgetter(0))
        return [row for _, row in keyed]

    def count(self, name: str) -> Counter:
        """How many rows hold each value of field ``name``."""
        out: Counter = Counter(map(attrgetter(name), self._live.values()))
        stored = self._stored
        if stored is not None:
            out.update(stored.counts(name, np.flatnonzero(~stored.taken)))
            # a taken row's live record is already counted above
        return out

    def lookup(self, rows: np.ndarray, names: Sequence[str]) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """For each of ``rows`` (int64), whether the store holds it and the values of fields
        ``names`` (None for a row it does not hold), read without making records."""
        n = len(rows)
        present = np.zeros(n, dtype=bool)
        values = {name: np.full(n, None, dtype=object) for name in names}
        rest = np.arange(n)
        stored = self._stored
        if stored is not None and n:
            where = stored.positions(rows)
            untaken = where >= 0
            untaken[untaken] = ~stored.taken[where[untaken]]
            at = np.flatnonzero(untaken)
            for name in names:
                values[name][at] = stored.column(name)[where[at]]
            present[at] = True
            rest = np.flatnonzero(~untaken)
        if len(rest) and self._live:
            get = self._live.get
            candidates = zip(rest.tolist(), map(get, rows[rest].tolist()), strict=True)
            found = [(i, rec) for i, rec in candidates if rec is not None]
            if found:
                at = np.fromiter(map(itemgetter(0), found), dtype=np.int64, count=len(found))
                present[at] = True
                for name in names:
                    values[name][at] = np.fromiter(
                        (getattr(rec, name) for _, rec in found), dtype=object, count=len(found)
                    )
        return present, values

    def columns(self, names: list[str]) -> Iterator[list[Any]]:
        """Each field's values, row by row in the store's order (what a checkpoint holds)."""
        if any(key != rec.row for key, rec in self._live.items()):
            raise ValueError("a replayed row is filed under another row number")
        stored = self._stored
        if stored is None:
            records = list(self._live.values())
            for name in names:
                yield list(map(attrgetter(name), records))
            return
        position = stored.position
        in_place = [(position(row), rec) for row, rec in self._live.items()]
        added = [rec for i, rec in in_place if i < 0]
        in_place = [(i, rec) for i, rec in in_place if i >= 0]
        for name in names:
            values = stored.column_list(name)
            get = attrgetter(name)
            for i, rec in in_place:
                values[i] = get(rec)
            values += map(get, added)
            yield values

    def _take(self, i: int) -> RowRecord:
        stored = self._stored
        assert stored is not None
        rec = self._live[int(stored.rows[i])] = stored.record(i)
        stored.take(i)
        return rec


class _Tests:
    """``select``'s tests, on a record and on the columns."""

    def __init__(
        self,
        states: Collection[str] | None,
        sent: bool | None,
        in_flight: bool | None,
        stamped: bool | None,
    ) -> None:
        self.states = None if states is None else tuple(states)
        wanted = (("sent", sent), ("in_flight", in_flight))
        self.flags = [(name, want) for name, want in wanted if want is not None]
        self.stamped = stamped

    def passes(self, rec: RowRecord) -> bool:
        if self.states is not None and rec.state not in self.states:
            return False
        if any(bool(getattr(rec, name)) != want for name, want in self.flags):
            return False
        return self.stamped is None or bool(rec.last_ts) == self.stamped

    def mask(self, stored: _Columns) -> np.ndarray:
        mask = np.ones(stored.n, dtype=bool)
        if self.states is not None:
            mask &= stored.isin("state", self.states)
        for name, want in self.flags:
            mask &= stored.truthy(name) == want
        if self.stamped is not None:
            mask &= stored.truthy("last_ts") == self.stamped
        return mask


class _Columns:
    """A checkpoint's row columns, one per RowRecord field, and which rows have a record now."""

    def __init__(self, names: list[str], columns: list[StoredColumn]) -> None:
        if names[0] != "row":
            raise ValueError("the first row column is not the row number")
        if len({len(c) for c in columns}) > 1:
            raise ValueError("row columns of different lengths")
        self._columns = columns
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
        # A bytearray for the one-row tests, a numpy view of it for the vectorised ones.
        self._taken = bytearray(n)
        self.taken = np.frombuffer(self._taken, dtype=bool) if n else np.zeros(0, dtype=bool)
        self._index = _RowIndex(rows)

    def position(self, row: object) -> int:
        return self._index.position(row)

    def positions(self, rows: np.ndarray) -> np.ndarray:
        return self._index.positions(rows)

    def is_taken(self, i: int) -> bool:
        return self._taken[i] != 0

    def take(self, i: int) -> None:
        self._taken[i] = 1

    def taken_count(self) -> int:
        return int(np.count_nonzero(self.taken))

    def column(self, name: str) -> np.ndarray:
        return self._by_name[name].array()

    def column_list(self, name: str) -> list[Any]:
        return list(self._by_name[name].tolist())

    def isin(self, name: str, wanted: tuple) -> np.ndarray:
        return self._by_name[name].isin(wanted)

    def truthy(self, name: str) -> np.ndarray:
        return self._by_name[name].truthy()

    def counts(self, name: str, positions: np.ndarray) -> dict:
        return self._by_name[name].counts(positions)

    def record(self, i: int) -> RowRecord:
        return RowRecord(*[c.at(i) for c in self._columns])

    def all_records(self) -> list[RowRecord]:
        return list(map(RowRecord, *[c.tolist() for c in self._columns])) if self.n else []


class _RowIndex:
    """Row number -> position: a table for spreadsheet rows, a dict for any other numbers."""

    def __init__(self, rows: np.ndarray) -> None:
        n = len(rows)
        self._low, self._high = (int(rows.min()), int(rows.max())) if n else (0, -1)
        self._dense: np.ndarray | None = None
        self._sparse: dict[int, int] | None = None
        if self._low >= 0 and self._high < 4 * n + 1024:
            self._dense = np.full(self._high + 1, -1, dtype=np.int64)
            self._dense[rows] = np.arange(n)
            if n and int(np.count_nonzero(self._dense >= 0)) != n:
                raise ValueError("a row number twice")
            self._at = array("q", self._dense.tobytes())
        else:
            self._sparse = dict(zip(rows.tolist(), range(n), strict=True))
            if len(self._sparse) != n:
                raise ValueError("a row number twice")

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
        if self._sparse is not None:
            get = self._sparse.get
            return np.fromiter((get(r, -1) for r in rows.tolist()), dtype=np.int64, count=len(rows))
        out = np.full(len(rows), -1, dtype=np.int64)
        inside = (rows >= self._low) & (rows <= self._high)
        out[inside] = self._dense[rows[inside]]  # type: ignore[index]
        return out
