"""Fixtures of the journal tests: a messy call list with its options and where its cache goes."""

from __future__ import annotations

from pathlib import Path

import pytest

from dialer.calllist.model import ListOptions
from dialer.journal.results_marks import list_cache_path
from tests.helpers.call_lists import dnc_file, messy_list


@pytest.fixture
def campaign(tmp_path: Path) -> tuple[Path, ListOptions, Path]:
    """A messy list (helpers.call_lists.messy_list), the options it is read with (a column mapped,
    defaults, a do-not-call file) and where the cache of a results file beside it goes."""
    list_path = messy_list(tmp_path / "list.csv")
    dnc = dnc_file(tmp_path / "dnc.txt", ["212-555-0003", "+1 212 555 0010", "2125550777"])
    options = ListOptions(
        columns={"Phone": "snumber"},
        defaults={"cnumber": "100", "wait": "5"},
        default_region="US",
        do_not_call=(dnc,),
    )
    return list_path, options, list_cache_path(tmp_path / "list.results.jsonl")
