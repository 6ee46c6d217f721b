"""Reading what status and report look at: the campaign, its list and its results file."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, tzinfo
from functools import cached_property
from pathlib import Path
from typing import Any

from dialer.calllist.model import CallList, ListOptions
from dialer.campaign.file import load_campaign
from dialer.campaign.settings import Campaign
from dialer.journal.checkpoint import replay_with_checkpoint
from dialer.journal.replay import Replay
from dialer.journal.results_marks import refuse_if_went_backwards
from dialer.reporting.rows import RowTable, row_table
from dialer.reporting.summary import Summary, summarise


def load_list(path: Path, options: ListOptions, results: Path | None = None) -> CallList:
    """The call-list loader (imported when first used, so this module loads without it); the list
    cache a run left beside ``results`` is used when it is for this very list, never written here."""
    from dialer.journal.list_cache import load_checked_list
    from dialer.journal.results_marks import list_cache_path

    cache = None if results is None else list_cache_path(results)
    return load_checked_list(path, options, cache, write=False)


@dataclass
class Source:
    campaign: Campaign
    call_list: CallList
    replay: Replay

    @property
    def results_exists(self) -> bool:
        return self.campaign.results.exists()

    @cached_property
    def rows(self) -> RowTable:
        """Every list row's state, as columns (what status needs)."""
        return row_table(self.call_list, self.replay)


def load_source(
    source: Path, overrides: dict[str, Any] | None = None, *, keep_original: bool = False
) -> Source:
    """Campaign, list and replayed results of SOURCE.

    Raises CampaignError, ListError, ResultsFileError or OSError, each naming its file.
    """
    campaign = load_campaign(Path(source), overrides)
    refuse_if_went_backwards(campaign.results)
    options = replace(campaign.list, keep_original=True) if keep_original else campaign.list
    call_list = load_list(campaign.list_path, options, campaign.results)
    replay = replay_with_checkpoint(campaign.results).replay  # a run's checkpoint when it proves itself
    return Source(campaign, call_list, replay)


def window_zone(campaign: Campaign) -> tzinfo:
    """The campaign's calling-window time zone, the hours of day are shown in; UTC when it has no
    window (or one ``dialer run`` would refuse: status still shows where things stand)."""
    from dialer.windows import CallingWindow, WindowError

    try:
        window = CallingWindow.from_config(campaign.window)
    except WindowError:
        return UTC
    return window.zone if window is not None else UTC


def summary_of(src: Source, attention_limit: int | None = None, *, codes_by_row: bool = True) -> Summary:
    """The summary status and report show of SOURCE (see ``summarise`` for the options)."""
    c = src.campaign
    return summarise(
        src.rows,
        src.replay,
        recycle=c.recycle,
        zone=window_zone(c),
        attention_limit=attention_limit,
        codes_by_row=codes_by_row,
    )
