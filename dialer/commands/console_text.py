"""How the console's events read for a person: a short sentence, then the event's details as an
aligned summary under it. Never Python's dict or list syntax, never a raw ``key=value``.

A structlog renderer: it turns an event (``event`` is the sentence the code wrote, the other keys
its details) into text. The JSON console gets the very same event; this only decides how it reads.
A few events an operator reads at every run (the start, the end, progress) have their own wording;
every other event reads as its sentence, with its ``detail``, ``reason`` or ``error`` after a colon.
"""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Callable
from datetime import datetime
from typing import Any

TIME = "%H:%M:%S"  # the machine's local time: the operator's clock
INDENT = " " * 10  # under the sentence, past the time
EXPLAINING = ("detail", "reason", "error")  # said after the sentence, not under it
# The row states in the order the progress display and the summary give them.
COUNTS = (
    ("placed", "placed"),
    ("failed", "failed"),
    ("rejected", "rejected"),
    ("unknown", "unknown"),
    ("not_dialed", "left"),
)
LABELS = {"not_dialed": "not yet dialed", "to_dial": "to dial", "open_files_limit": "open-file limit"}

_RESET, _DIM, _BOLD, _RED, _YELLOW = "\x1b[0m", "\x1b[2m", "\x1b[1m", "\x1b[31m", "\x1b[33m"
_LEVEL_WORDS = {"warning": ("Warning: ", _YELLOW + _BOLD), "error": ("Error: ", _RED + _BOLD)}
_LEVEL_WORDS["critical"] = _LEVEL_WORDS["error"]

Details = list[tuple[str, str]]


class HumanRenderer:
    """structlog processor: the event as text for a person (the last processor)."""

    def __init__(self, *, colours: bool = False, width: int | None = None) -> None:
        self.colours = colours
        self.width = width

    def __call__(self, _logger: Any, method: str, event_dict: dict) -> str:
        fields = dict(event_dict)
        level = str(fields.pop("level", method))
        stamp = _local_time(fields.pop("ts", None))
        event = str(fields.pop("event", ""))
        sentence, details = TEMPLATES.get(event, plain)(event, fields)
        word, colour = _LEVEL_WORDS.get(level, ("", ""))
        width = self.width or shutil.get_terminal_size((100, 24)).columns or 100
        head = _wrapped(word + sentence, width, first=len(INDENT))
        if word and self.colours:
            head = colour + word + _RESET + head[len(word) :]
        lines = [(self._dim(stamp) if self.colours else stamp) + "  " + head]
        lines += summary(details, width)
        return "\n".join(lines)

    def _dim(self, text: str) -> str:
        return _DIM + text + _RESET


def summary(details: Details, width: int = 100) -> list[str]:
    """``details`` as aligned lines under a sentence: the labels in one column, the values in the next."""
    if not details:
        return []
    column = max(len(label) for label, _ in details) + 2
    out = []
    for label, value in details:
        text = _wrapped(value, width, first=len(INDENT) + column)
        out.append(f"{INDENT}{label:<{column}}{text}")
    return out


# -- the wording of each event ---------------------------------------------------------------------


def plain(event: str, fields: dict) -> tuple[str, Details]:
    """The event's sentence, what explains it after a colon, the rest as details."""
    explained = next((key for key in EXPLAINING if fields.get(key) not in (None, "")), None)
    sentence = _capitalised(event)
    if explained is not None:
        why = value_text(fields.pop(explained))
        # One colon a sentence: a sentence that has one already takes the explanation in brackets.
        sentence = f"{sentence} ({why})" if ":" in sentence else f"{sentence.rstrip('.')}: {why}"
    details = [(label_of(key), value_text(value)) for key, value in fields.items()]
    return _ended(sentence), details


def run_started(_event: str, fields: dict) -> tuple[str, Details]:
    rows, to_dial = fields.pop("rows", None), fields.pop("to_dial", None)
    campaign = fields.pop("campaign", None)
    sentence = f"Run started: campaign {campaign}, {_rows(rows)} in the list, {to_dial} to dial now."
    details: Details = []
    if "results" in fields:
        details.append(("results", str(fields.pop("results"))))
    if "concurrency" in fields:
        number, _, how = str(fields.pop("concurrency")).partition(" ")
        details.append(("in flight", f"{number} requests at most {how}".strip()))
    already = fields.pop("already", None)
    if isinstance(already, dict):
        settled = [(key, n) for key, n in already.items() if key != "not_dialed" and n]
        if settled:
            details.append(("already", ", ".join(f"{label_of(k)} {n}" for k, n in settled)))
    details += [(label_of(key), value_text(value)) for key, value in fields.items()]
    return sentence, details


