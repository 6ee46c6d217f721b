"""The column codec of the derived files (checkpoint, list cache): a column of values written in the
plainest encoding that holds it exactly, and read back either whole or one value at a time.

Encodings: little-endian 64-bit integers; a small dictionary of distinct values with a code per row;
newline-joined text with the positions of its None values; JSON for anything else. Nothing here can
run code when read (no pickle). A column is checked when opened (its length, its codes, its text's
encoding), so a damaged file is refused before any of it is used; its values are then read whole
(``array``, ``tolist``) or one at a time (``at``), since a resumed run needs some columns for every
row and the others only for the few rows it touches.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from contextlib import suppress
from sys import intern
from typing import Any, Protocol

import numpy as np
import orjson

# -- writing ---------------------------------------------------------------------------------------

_DICT_TYPES = frozenset({str, type(None), bool, int})
_MAX_DISTINCT = 4096
_SAMPLE = 2048


def encode_column(name: str, values: Sequence[Any]) -> tuple[dict, bytes]:
    """A section holding ``values`` exactly (types included); raises TypeError or ValueError if no
    encoding can (a value JSON cannot hold)."""
    values = values if isinstance(values, list) else list(values)
    spec: dict[str, Any] = {"name": name, "n": len(values)}
    types = set(map(type, values))
    # bool and int compare equal (True == 1): a dictionary may only hold one of them
    if types <= _DICT_TYPES and not {bool, int} <= types and _few_distinct(values):
        distinct = list(dict.fromkeys(values))
        if len(distinct) <= _MAX_DISTINCT:
            codes = {v: i for i, v in enumerate(distinct)}
            width = "<u1" if len(distinct) <= 256 else "<u2"
            array = np.fromiter(map(codes.__getitem__, values), dtype=np.int64, count=len(values))
            return spec | {"codec": "dict", "values": distinct, "width": width}, array.astype(width).tobytes()
    if types == {int}:
        with suppress(OverflowError):
            return spec | {"codec": "int64"}, np.array(values, dtype="<i8").tobytes()
    if types <= {str, type(None)}:
        encoded = _text(values, type(None) in types)
        if encoded is not None:
            nulls, text = encoded
            return spec | {"codec": "text", "nulls": len(nulls)}, nulls.tobytes() + text
    if float in types and not all(np.isfinite([v for v in values if type(v) is float])):
        raise ValueError(f"{name}: a value JSON cannot hold (NaN or infinity)")
    return spec | {"codec": "json"}, orjson.dumps(values)


def _few_distinct(values: list) -> bool:
    sample = values[:: max(1, len(values) // _SAMPLE)]
    distinct = len(dict.fromkeys(sample))
    return distinct <= _MAX_DISTINCT and distinct * 4 <= len(sample) + 4


def _text(values: list, has_none: bool) -> tuple[np.ndarray, bytes] | None:
    """Newline-joined text (None as "" and its position), or None when a value holds a newline."""
    nulls = np.flatnonzero(np.fromiter((v is None for v in values), bool, len(values))) if has_none else []
    if has_none:
        values = ["" if v is None else v for v in values]
    text = "\n".join(values)
    if text.count("\n") != max(len(values) - 1, 0):
        return None
    return np.asarray(nulls, dtype="<i8"), text.encode("utf-8", "surrogatepass")


def decode_column(spec: dict, payload: memoryview) -> list[Any]:
    """The values ``encode_column`` stored; raises ValueError if the section does not hold them."""
    return open_column(spec, payload).tolist()


# -- reading ---------------------------------------------------------------------------------------


class StoredColumn(Protocol):
    def __len__(self) -> int: ...

    def at(self, i: int) -> Any:
        """The value at position ``i`` (0 <= i < len), as decoding the whole column would give it."""

    def array(self) -> np.ndarray:
        """Every value in a 1-D array (object dtype, int64 for an integer column)."""

    def tolist(self) -> list[Any]:
        """Every value in a list."""

    def isin(self, wanted: tuple) -> np.ndarray:
        """A bool per value: equal to one of ``wanted`` (``==``, as ``in`` on a tuple)."""

    def truthy(self) -> np.ndarray:
        """A bool per value: its truth (``bool(value)``)."""

    def counts(self, positions: np.ndarray) -> dict[Any, int]:
        """How many of the values at ``positions`` are each value."""


class _ByArray:
    """``isin``, ``truthy`` and ``counts`` from the whole array, for a column of many values."""

    def array(self) -> np.ndarray:
        raise NotImplementedError

    def isin(self, wanted: tuple) -> np.ndarray:
        values = self.array()
        out = np.zeros(len(values), dtype=bool)
        for w in wanted:
            out |= values == w
        return out

    def truthy(self) -> np.ndarray:
        return self.array().astype(bool)

    def counts(self, positions: np.ndarray) -> dict[Any, int]:
        return dict(Counter(self.array()[positions].tolist()))


class ListColumn(_ByArray):
    """Values already decoded (JSON)."""

    def __init__(self, values: list[Any]) -> None:
        self._values = values
        self._array: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self._values)

    def at(self, i: int) -> Any:
        return self._values[i]

    def array(self) -> np.ndarray:
        if self._array is None:
            # fromiter, not np.array: a value that is itself a list stays one value
            self._array = np.fromiter(self._values, dtype=object, count=len(self._values))
        return self._array

    def tolist(self) -> list[Any]:
        return self._values


class IntColumn(_ByArray):
    """Little-endian 64-bit integers."""

    def __init__(self, payload: memoryview) -> None:
        self._array = np.frombuffer(payload, dtype="<i8")

    def __len__(self) -> int:
        return len(self._array)

    def at(self, i: int) -> int:
        return int(self._array[i])

    def array(self) -> np.ndarray:
        return self._array

    def tolist(self) -> list[int]:
        return self._array.tolist()


class CodedColumn:
    """A few distinct values and a small code per row."""

    def __init__(self, name: str, values: list[Any], width: str, payload: memoryview) -> None:
        distinct = np.empty(len(values), dtype=object)
        for i, v in enumerate(values):
            distinct[i] = intern(v) if type(v) is str else v
        codes = np.frombuffer(payload, dtype=width)
        if len(codes) and int(codes.max()) >= len(distinct):
            raise ValueError(f"{name}: a code beyond its values")
        self._distinct, self._codes = distinct, codes
        self._array: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self._codes)

    def at(self, i: int) -> Any:
        return self._distinct[self._codes[i]]

    def array(self) -> np.ndarray:
        if self._array is None:
            self._array = self._distinct.take(self._codes)
        return self._array

    def tolist(self) -> list[Any]:
        return self.array().tolist()

    # On the codes: one test per distinct value, not per row.
    def isin(self, wanted: tuple) -> np.ndarray:
        return np.array([any(d == w for w in wanted) for d in self._distinct], dtype=bool)[self._codes]

    def truthy(self) -> np.ndarray:
        return np.array([bool(d) for d in self._distinct], dtype=bool)[self._codes]

    def counts(self, positions: np.ndarray) -> dict[Any, int]:
        per_code = np.bincount(self._codes[positions], minlength=len(self._distinct)).tolist()
        return {d: n for d, n in zip(self._distinct.tolist(), per_code, strict=True) if n}


class TextColumn(_ByArray):
    """Newline-joined text, with the positions of the None values.

    The text is decoded (and so checked) when opened; where each value starts is worked out on the
    first ``at``, from the bytes when the text is ASCII (a character is a byte), else by splitting.
    """

    def __init__(self, name: str, n: int, nulls: np.ndarray, raw: memoryview) -> None:
        self._text = str(raw, "utf-8", "surrogatepass")
        self._n = n
        self._raw = raw
        breaks = self._text.count("\n")
        if (n and breaks != n - 1) or (not n and self._text):
            raise ValueError(f"{name}: {breaks + 1 if n or self._text else 0} values, not {n}")
        if len(nulls) and (int(nulls.min()) < 0 or int(nulls.max()) >= n):
            raise ValueError(f"{name}: a missing value beyond its values")
        self._nulls = frozenset(nulls.tolist())
        self._starts: np.ndarray | None = None
        self._split: list[str] | None = None
        self._array: np.ndarray | None = None

    def __len__(self) -> int:
        return self._n

    @property
    def all_text(self) -> bool:
        """Every value is text (none is missing)."""
        return not self._nulls

    def at(self, i: int) -> str | None:
        if i in self._nulls:
            return None
        if self._split is not None:
            return self._split[i]
        if self._starts is None:
            if not self._text.isascii():
                self._split = self._text.split("\n")
                return self._split[i]
            newlines = np.flatnonzero(np.frombuffer(self._raw, dtype=np.uint8) == 10)
            self._starts = np.concatenate(([0], newlines + 1, [len(self._text) + 1]))
        return self._text[int(self._starts[i]) : int(self._starts[i + 1]) - 1]

    def array(self) -> np.ndarray:
        if self._array is None:
            self._array = np.fromiter(self.tolist(), dtype=object, count=self._n)
        return self._array

    def tolist(self) -> list[str | None]:
        out = self._text.split("\n") if self._n else []
        for i in self._nulls:
            out[i] = None
        return out


def open_column(spec: dict, payload: memoryview) -> StoredColumn:
    """The column a section holds; raises ValueError if the section does not hold one."""
    codec, n = spec["codec"], spec["n"]
    column: StoredColumn
    if codec == "dict":
        column = CodedColumn(spec["name"], spec["values"], spec["width"], payload)
    elif codec == "int64":
        column = IntColumn(payload)
    elif codec == "text":
        cut = 8 * spec["nulls"]
        column = TextColumn(spec["name"], n, np.frombuffer(payload[:cut], dtype="<i8"), payload[cut:])
    elif codec == "json":
        values = orjson.loads(payload)
        if type(values) is not list:
            raise ValueError(f"{spec['name']}: not a list")
        column = ListColumn(values)
    else:
        raise ValueError(f"{spec['name']}: unknown encoding {codec!r}")
    if len(column) != n:
        raise ValueError(f"{spec['name']}: {len(column)} values, not {n}")
    return column
