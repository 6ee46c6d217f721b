"""Noticing that the results file a run holds open is no longer the file at its path, or no longer whole
(dialer/run/results_watch.py): removed, renamed, moved away, replaced, cut short; a look at every tick,
the change reported once, what the operator is told, and the marks the watch leaves for the next run."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import orjson
import pytest

from dialer.journal.lines import Event
from dialer.journal.results_file import Journal
from dialer.journal.results_marks import WentBackwards, mark_path, refuse_if_went_backwards
from dialer.run import results_watch
from dialer.run.results_watch import (
    EVERY,
    Change,
    describe,
    look,
    remember,
    remember_cut_short,
    save_removed,
    watch,
)

pytestmark = pytest.mark.timeout(60)

_real_sleep = asyncio.sleep

RUN = "20261201T090000-abcdef"


def write_rows(journal: Journal, rows: range) -> None:
    for row in rows:
        journal.write((Event.DIAL, {"row": row, "snumber": "2125550000", "cnumber": "100", "attempt": 1}))


@pytest.fixture
def journal(tmp_path: Path):
    """A journal holding tmp_path/camp.results.jsonl open, with a few lines written."""
    j = Journal(tmp_path / "camp.results.jsonl", RUN)
    j.open()
    write_rows(j, range(2, 6))
    yield j
    j.close()


def test_an_untouched_file_is_no_change_however_much_the_run_writes(journal):
    assert look(journal.path, journal) is None
    write_rows(journal, range(6, 100))
    assert look(journal.path, journal) is None


def test_removed(journal):
    """No name reaches the file any more: its lines are saved beside the path, and the operator told
    to move them back."""
    journal.path.unlink()
    change = look(journal.path, journal)
    assert change == Change("removed")
    saved = save_removed(journal, journal.path)
    assert saved == journal.path.with_name(f"camp.results.jsonl.saved-{RUN}")
    assert saved.read_bytes().count(b"\n") == 4
    text = describe(change, journal.path, saved)
    assert text.startswith(f"{journal.path} was removed while this run was going; no further call was placed")
    assert f"its lines are saved in {saved}: move that to {journal.path}, then run again" in text


def test_removed_and_not_saved_says_so(journal):
    journal.path.unlink()
    text = describe(look(journal.path, journal), journal.path, None)
    assert "its lines could not be saved: put a copy back" in text


def test_renamed_by_log_rotation(journal):
    """Renamed in its folder (logrotate without copytruncate): the new name is found and given."""
    rotated = journal.path.with_name("camp.results.jsonl.1")
    journal.path.rename(rotated)
    change = look(journal.path, journal)
    assert change == Change("renamed", moved_to=rotated)
    assert save_removed(journal, journal.path) is None  # it still has a name: nothing to save
    text = describe(change, journal.path, None)
    assert f"the campaign's results file is now {rotated}: move it back to {journal.path}" in text


def test_rotated_with_a_new_empty_file_made_at_the_path(journal):
    """logrotate's `create`: renamed, then a new empty file at the path: replaced, and where the
    campaign's own file went is said."""
    rotated = journal.path.with_name("camp.results.jsonl.1")
    journal.path.rename(rotated)
    journal.path.touch()
    change = look(journal.path, journal)
    assert change == Change("replaced", moved_to=rotated)
    text = describe(change, journal.path, None)
    assert "another file is at" in text and f"is now {rotated}: move it back" in text


def test_moved_to_another_folder(journal, tmp_path):
    elsewhere = tmp_path / "archive"
    elsewhere.mkdir()
    journal.path.rename(elsewhere / journal.path.name)
    change = look(journal.path, journal)
    assert change == Change("moved")
    assert f"find where it was moved and put it back at {journal.path}" in describe(
        change, journal.path, None
    )


def test_replaced_by_another_file(journal, tmp_path):
    """`mv other.jsonl camp.results.jsonl`: the campaign's file has no name left; its lines are saved."""
    other = tmp_path / "other.jsonl"
    other.write_bytes(b'{"event":"run_started"}\n')
    other.rename(journal.path)
    change = look(journal.path, journal)
    assert change == Change("replaced")
    saved = save_removed(journal, journal.path)
    assert saved is not None and saved.read_bytes().count(b"\n") == 4
    assert journal.path.read_bytes() == b'{"event":"run_started"}\n'  # the file put there is left alone


def test_a_hard_link_kept_and_the_name_removed_is_the_file_moved(journal, tmp_path):
    """Linked elsewhere, then the name removed: the file lives on under another name, not in this folder."""
    elsewhere = tmp_path / "archive"
    elsewhere.mkdir()
    os.link(journal.path, elsewhere / "kept.jsonl")
    journal.path.unlink()
    assert look(journal.path, journal) == Change("moved")


