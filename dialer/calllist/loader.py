"""Load a call list: read it, check every row, drop duplicates and do-not-call numbers.

Order of judgement, each row getting at most one problem: invalid (rejected) first; then, among
valid rows, do-not-call (suppressed); then duplicates among the rest (suppressed, pointing at a
row that is dialed). Duplicates are rows with the same person (``dialer.calllist.persons``: by
default the number stype says is outside the switch), compared on canonical forms, which catches
every number equal after cleaning and also "2125551234" against "+1 212 555 1234". A list where one
person holds many rows, each with another number, is refused: the person was chosen wrongly.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from dialer.calllist.columns import ColumnMap, label, map_columns
from dialer.calllist.donotcall import load_do_not_call
from dialer.calllist.model import CallList, ListError, ListOptions, RowProblem
from dialer.calllist.numbers import canonical_numbers, known_region
from dialer.calllist.persons import crowding, crowding_message, other_numbers, person_keys, person_leg
from dialer.calllist.reading import read_table
from dialer.calllist.values import EMPTY, check_column, check_value
from dialer.core import outcomes
from dialer.core.params import PARAMETERS, REQUIRED


@dataclass
class _Invalid:
    """Rejected rows: one reason each (the first in column order) and the column at fault."""

    reason: pd.Series  # by row number
    header: pd.Series  # by row number; "" for a problem with the whole row (extra cells)


def load_call_list(path: Path, options: ListOptions) -> CallList:
    """Read and check ``path``. Raises ListError (one sentence naming the file) if it is unusable."""
    path = Path(path)
    region = options.default_region.upper()
    if not known_region(region):
        raise ListError(f"{path}: default region {options.default_region!r} is not a known region code")
    defaults = _check_defaults(path, options.defaults)
    raw = read_table(path, sheet=options.sheet, encoding=options.encoding, delimiter=options.delimiter)
    cmap = map_columns(path, raw.headers, options)
    do_not_call = load_do_not_call(options.do_not_call, region)
    cells = raw.cells.loc[~raw.blank.to_numpy(), [h for h in raw.headers if h not in cmap.ignored]]
    del raw.cells  # the full grid, blank rows and credentials included: free it before the checks copy

    values, invalid = _check_rows(cells, cmap, defaults, raw.overflow)
    rejected = cells.index.isin(invalid.reason.index)
    valid_index = cells.index[~rejected]
    snumber = canonical_numbers(values["snumber"].loc[valid_index], region)
    cnumber = canonical_numbers(values["cnumber"].loc[valid_index], region)
    phone = (values["stype"].loc[valid_index] == "phone").to_numpy() if "stype" in values else False
    dnc_column, dnc_file = _on_do_not_call(snumber, cnumber, phone, do_not_call)
    remaining = dnc_column.isna().to_numpy()
    persons = person_keys(snumber, cnumber, phone, options.person)
    crowded = crowding(
        persons[remaining],
        other_numbers(snumber, cnumber, phone, options.person)[remaining],
        phone[remaining] if isinstance(phone, np.ndarray) else phone,
        options.person,
    )
    if crowded is not None:
        raise ListError(crowding_message(path, crowded, options.person))
    duplicate_of = _duplicates(persons[remaining])
    keep = snumber.index[remaining].difference(duplicate_of.index, sort=False)

    parameters = [p for p in PARAMETERS if p in values]
    columns = {p: values[p].loc[keep] for p in parameters} | {h: cells[h].loc[keep] for h in cmap.extras}
    table = pd.DataFrame(columns, index=keep)
    legs = pd.Series(
        np.where(phone, person_leg(True, options.person), person_leg(False, options.person)),
        index=snumber.index,
        dtype="str",
    )
    found = _Found(invalid, dnc_column, dnc_file, duplicate_of, legs)
    problems = _problems(cells, values, cmap, found, persons)
    return CallList(
        source=path,
        table=table,
        parameters=parameters,
        extras=list(cmap.extras),
        problems=problems,
        headers=list(cells.columns),
        total_rows=len(cells),
        blank_rows=int(raw.blank.sum()),
        original=cells if options.keep_original else None,
        persons=persons.loc[keep],
    )


def _check_defaults(path: Path, defaults: dict[str, str]) -> dict[str, str]:
    checked = {}
    for param, value in defaults.items():
        if param not in PARAMETERS:
            raise ListError(f"{path}: the campaign default {param!r} is not a calls/make parameter")
        cleaned, reason = check_value(str(value), PARAMETERS[param])
        if reason:
            raise ListError(f"{path}: the campaign default {reason.format(label=param)} (it is {value!r})")
        checked[param] = cleaned
    return checked


def _check_rows(
    cells: pd.DataFrame, cmap: ColumnMap, defaults: dict[str, str], overflow: pd.Series
) -> tuple[dict[str, pd.Series], _Invalid]:
    """Every parameter's values as sent (defaults applied) and the invalid rows."""
    values: dict[str, pd.Series] = {}
    found: list[tuple[pd.Series, str | None]] = []
    if len(overflow):
        width = len(cells.columns) + len(cmap.ignored)
        reasons = overflow.map(lambda extra: _overflow_reason(width, extra))
        found.append((reasons.loc[reasons.index.isin(cells.index)], None))
    for header in cells.columns:
        param = _param_of(cmap, header)
        if param is None:
            continue
        parameter = PARAMETERS[param]
        checked = check_column(cells[header], parameter.kind, parameter.maximum)
        values[param] = checked.values
        name = label(param, header)
        found.append((checked.problems.map(lambda r, name=name: r.format(label=name)), header))
    for param, default in defaults.items():
        column = values.get(param)
        if column is None:
            values[param] = pd.Series(default, index=cells.index, dtype="str")
        else:
            values[param] = column.mask(column == "", default)
    for param in REQUIRED:
        empty = values[param].index[(values[param] == "").to_numpy()]
        header = cmap.params.get(param)
        reason = EMPTY.format(label=label(param, header) if header else param)
        found.append((pd.Series(reason, index=empty, dtype=object), header))
    return values, _first_problems(found)


