"""The replayed records, by key (``dialer.journal.records``: a person), in the order first seen.

A resumed 1M-row campaign needs, before its first call, every person's numbers and state (to plan)
but the whole record of only the few it touches. Building a million records from a checkpoint would
cost more than the rest of the start-up, so a store restored from one keeps the checkpoint's columns
and makes a record the first time something asks for it. From then on that record is the truth:
whoever holds it may change it (the replay's fold does), and the store sees the change.

The questions asked of every record (which are in these states, how many hold each value, these
fields for these keys) are answered from the columns for the keys without a record and from the
records for the rest: the same answers as a loop over records, without making them. Nobody outside
this module sees how a record is held.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Iterator, Sequence
from operator import attrgetter, itemgetter
from typing import Any

import numpy as np
import pandas as pd

from dialer.journal.column_codec import StoredColumn, TextColumn
from dialer.journal.records import PersonRecord

BULK_FRACTION = 8  # after len/8 records made one by one, the rest are made together


class RecordStore:
    """PersonRecords by key, in the order keys were first seen (as a dict of them would be)."""

    def __init__(self) -> None:
        self._live: dict[str, PersonRecord] = {}
        self._stored: _Columns | None = None
        self._made = 0  # records made from the columns one by one

    @classmethod
    def from_columns(cls, names: list[str], columns: list[StoredColumn]) -> RecordStore:
        """A store over a checkpoint's columns, one per PersonRecord field in PersonRecord's order.
        Raises ValueError for columns that cannot be one (a key twice, lengths that differ)."""
        store = cls()
        stored = _Columns(names, columns)
        store._stored = stored if stored.n else None
        return store

    # -- one record ---------------------------------------------------------------------------------

    def record(self, key: str) -> PersonRecord:
        """The live record of ``key``, made now if there is none (a new key goes last)."""
        rec = self._live.get(key)
        if rec is None:
            if self._stored is not None:
                rec = self.record_of(key)
            if rec is None:
                rec = self._live[key] = PersonRecord(key)
        return rec

    def record_of(self, key: str) -> PersonRecord | None:
        """The live record of ``key``, or None when the store has none."""
        rec = self._live.get(key)
        if rec is not None or self._stored is None:
            return rec
        stored = self._stored
        i = stored.position(key)
        if i < 0 or stored.is_taken(i):
            return None
        self._made += 1
        if self._made > stored.n // BULK_FRACTION:
            self.make_all_records()
            return self._live[key]
        return self._take(i)

    @property
    def keys_in_columns(self) -> int:
        """Keys still read from a checkpoint's columns: no record made for them yet."""
        stored = self._stored
        return 0 if stored is None else stored.n - stored.taken_count()

    def __contains__(self, key: object) -> bool:
        if key in self._live:
            return True
        stored = self._stored
        if stored is None:
            return False
        i = stored.position(key)
        return i >= 0 and not stored.is_taken(i)

    def __len__(self) -> int:
        return len(self._live) + self.keys_in_columns

    def __iter__(self) -> Iterator[str]:
        """Keys, in the store's order."""
        stored = self._stored
        if stored is None:
            yield from list(self._live)
            return
        yield from stored.keys.tolist()  # a taken key is live, at its place
        position = stored.position
        yield from (key for key in list(self._live) if position(key) < 0)

    # -- every record -------------------------------------------------------------------------------

    def make_all_records(self) -> None:
        """Make every record now: cheaper from the columns at once than one by one, for a reader
        about to look at most of them (a report)."""
        stored = self._stored
        if stored is None:
            return
        ordered = dict(zip(stored.keys.tolist(), stored.all_records(), strict=True))
        ordered.update(self._live)  # the live records replace the ones just built, at their places
        self._live = ordered
        self._stored = None

    def records(self) -> list[PersonRecord]:
        """Every live record, in the store's order (all made now)."""
        self.make_all_records()
        return list(self._live.values())

    def records_of(self, keys: Iterable[str]) -> list[PersonRecord]:
        """The live records of ``keys`` that the store holds, in the order given."""
        out = []
        for key in keys:
            rec = self.record_of(key)
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
    ) -> list[str]:
        """The keys whose record passes every test given, in the store's order: ``state`` one of
        ``states``, ``sent`` and ``in_flight`` as given, ``stamped``: a last line time or not."""
        tests = _Tests(states, sent, in_flight, stamped)
        stored = self._stored
        if stored is None:
            return [key for key, rec in self._live.items() if tests.passes(rec)]
        positions = np.flatnonzero(tests.mask(stored) & ~stored.taken)
        placed = list(zip(positions.tolist(), stored.keys[positions].tolist(), strict=True))
        position, new = stored.position, stored.n
        for key, rec in self._live.items():
            at = position(key)
            if at < 0:
                at, new = new, new + 1
            if tests.passes(rec):
                placed.append((at, key))
        placed.sort(key=itemgetter(0))
        return [key for _, key in placed]

    def count(self, name: str) -> Counter:
        """How many records hold each value of field ``name``."""
        out: Counter = Counter(map(attrgetter(name), self._live.values()))
        stored = self._stored
        if stored is not None:
            out.update(stored.counts(name, np.flatnonzero(~stored.taken)))
            # a taken key's live record is already counted above
        return out

    def lookup(
        self, keys: np.ndarray, names: Sequence[str], rows: np.ndarray | None = None
    ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """For each of ``keys`` (an object array), whether the store holds it and the values of
        fields ``names`` (None for a key it does not hold), read without making records. ``rows``:
        the row each key is on now, when the keys are unique (a hint: the answer is the same)."""
        n = len(keys)
        present = np.zeros(n, dtype=bool)
        values = {name: np.full(n, None, dtype=object) for name in names}
        rest = np.arange(n)
        stored = self._stored
        if stored is not None and n:
            where = stored.positions(keys, rows)
            untaken = where >= 0
            untaken[untaken] = ~stored.taken[where[untaken]]
            at = np.flatnonzero(untaken)
            for name in names:
                values[name][at] = stored.column(name)[where[at]]
            present[at] = True
            rest = np.flatnonzero(~untaken)
        if len(rest) and self._live:
            get = self._live.get
            candidates = zip(rest.tolist(), map(get, keys[rest].tolist()), strict=True)
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
        """Each field's values, record by record in the store's order (what a checkpoint holds)."""
        if any(key != rec.key for key, rec in self._live.items()):
            raise ValueError("a replayed record is filed under another key")
        stored = self._stored
        if stored is None:
            records = list(self._live.values())
            for name in names:
                yield list(map(attrgetter(name), records))
            return
        position = stored.position
        in_place = [(position(key), rec) for key, rec in self._live.items()]
        added = [rec for i, rec in in_place if i < 0]
        in_place = [(i, rec) for i, rec in in_place if i >= 0]
        for name in names:
            values = stored.column_list(name)
            get = attrgetter(name)
            for i, rec in in_place:
                values[i] = get(rec)
            values += map(get, added)
            yield values

    def _take(self, i: int) -> PersonRecord:
        stored = self._stored
        assert stored is not None
        rec = self._live[stored.keys[i]] = stored.record(i)
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

    def passes(self, rec: PersonRecord) -> bool:
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
    """A checkpoint's record columns, one per PersonRecord field, and which keys have a record now."""

    def __init__(self, names: list[str], columns: list[StoredColumn]) -> None:
        if names[0] != "key":
            raise ValueError("the first record column is not the key")
        if len({len(c) for c in columns}) > 1:
            raise ValueError("record columns of different lengths")
        self._columns = columns
        self._by_name = dict(zip(names, columns, strict=True))
        keys = columns[0].array()
        text = isinstance(columns[0], TextColumn) and columns[0].all_text  # known without a look at each
        if not text and not all(type(k) is str for k in keys.tolist()):
            raise ValueError("keys that are not all text")
        self.keys = keys
        self.n = n = len(keys)
        # A bytearray for the one-key tests, a numpy view of it for the vectorised ones.
        self._taken = bytearray(n)
        self.taken = np.frombuffer(self._taken, dtype=bool) if n else np.zeros(0, dtype=bool)
        self.index = pd.Index(keys, dtype=object)
        if not self.index.is_unique:
            raise ValueError("a key twice")
        self._by_row: np.ndarray | None = None

    def position(self, key: object) -> int:
        """Where ``key`` is stored, or -1."""
        try:
            at = self.index.get_loc(key)
        except (KeyError, TypeError):
            return -1
        return at if type(at) is int else -1

    def positions(self, keys: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
        """``position`` of each of ``keys``. ``rows``: the row each key is on now, when the keys are
        unique: a key whose record was last dialed as that row (a list that did not move, the common
        case) is found there without hashing every key; the rest are matched among the records no
        key was found at."""
        if rows is None or not len(keys):
            return self.index.get_indexer(keys)
        guess = self._row_positions(rows)
        found = guess >= 0
        found[found] = self.keys[guess[found]] == keys[found]
        out = np.where(found, guess, -1)
        rest = np.flatnonzero(~found)
        if len(rest):
            free = np.ones(self.n, dtype=bool)
            free[out[found]] = False
            free_at = np.flatnonzero(free)
            matched = pd.Index(self.keys[free_at], dtype=object).get_indexer(keys[rest])
            hit = matched >= 0
            out[rest[hit]] = free_at[matched[hit]]
        return out

    def _row_positions(self, rows: np.ndarray) -> np.ndarray:
        """For each row, the record last dialed as that row (the latest such record), or -1."""
        if self._by_row is None:
            stored_rows = np.asarray(self.column("row"))
            if stored_rows.dtype.kind in "iu":
                numeric = stored_rows.astype(np.int64, copy=False)
            else:
                numeric = np.fromiter(
                    (r if type(r) is int else -1 for r in stored_rows.tolist()), dtype=np.int64, count=self.n
                )
            by_row = np.full(int(numeric.max(initial=-1)) + 1, -1, dtype=np.int64)
            at = np.flatnonzero(numeric >= 0)  # a later record of a row wins: the row's latest dial
            by_row[numeric[at]] = at
            self._by_row = by_row
        by_row = self._by_row
        rows = np.asarray(rows, dtype=np.int64)
        inside = (rows >= 0) & (rows < len(by_row))
        return np.where(inside, by_row[np.where(inside, rows, 0)], -1)

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

    def record(self, i: int) -> PersonRecord:
        return PersonRecord(*[c.at(i) for c in self._columns])

    def all_records(self) -> list[PersonRecord]:
        return list(map(PersonRecord, *[c.tolist() for c in self._columns])) if self.n else []