def run_ended(_event: str, fields: dict) -> tuple[str, Details]:
    status, meaning = fields.pop("status", None), fields.pop("meaning", "")
    sentence = _ended(f"Run ended with exit status {status}: {meaning}")
    return sentence, count_table(fields)


def count_table(fields: dict) -> Details:
    """The row states in the progress display's order, then suppressed and the total, numbers aligned."""
    present = [(label, fields.pop(key)) for key, label in COUNTS if key in fields]
    if "suppressed" in fields:
        present.append(("suppressed", fields.pop("suppressed")))
    details: Details = []
    if present:
        total = sum(int(n) for _, n in present)
        digits = len(str(total))
        details = [(label, f"{n:>{digits}}") for label, n in present]
        details.append(("total", str(total)))
    details += [(label_of(key), value_text(value)) for key, value in fields.items()]
    return details


def run_stopped(_event: str, fields: dict) -> tuple[str, Details]:
    status, reason = fields.pop("status", None), fields.pop("reason", "")
    sentence = _ended(f"Run stopped with exit status {status}" + (f": {reason}" if reason else ""))
    return sentence, [(label_of(key), value_text(value)) for key, value in fields.items()]


def calls_this_run(_event: str, fields: dict) -> tuple[str, Details]:
    known = sum(int(fields.get(key, 0)) for key in ("answered", "no_answer", "busy", "failed"))
    sentence = f"Calls this run: {fields.pop('answer_rate', '-')} answered"
    sentence += f" (of {known} whose outcome the switch told)." if known else "."
    fields.pop("outcomes", None)
    again = fields.pop("called_again", 0)
    details = [(label_of(key), str(value)) for key, value in fields.items()]
    if again:
        details.append(("called again", f"{again} ([recycle])"))
    return sentence, details


def progress(_event: str, fields: dict) -> tuple[str, Details]:
    counts = ", ".join(f"{label} {fields.get(key, 0)}" for key, label in COUNTS[:4])
    doing = fields.get("doing")
    sentence = (
        f"{fields.get('done')} of {fields.get('total')} rows done ({counts}), {fields.get('left')} left"
        + (f"; {doing}" if doing else "")
    )
    return _ended(sentence), []


TEMPLATES: dict[str, Callable[[str, dict], tuple[str, Details]]] = {
    "run started": run_started,
    "run ended": run_ended,
    "run stopped": run_stopped,
    "progress": progress,
    "calls this run": calls_this_run,
}


# -- words and values ------------------------------------------------------------------------------


def label_of(key: str) -> str:
    return LABELS.get(key, key.replace("_", " "))


def value_text(value: Any) -> str:
    """A value as a person writes it: no brackets, braces or quotes."""
    if isinstance(value, dict):
        return ", ".join(f"{label_of(str(k))} {value_text(v)}" for k, v in value.items()) or "none"
    if isinstance(value, list | tuple | set | frozenset):
        return ", ".join(value_text(v) for v in value) or "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    if value is None:
        return "none"
    return str(value)


def _rows(n: Any) -> str:
    return "1 row" if n == 1 else f"{n} rows"


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def _ended(sentence: str) -> str:
    return sentence if sentence.endswith((".", "!", "?")) else sentence + "."


def _wrapped(text: str, width: int, *, first: int) -> str:
    """``text`` folded to the terminal's width, each further line starting where the first did."""
    room = max(40, width - first - 1)
    lines = textwrap.wrap(text, room, break_long_words=False, break_on_hyphens=False) or [""]
    return ("\n" + " " * first).join(lines)


def _local_time(ts: Any) -> str:
    if isinstance(ts, str):
        try:
            return datetime.fromisoformat(ts.replace("Z", "+00:00")).astimezone().strftime(TIME)
        except ValueError:
            pass
    return datetime.now().strftime(TIME)