def _param_of(cmap: ColumnMap, header: str) -> str | None:
    for param, h in cmap.params.items():
        if h == header:
            return param
    return None


def _overflow_reason(width: int, extra: list[str]) -> str:
    return (
        f"the row has {len(extra)} more cell(s) than the header's {width} columns, so a value probably "
        "holds an unquoted delimiter"
    )


def _first_problems(found: list[tuple[pd.Series, str | None]]) -> _Invalid:
    reasons = [s for s, _ in found if len(s)]
    if not reasons:
        empty = pd.Series([], dtype=object)
        return _Invalid(empty, empty)
    # "" for a whole-row problem: pandas would turn None into NaN
    headers = [pd.Series(h or "", index=s.index, dtype=object) for s, h in found if len(s)]
    reason = pd.concat(reasons)
    header = pd.concat(headers)
    # concat keeps column order, so the first of a row's duplicates is its first problem
    first = ~reason.index.duplicated(keep="first")
    return _Invalid(reason[first].sort_index(), header[first].sort_index())


def _on_do_not_call(
    snumber: pd.Series, cnumber: pd.Series, phone: np.ndarray | bool, do_not_call: pd.Series
) -> tuple[pd.Series, pd.Series]:
    """Which rows dial a listed number: cnumber always, snumber unless it is the agent's line.

    Both legs are external calls when stype is not "phone", and a listed person must not be
    called on either; with stype "phone" snumber is a line in the switch, not a person.
    """
    column = pd.Series(None, index=snumber.index, dtype=object)
    source = pd.Series(None, index=snumber.index, dtype=object)
    if do_not_call.empty:
        return column, source
    s_hit = snumber.isin(do_not_call.index).to_numpy() & ~np.asarray(phone)
    c_hit = cnumber.isin(do_not_call.index).to_numpy() & ~s_hit
    column[s_hit] = "snumber"
    column[c_hit] = "cnumber"
    source[s_hit] = do_not_call.reindex(snumber[s_hit]).to_numpy()
    source[c_hit] = do_not_call.reindex(cnumber[c_hit]).to_numpy()
    return column, source


def _duplicates(persons: pd.Series) -> pd.Series:
    """Row number of each row whose person an earlier row holds -> the row number of that row."""
    codes, _ = pd.factorize(persons)
    _, first, inverse = np.unique(codes, return_index=True, return_inverse=True)
    first_of = first[inverse]
    dup = np.flatnonzero(first_of != np.arange(len(codes)))
    return pd.Series(persons.index[first_of[dup]], index=persons.index[dup])


