"""What the derived files remember of the results file (dialer/journal/results_marks.py): its length and
hashes of its first line and of the bytes before that length. A file shorter than a mark, or whose
bytes differ, went backwards (cut short, replaced, an older copy restored) and is refused with what was
expected, what was found and how to restore it; a file that only grew is the same file, accepted."""

from __future__ import annotations

import os
from pathlib import Path

import orjson
import pytest

from dialer.journal.replay import ResultsFileError
from dialer.journal.results_marks import (
    TAIL_BYTES,
    WentBackwards,
    checkpoint_path,
    cut_short_mark,
    list_cache_path,
    mark_now,
    mark_of_open,
    mark_path,
    refuse_if_went_backwards,
    write_mark,
)

RUN = "20261201T090000-abcdef"
TS = "2026-12-01T09:00:00+00:00"


def line(n: int, size: int = 60) -> bytes:
    body = orjson.dumps({"event": "dial", "run": RUN, "row": n, "pad": "x" * size})
    return body + b"\n"


def results_file(tmp_path: Path, count: int = 20, size: int = 60) -> Path:
    path = tmp_path / "camp.results.jsonl"
    path.write_bytes(b"".join(line(n, size) for n in range(count)))
    return path


def remembered_by(derived: Path, mark: dict) -> None:
    """A derived file whose header remembers ``mark`` (the checkpoint's and list cache's headers say
    more, but only this is read to refuse a file)."""
    kind = derived.name.rpartition(".")[2]
    derived.write_bytes(orjson.dumps({"kind": kind, "results": mark}) + b"\n" + b"\0body")


DERIVED = {"checkpoint": checkpoint_path, "list cache": list_cache_path, "mark": mark_path}


@pytest.fixture(params=list(DERIVED))
def marked(request, tmp_path) -> tuple[Path, Path, int]:
    """A results file, one derived file remembering it as it is now, and its length."""
    results = results_file(tmp_path)
    derived = DERIVED[request.param](results)
    remembered_by(derived, mark_now(results, run=RUN, ts=TS))
    return results, derived, results.stat().st_size


def refusal(results: Path) -> str:
    with pytest.raises(WentBackwards) as refused:
        refuse_if_went_backwards(results)
    return str(refused.value)


def assert_says_how_to_restore(message: str, results: Path, derived: Path) -> None:
    assert message.startswith(f"{results}: ")
    assert f"({derived.name} says so)" in message
    assert "nothing was dialed" in message
    assert f"put it back at {results} and run again" in message
    name = results.name
    assert f"move {name}.checkpoint, {name}.list-cache and {name}.mark aside" in message


# -- accepted ---------------------------------------------------------------------------------------


def test_the_same_file_grown_is_accepted(marked):
    results, _, _ = marked
    refuse_if_went_backwards(results)
    with open(results, "ab") as f:
        f.write(line(99))
    refuse_if_went_backwards(results)


def test_a_torn_line_after_the_mark_is_not_going_back(marked):
    """A crash tears the last line; the bytes the mark vouches for are still all there."""
    results, _, _ = marked
    with open(results, "ab") as f:
        f.write(b'{"event":"di')
    refuse_if_went_backwards(results)


def test_no_mark_an_empty_mark_or_an_unreadable_one_refuses_nothing(tmp_path):
    results = results_file(tmp_path)
    refuse_if_went_backwards(results)  # no derived file at all
    remembered_by(mark_path(results), {"offset": 0})  # made when there was no results file yet
    checkpoint_path(results).write_bytes(b"not json at all\n")
    list_cache_path(results).write_bytes(b"")
    results.write_bytes(b"")
    refuse_if_went_backwards(results)


# -- refused ----------------------------------------------------------------------------------------


