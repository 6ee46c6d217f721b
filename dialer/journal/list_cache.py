"""A cache of the checked call list, so that resuming a long campaign does not read and check it again.

``RESULTS.list-cache``, beside the results file, holds the CallList a run loaded, with the key it was
made for: the list file and every do-not-call file (resolved path, device, inode, size, mtime_ns and a
blake2b hash of the content), every field of ListOptions, the dialer's version, the versions of the
libraries that read and canonicalise numbers, a hash of the list-checking code, and the cache format.
A run uses it only when every part of that key is the same; anything else (no cache, a corrupt one, a
changed file or option) means the list is loaded and checked as usual, and the cache rewritten. It is
derived state: deleting it is always safe. Its format is the derived files' (dialer.journal.derived_file).

Lists read with ``keep_original`` (reports) are neither cached nor read from the cache.
"""

from __future__ import annotations

import importlib.metadata
import os
from contextlib import suppress
from dataclasses import fields
from functools import cache
from pathlib import Path
from typing import Any

import orjson
import pandas as pd

from dialer import __version__
from dialer.calllist import columns, donotcall, loader, numbers, persons, reading, values
from dialer.calllist import model as _model
from dialer.calllist.loader import load_call_list
from dialer.calllist.model import CallList, ListOptions, RowProblem
from dialer.core import params
from dialer.journal.column_codec import decode_column, encode_column
from dialer.journal.derived_file import (
    Derived,
    Stale,
    field_names,
    file_digest,
    json_section,
    read_derived,
    same_key,
    sources_digest,
    write_derived,
)

LIST_CACHE_FORMAT = 1  # bump on any change to what the cache holds or means
_LIBRARIES = ("pandas", "numpy", "phonenumbers", "python-calamine", "openpyxl")
# CallList fields written with their own encoding; every other field is stored as JSON.
_SPECIAL = ("source", "table", "problems", "original", "persons")


def load_checked_list(
    path: Path,
    options: ListOptions,
    cache_file: Path | None,
    log: Any = None,
    *,
    write: bool = True,
    results_mark: dict | None = None,
) -> CallList:
    """``load_call_list(path, options)``, from ``cache_file`` when it was made from this very list with
    these options, else loaded and checked (and, with ``write``, the cache rewritten, holding
    ``results_mark``: the results file as it is now, see ``dialer.journal.results_marks``). Raises
    ListError as the loader does; a cache that cannot be read or written never does (it is logged)."""
    if cache_file is None or options.keep_original:
        return load_call_list(path, options)
    try:
        key = cache_key(path, options)
    except (OSError, Stale):  # the loader says what is wrong with the list
        return load_call_list(path, options)
    try:
        call_list = read_list_cache(cache_file, key, path)
    except Stale as exc:
        _log(log, "info", "list cache not used: loading and checking the list", reason=str(exc))
    else:
        _log(log, "info", "call list read from its cache", rows=call_list.total_rows)
        return call_list
    call_list = load_call_list(path, options)
    if not write:
        return call_list
    try:
        if cache_key(path, options) == key:
            write_list_cache(cache_file, key, call_list, results_mark)
        else:
            _log(log, "info", "the list changed while it was read: not cached")
    except Exception as exc:  # noqa: BLE001 - a cache that cannot be written never fails a run
        _log(log, "warning", "could not save the list cache", path=str(cache_file), error=str(exc))
    return call_list


def cache_key(path: Path, options: ListOptions) -> dict[str, Any]:
    """Everything that decides the checked list, as JSON holds it. Raises OSError when a file cannot
    be read."""
    key = {
        "format": list_cache_format(),
        "list": file_identity(Path(path)),
        "do_not_call": [file_identity(Path(p)) for p in options.do_not_call],
        "options": {f.name: getattr(options, f.name) for f in fields(ListOptions)},
    }
    return orjson.loads(orjson.dumps(key, default=str))


def file_identity(path: Path) -> dict[str, Any]:
    st = os.stat(path)
    return {
        "path": str(path.resolve()),
        "dev": st.st_dev,
        "ino": st.st_ino,
        "size": st.st_size,
        "mtime_ns": st.st_mtime_ns,
        "blake2b": file_digest(path),
    }


@cache
def list_cache_format() -> str:
    """Changes with the dialer's version, the libraries, the list-checking code and the model's fields."""
    libraries = [f"{name}={_version(name)}" for name in _LIBRARIES]
    code = [columns, donotcall, loader, _model, numbers, persons, reading, values, params]
    digest = sources_digest(
        code,
        [str(LIST_CACHE_FORMAT), __version__, *libraries, *field_names(CallList, RowProblem, ListOptions)],
    )
    return f"{LIST_CACHE_FORMAT}-{digest}"


