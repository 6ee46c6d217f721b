"""Call lists: read a CSV or spreadsheet, check every row, and say which rows to dial.

``load_call_list(path, options)`` is the entry point; ``dialer validate`` is its command.
"""

from dialer.calllist.loader import load_call_list
from dialer.calllist.model import CallList, ListError, ListOptions, RowProblem
from dialer.calllist.numbers import canonical_number, canonical_numbers

__all__ = [
    "CallList",
    "ListError",
    "ListOptions",
    "RowProblem",
    "canonical_number",
    "canonical_numbers",
    "load_call_list",
]