def test_cut_short(journal):
    held = journal.size
    os.truncate(journal.path, 10)
    change = look(journal.path, journal)
    assert change == Change("cut short", f"10 bytes, where it held {held:,}")
    write_rows(journal, range(6, 9))  # O_APPEND: written after the cut, still short of what it held
    assert look(journal.path, journal).what == "cut short"
    text = describe(change, journal.path, None)
    assert "lines about calls already made are lost" in text and "refuses the file" in text
    assert "move its .checkpoint, .list-cache and .mark aside" in text


def test_the_folder_gone_is_the_file_removed(journal, tmp_path):
    path = tmp_path / "gone" / "camp.results.jsonl"
    assert look(path, journal) is not None  # not its path: some change, never "unchanged"


# -- the watch --------------------------------------------------------------------------------------


class Ticks:
    """asyncio.sleep for the watch: each tick runs the test's step for that look, no real waiting."""

    def __init__(self, steps: dict[int, object]) -> None:
        self.steps = steps
        self.ticks = 0

    async def sleep(self, seconds: float) -> None:
        assert seconds == EVERY
        self.ticks += 1
        step = self.steps.get(self.ticks)
        if step is not None:
            step()
        await _real_sleep(0)


async def test_a_change_is_reported_once_at_the_first_look_after_it(journal, monkeypatch):
    """The file is looked at once at the start and every EVERY seconds; the look after a change
    reports it, once, and the watch ends. EVERY is well under a second: a change is seen within one."""
    assert EVERY <= 0.25
    ticks = Ticks({5: journal.path.unlink})
    monkeypatch.setattr(results_watch.asyncio, "sleep", ticks.sleep)
    seen: list[tuple[int, Change]] = []
    await asyncio.wait_for(watch(journal.path, journal, lambda c: seen.append((ticks.ticks, c))), 10)
    assert seen == [(5, Change("removed"))]


async def test_a_change_before_the_watch_starts_is_seen_before_any_wait(journal, monkeypatch):
    ticks = Ticks({})
    monkeypatch.setattr(results_watch.asyncio, "sleep", ticks.sleep)
    os.truncate(journal.path, 0)
    seen: list[Change] = []
    await asyncio.wait_for(watch(journal.path, journal, seen.append), 10)
    assert [c.what for c in seen] == ["cut short"] and ticks.ticks == 0


async def test_a_look_that_fails_is_tried_again(journal, monkeypatch):
    """A folder that cannot be read for a moment (its mode changed) does not end the watch."""
    failures = iter([PermissionError(13, "Permission denied")] * 2)

    def flaky(path, j):
        error = next(failures, None)
        if error is not None:
            raise error
        return look(path, j)

    monkeypatch.setattr(results_watch, "look", flaky)
    ticks = Ticks({3: journal.path.unlink})
    monkeypatch.setattr(results_watch.asyncio, "sleep", ticks.sleep)
    seen: list[Change] = []
    await asyncio.wait_for(watch(journal.path, journal, seen.append), 10)
    assert seen == [Change("removed")] and ticks.ticks == 3


async def test_the_watch_marks_how_far_the_file_has_come_on_disk(journal, monkeypatch):
    """Every REMEMBER_EVERY looks the watch writes the mark, vouching only for bytes on disk (synced):
    lines written and not yet synced could still be lost to a power cut, which is not going back."""
    assert not mark_path(journal.path).exists()
    await journal.commit()
    synced = journal.size
    write_rows(journal, range(6, 50))  # handed to the OS, not synced
    journal.flush()
    ticks = Ticks({results_watch.REMEMBER_EVERY + 1: journal.path.unlink})
    monkeypatch.setattr(results_watch.asyncio, "sleep", ticks.sleep)
    await asyncio.wait_for(watch(journal.path, journal, lambda c: None), 10)
    mark = orjson.loads(mark_path(journal.path).read_bytes())["results"]
    assert mark["offset"] == synced < journal.size
    assert mark["run"] == RUN


# -- the marks left for the next run ----------------------------------------------------------------


def test_a_file_put_back_after_a_removal_is_accepted_and_another_refused(journal, tmp_path):
    """What remember() writes when the run ends on a removal describes the campaign's own file: its
    saved copy put back passes, the empty file a rotation made does not."""
    journal.sync()
    journal.path.unlink()
    saved = save_removed(journal, journal.path)
    remember(journal.path, journal)
    journal.path.touch()
    with pytest.raises(WentBackwards, match="it holds 0 bytes"):
        refuse_if_went_backwards(journal.path)
    saved.replace(journal.path)
    refuse_if_went_backwards(journal.path)


def test_a_file_cut_short_is_refused_even_once_it_grew_again(journal):
    os.truncate(journal.path, 0)
    remember_cut_short(journal.path, journal)
    write_rows(journal, range(100, 400))
    with pytest.raises(WentBackwards, match="cut short while a run was writing it"):
        refuse_if_went_backwards(journal.path)