@dataclass
class _Found:
    """What the checks found, row by row."""

    invalid: _Invalid
    dnc_column: pd.Series  # the parameter found on a do-not-call list, by row; None elsewhere
    dnc_file: pd.Series  # and the list it was found on
    duplicate_of: pd.Series  # row -> the earlier row with the same person
    legs: pd.Series  # row -> which number is its person ("snumber", "cnumber" or "pair")


def _problems(
    cells: pd.DataFrame, values: dict[str, pd.Series], cmap: ColumnMap, found: _Found, persons: pd.Series
) -> list[RowProblem]:
    dnc_rows = found.dnc_column.index[found.dnc_column.notna().to_numpy()]
    rows = found.invalid.reason.index.union(dnc_rows).union(found.duplicate_of.index)
    shown = _Shown(
        originals=_records(cells.loc[rows]),
        snumber=_reported_numbers(values, cells, cmap, "snumber", rows),
        cnumber=_reported_numbers(values, cells, cmap, "cnumber", rows),
        persons=persons.reindex(rows).fillna("").to_dict(),
    )
    problems = [
        *_invalid_rows(found.invalid, shown),
        *_do_not_call_rows(found, dnc_rows, cmap, shown),
        *_duplicate_rows(found, shown),
    ]
    problems.sort(key=lambda p: p.row)
    return problems


@dataclass
class _Shown:
    """What a problem row shows of itself: plain dicts by row (a pandas lookup per row costs
    microseconds, and there may be many problem rows)."""

    originals: dict[int, dict[str, str]]
    snumber: dict[int, str]
    cnumber: dict[int, str]
    persons: dict[int, str]

    def problem(self, row: int, outcome: str, code: str, reason: str, **more: object) -> RowProblem:
        return RowProblem(
            row=int(row),
            outcome=outcome,
            code=code,
            reason=reason,
            snumber=self.snumber[row],
            cnumber=self.cnumber[row],
            values=self.originals[row],
            person=self.persons[row],
            **more,
        )


def _invalid_rows(invalid: _Invalid, shown: _Shown) -> list[RowProblem]:
    headers = invalid.header.to_dict()
    return [
        shown.problem(row, outcomes.REJECTED, "invalid", reason, column=headers[row] or None)
        for row, reason in invalid.reason.items()
    ]


def _do_not_call_rows(found: _Found, rows: pd.Index, cmap: ColumnMap, shown: _Shown) -> list[RowProblem]:
    column, listed_in = found.dnc_column.loc[rows].to_dict(), found.dnc_file.loc[rows].to_dict()
    out = []
    for row in rows:
        param = column[row]
        header = cmap.params.get(param)
        reason = f"{label(param, header) if header else param} is on the do-not-call list {listed_in[row]}"
        out.append(shown.problem(row, outcomes.SUPPRESSED, "do-not-call", reason, column=header))
    return out


def _duplicate_rows(found: _Found, shown: _Shown) -> list[RowProblem]:
    legs = found.legs.to_dict()
    out = []
    for row, first in found.duplicate_of.items():
        leg = legs[row]
        if leg == "pair":
            who = "the same snumber and cnumber"
        else:
            who = f"the same person ({leg} {shown.snumber[row] if leg == 'snumber' else shown.cnumber[row]})"
        reason = f"{who} as row {first}, which is dialed once"
        out.append(shown.problem(row, outcomes.SUPPRESSED, "duplicate", reason, duplicate_of=int(first)))
    return out


def _reported_numbers(
    values: dict[str, pd.Series], cells: pd.DataFrame, cmap: ColumnMap, param: str, rows: pd.Index
) -> dict[int, str]:
    """Cleaned where the cell was valid, else as written."""
    sent = values[param].loc[rows]
    header = cmap.params.get(param)
    if header is not None:
        written = cells[header].loc[rows]
        sent = sent.mask(sent == "", written)
    return dict(zip(rows.tolist(), sent.tolist(), strict=True))


def _records(frame: pd.DataFrame) -> dict[int, dict[str, str]]:
    """Row number -> {header: cell}; DataFrame.to_dict is several times slower."""
    headers = list(frame.columns)
    rows = frame.index.tolist()
    cells = frame.to_numpy(dtype=object).tolist()
    return {row: dict(zip(headers, values, strict=True)) for row, values in zip(rows, cells, strict=True)}
