"""The cache of the checked call list (dialer/journal/list_cache.py): a cached load is an exact stand-in for a
fresh one, and any change to the list file, a do-not-call file or an option means a fresh load."""

from __future__ import annotations

import os
from dataclasses import fields, replace
from pathlib import Path

import pandas as pd
import pytest

from dialer.calllist import load_call_list
from dialer.calllist.model import CallList, ListOptions
from dialer.journal.list_cache import load_checked_list
from dialer.journal.results_marks import list_cache_path
from tests.helpers.call_lists import dnc_file
from tests.helpers.log import Log


def assert_same_list(got: CallList, want: CallList) -> None:
    """Field by field: the table (values, index and its type, column dtypes), persons, problems..."""
    pd.testing.assert_frame_equal(got.table, want.table, check_exact=True, check_index_type=True)
    assert type(got.table.index) is type(want.table.index)
    assert list(got.table.dtypes) == list(want.table.dtypes)
    assert type(got.table.columns) is type(want.table.columns)
    pd.testing.assert_series_equal(got.persons, want.persons, check_exact=True, check_index_type=True)
    assert type(got.persons.index) is type(want.persons.index)
    assert got.problems == want.problems
    for f in fields(CallList):
        if f.name not in ("table", "persons"):
            assert getattr(got, f.name) == getattr(want, f.name), f.name
    # the runner's and the planner's view of it
    assert got.table["snumber"].tolist() == want.table["snumber"].tolist()
    assert [got.row_params(r) for r in got.table.index[:50]] == [
        want.row_params(r) for r in want.table.index[:50]
    ]


def test_a_cached_load_is_the_same_list_field_by_field(campaign):
    list_path, options, cache = campaign
    fresh = load_call_list(list_path, options)
    # the list is as messy as it means to be
    codes = {p.code for p in fresh.problems}
    assert codes == {"invalid", "duplicate", "do-not-call"}
    assert fresh.blank_rows > 0 and fresh.extras == ["Customer name", "Note"]
    assert not isinstance(fresh.table.index, pd.RangeIndex)
    assert (fresh.table["cnumber"] == "100").all() and (fresh.table["wait"] == "5").all()

    log = Log()
    first = load_checked_list(list_path, options, cache, log)
    assert cache.exists() and "list cache not used: loading and checking the list" in log.events()
    assert_same_list(first, fresh)

    log = Log()
    cached = load_checked_list(list_path, options, cache, log)
    assert log.events() == ["call list read from its cache"]
    assert_same_list(cached, fresh)


def test_a_list_with_nothing_dropped_keeps_its_range_index(tmp_path):
    list_path = tmp_path / "plain.csv"
    list_path.write_text("snumber,cnumber\n" + "".join(f"212555{i:04d},100\n" for i in range(500)))
    cache = list_cache_path(tmp_path / "plain.results.jsonl")
    fresh = load_call_list(list_path, ListOptions())
    load_checked_list(list_path, ListOptions(), cache)
    log = Log()
    cached = load_checked_list(list_path, ListOptions(), cache, log)
    assert log.events() == ["call list read from its cache"]
    assert isinstance(fresh.table.index, pd.RangeIndex)
    assert_same_list(cached, fresh)


def _append_row(list_path: Path, options: ListOptions) -> ListOptions:
    with open(list_path, "a") as f:
        f.write("2125559999,100,1,New customer,\n")
    return options


def _same_size_same_mtime(list_path: Path, options: ListOptions) -> ListOptions:
    """One digit changed in place, the size and modification time put back: the content hash sees it."""
    st = list_path.stat()
    data = list_path.read_bytes()
    list_path.write_bytes(data.replace(b"555-0042", b"555-0043", 1))
    os.utime(list_path, ns=(st.st_atime_ns, st.st_mtime_ns))
    return options


def _do_not_call_changed(list_path: Path, options: ListOptions) -> ListOptions:
    with open(options.do_not_call[0], "a") as f:
        f.write("(212) 555-0100\n")
    return options


