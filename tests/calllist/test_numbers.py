"""A number's canonical form, for matching only (dialer/calllist/numbers.py)."""

from __future__ import annotations

import pandas as pd
import pytest

from dialer.calllist import ListError, canonical_number, canonical_numbers
from tests.helpers.call_lists import load


def test_canonical_fast_path_agrees_with_phonenumbers():
    """The vectorised shapes give what phonenumbers gives; other shapes go through it."""
    numbers = ["2125551234", "12125551234", "+12125551234", "+442071234567", "02071234567", "100", "*72"]
    fast = canonical_numbers(pd.Series(numbers, dtype="str"), "US").tolist()
    assert fast == [canonical_number(n, "US") for n in numbers]
    assert fast[:4] == ["+12125551234"] * 3 + ["+442071234567"]
    assert fast[5:] == ["100", "*72"]
    assert canonical_numbers(pd.Series(["02071234567"], dtype="str"), "GB").tolist() == ["+442071234567"]


def test_unknown_region(tmp_path):
    """A default region phonenumbers does not know is a ListError."""
    with pytest.raises(ListError, match="default region 'XX'"):
        load(tmp_path, [["snumber", "cnumber"], ["1", "2"]], default_region="XX")