with suppress(Exception):  # at import, from the code this process runs (see dialer.journal.checkpoint)
    list_cache_format()


def _version(distribution: str) -> str:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "none"


def write_list_cache(
    cache_file: Path, key: dict, call_list: CallList, results_mark: dict | None = None
) -> None:
    """Raises ValueError or TypeError for a list this format cannot hold exactly, OSError on writing."""
    header = {"kind": "list-cache", "key": key, "results": results_mark or {}}
    write_derived(cache_file, header, _encode(call_list))


def read_list_cache(cache_file: Path, key: dict, path: Path) -> CallList:
    """The cached CallList for ``key`` (its source set to ``path``), or Stale."""
    derived = read_derived(cache_file, "list-cache", lambda header: same_key(header, key))
    try:
        return _decode(derived, Path(path))
    except (ValueError, TypeError, KeyError) as exc:
        raise Stale(f"{cache_file}: {exc}") from None


# -- encoding ------------------------------------------------------------------------------------------


def _encode(call_list: CallList) -> list[tuple[dict, bytes]]:
    if call_list.original is not None:
        raise ValueError("lists that keep their original cells are not cached")
    table = call_list.table
    if table.columns.has_duplicates or any(type(c) is not str for c in table.columns):
        raise ValueError("the table's column names are not distinct strings")
    sections = [_index_section("table.index", table.index)]
    sections.append(json_section("table.columns", [[c, _dtype_name(table[c])] for c in table.columns]))
    sections += [_strings_section(f"table.column.{i}", table[c]) for i, c in enumerate(table.columns)]
    persons = call_list.persons
    if persons is not None:
        sections += [_index_section("persons.index", persons.index), _strings_section("persons", persons)]
        sections.append(json_section("persons.meta", [_dtype_name(persons), persons.name]))
    sections += [
        encode_column(f"problem.{f.name}", [getattr(p, f.name) for p in call_list.problems])
        for f in fields(RowProblem)
    ]
    sections.append(json_section("problems", len(call_list.problems)))
    sections += [
        json_section(f"list.{f.name}", getattr(call_list, f.name))
        for f in fields(CallList)
        if f.name not in _SPECIAL
    ]
    return sections


def _index_section(name: str, index: pd.Index) -> tuple[dict, bytes]:
    if index.name is not None:
        raise ValueError(f"{name}: a named index")
    if isinstance(index, pd.RangeIndex):
        return json_section(name, {"range": [index.start, index.stop, index.step]})
    if index.dtype != "int64":
        raise ValueError(f"{name}: an index of {index.dtype}")
    spec, payload = encode_column(name, index.tolist())
    return spec | {"index": "int64"}, payload


def _dtype_name(column: pd.Series) -> str:
    name = str(column.dtype)
    if pd.api.types.pandas_dtype(name) != column.dtype:
        raise ValueError(f"{column.name}: a column of {column.dtype!r}, which its name does not rebuild")
    return name


def _strings_section(name: str, column: pd.Series) -> tuple[dict, bytes]:
    values = column.tolist()
    if not all(type(v) is str for v in values):
        raise ValueError(f"{name}: a value that is not a string")
    return encode_column(name, values)


# -- decoding ------------------------------------------------------------------------------------------


def _decode(derived: Derived, path: Path) -> CallList:
    index = _index(derived, "table.index")
    table = pd.DataFrame(
        {
            name: pd.array(derived.column(f"table.column.{i}"), dtype=dtype)
            for i, (name, dtype) in enumerate(derived.value("table.columns"))
        },
        index=index,
    )
    persons = None
    if "persons" in derived.sections:
        dtype, name = derived.value("persons.meta")
        persons = pd.Series(
            pd.array(derived.column("persons"), dtype=dtype),
            index=_index(derived, "persons.index"),
            name=name,
        )
    count = derived.value("problems")
    problem_columns = [derived.column(f"problem.{f.name}") for f in fields(RowProblem)]
    problems = list(map(RowProblem, *problem_columns)) if count else []
    others = {f.name: derived.value(f"list.{f.name}") for f in fields(CallList) if f.name not in _SPECIAL}
    return CallList(source=path, table=table, problems=problems, original=None, persons=persons, **others)


def _index(derived: Derived, name: str) -> pd.Index:
    spec, payload = derived.sections[name]
    if spec.get("index") == "int64":
        return pd.Index(decode_column(spec, payload), dtype="int64")
    start, stop, step = derived.value(name)["range"]
    return pd.RangeIndex(start, stop, step)


def _log(log: Any, level: str, event: str, **fields: Any) -> None:
    if log is not None:
        getattr(log, level)(event, **fields)