def _another_do_not_call_file(list_path: Path, options: ListOptions) -> ListOptions:
    extra = dnc_file(list_path.with_name("dnc2.txt"), ["2125550200"])
    return replace(options, do_not_call=(*options.do_not_call, extra))


def _region(list_path: Path, options: ListOptions) -> ListOptions:
    return replace(options, default_region="CA")


def _defaults(list_path: Path, options: ListOptions) -> ListOptions:
    return replace(options, defaults={"cnumber": "200", "wait": "5"})


def _columns(list_path: Path, options: ListOptions) -> ListOptions:
    return replace(options, columns={"Phone": "snumber", "Note": "callerid2"})


def _delimiter(list_path: Path, options: ListOptions) -> ListOptions:
    return replace(options, delimiter=",")


def _encoding(list_path: Path, options: ListOptions) -> ListOptions:
    return replace(options, encoding="utf-8")


@pytest.mark.parametrize(
    "change",
    [
        _append_row,
        _same_size_same_mtime,
        _do_not_call_changed,
        _another_do_not_call_file,
        _region,
        _defaults,
        _columns,
        _delimiter,
        _encoding,
    ],
)
def test_a_change_to_the_list_a_do_not_call_file_or_an_option_means_a_fresh_load(campaign, change):
    list_path, options, cache = campaign
    load_checked_list(list_path, options, cache)
    options = change(list_path, options)
    log = Log()
    got = load_checked_list(list_path, options, cache, log)
    assert "call list read from its cache" not in log.events()
    assert log.lines[0][1] == "list cache not used: loading and checking the list"
    assert_same_list(got, load_call_list(list_path, options))
    # and the cache now holds the new list
    log = Log()
    assert_same_list(load_checked_list(list_path, options, cache, log), got)
    assert log.events() == ["call list read from its cache"]


def test_the_changes_above_do_change_the_list(campaign):
    """So that the test above compares different lists, not the same one twice."""
    list_path, options, _ = campaign
    before = load_call_list(list_path, options)
    after = load_call_list(list_path, _defaults(list_path, options))
    assert before.table["cnumber"].tolist() != after.table["cnumber"].tolist()
    _same_size_same_mtime(list_path, options)
    assert load_call_list(list_path, options).problems != before.problems


@pytest.mark.parametrize(
    "damage",
    [
        lambda p: p.write_bytes(b"garbage\n"),
        lambda p: os.truncate(p, p.stat().st_size // 2),
        lambda p: p.write_bytes(p.read_bytes()[:-10] + b"0123456789"),
        lambda p: p.write_bytes(p.read_bytes().replace(b'"list-cache"', b'"checkpoint"', 1)),
    ],
)
def test_a_corrupt_cache_is_ignored_and_rewritten(campaign, damage):
    list_path, options, cache = campaign
    load_checked_list(list_path, options, cache)
    damage(cache)
    log = Log()
    got = load_checked_list(list_path, options, cache, log)
    assert log.lines[0][0] == "info" and "cache not used" in log.lines[0][1]
    assert_same_list(got, load_call_list(list_path, options))
    log = Log()
    load_checked_list(list_path, options, cache, log)
    assert log.events() == ["call list read from its cache"]


def test_lists_that_keep_their_original_cells_bypass_the_cache(campaign):
    list_path, options, cache = campaign
    load_checked_list(list_path, options, cache)
    written = cache.stat().st_mtime_ns
    log = Log()
    got = load_checked_list(list_path, replace(options, keep_original=True), cache, log)
    assert got.original is not None and log.lines == []
    assert cache.stat().st_mtime_ns == written


def test_a_cache_that_cannot_be_written_is_a_warning(campaign):
    list_path, options, cache = campaign
    cache.mkdir()
    log = Log()
    got = load_checked_list(list_path, options, cache, log)
    assert [level for level, event, _ in log.lines if event == "could not save the list cache"] == ["warning"]
    assert_same_list(got, load_call_list(list_path, options))