def test_a_file_shorter_than_its_mark_is_refused(marked):
    results, derived, size = marked
    kept = results.read_bytes()[: size // 2]
    results.write_bytes(kept)
    message = refusal(results)
    assert f"it holds {len(kept):,} bytes, but at {TS} (run {RUN}) it held {size:,}" in message
    assert_says_how_to_restore(message, results, derived)


def test_an_empty_file_where_a_long_one_was_is_refused(marked):
    """Log rotation with `create`: an empty file at the path. Never a fresh start."""
    results, derived, size = marked
    results.write_bytes(b"")
    assert f"it holds 0 bytes, but at {TS} (run {RUN}) it held {size:,}" in refusal(results)


def test_a_missing_file_with_a_mark_is_refused(marked):
    results, derived, size = marked
    results.unlink()
    message = refusal(results)
    assert f"it is missing, but at {TS} (run {RUN}) it held {size:,} bytes" in message
    assert_says_how_to_restore(message, results, derived)


def test_another_file_as_long_or_longer_is_refused(marked):
    """Another campaign's file copied over this one: its first line is not this file's."""
    results, _, size = marked
    results.write_bytes(line(0, size=61) + b"".join(line(n) for n in range(1, 40)))
    assert results.stat().st_size >= size
    assert "it does not begin as it did" in refusal(results)


def test_bytes_rewritten_before_the_mark_are_refused(marked):
    """The same first line, the same length, one line in the last 64 KiB changed (an edit)."""
    results, _, size = marked
    data = bytearray(results.read_bytes())
    at = data.rindex(b'"row":18')
    data[at : at + 8] = b'"row":81'
    results.write_bytes(bytes(data))
    assert f"its first {size:,} bytes are not the ones they were at {TS}" in refusal(results)


def test_the_mark_that_went_furthest_decides(tmp_path):
    """An older checkpoint says less than the mark written since: the file is checked against both,
    and cutting it between the two is refused by the newer one."""
    results = results_file(tmp_path, 10)
    remembered_by(checkpoint_path(results), mark_now(results, run="old", ts=TS))
    with open(results, "ab") as f:
        f.write(b"".join(line(n) for n in range(10, 20)))
    write_mark(results, mark_now(results, run=RUN, ts=TS))
    results.write_bytes(results.read_bytes()[: -len(line(19))])
    message = refusal(results)
    assert "(camp.results.jsonl.mark says so)" in message and f"(run {RUN})" in message


def test_a_file_cut_short_under_a_run_is_refused_whatever_it_holds_now(tmp_path):
    """The mark a run leaves when its file was cut short while it wrote: the lost lines cannot be
    vouched for, so no file matches it, however long it has grown since."""
    results = results_file(tmp_path, 5)
    write_mark(results, cut_short_mark(9_000, 120, run=RUN, ts=TS))
    with open(results, "ab") as f:
        f.write(b"".join(line(n) for n in range(5, 500)))
    assert results.stat().st_size > 9_000
    message = refusal(results)
    said = f"it was cut short while a run was writing it (at {TS} (run {RUN})): it held 9,000 bytes, 120"
    assert said in message
    assert_says_how_to_restore(message, results, mark_path(results))


def test_a_results_file_that_cannot_be_read_is_a_results_file_error_not_went_backwards(tmp_path, monkeypatch):
    results = results_file(tmp_path)
    write_mark(results, mark_now(results))
    real_open = open

    def denied(file, *args, **kwargs):
        if Path(file) == results:
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr("builtins.open", denied)
    with pytest.raises(ResultsFileError, match="cannot read the results file: Permission denied") as refused:
        refuse_if_went_backwards(results)
    assert not isinstance(refused.value, WentBackwards)


# -- making marks -----------------------------------------------------------------------------------


def test_mark_now_covers_whole_lines_only(tmp_path):
    results = results_file(tmp_path, 3)
    whole = results.stat().st_size
    with open(results, "ab") as f:
        f.write(b'{"torn')
    mark = mark_now(results, run=RUN)
    assert mark["offset"] == whole and mark["run"] == RUN
    assert set(mark) == {"offset", "first_line", "tail", "run"}
    assert mark_now(tmp_path / "none.jsonl") == {"offset": 0}


def test_a_mark_of_an_open_file_is_the_mark_of_the_same_bytes(tmp_path):
    """The mark a run writes from the file it holds open is the one a later look at the path makes."""
    results = results_file(tmp_path, 2_000)  # longer than the 64 KiB hashed before the offset
    assert results.stat().st_size > TAIL_BYTES
    fd = os.open(results, os.O_RDONLY)
    try:
        held = mark_of_open(fd, results.stat().st_size, run=RUN)
        assert held == mark_now(results, run=RUN)
        assert mark_of_open(fd, results.stat().st_size - 3)["offset"] == 0  # not the end of a line
    finally:
        os.close(fd)


def test_write_mark_replaces_the_mark_whole(tmp_path):
    results = results_file(tmp_path)
    write_mark(results, {"offset": 1})
    write_mark(results, mark_now(results, run=RUN))
    header = orjson.loads(mark_path(results).read_bytes())
    assert header["kind"] == "mark" and header["results"]["run"] == RUN
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []
