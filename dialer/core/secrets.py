"""Words never to be written anywhere: the password (and a login token), in every form an answer
from the switch could echo them (as they are, JSON-escaped, or percent-encoded in a URL).

Whatever the switch sends back (a message, an error naming the request) passes through here before
it reaches the results file, the checkpoint, a report or the terminal. Words shorter than
``SHORTEST`` are not scrubbed: hiding every "abc" in a results file would destroy it, and a password
that short is no secret.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, quote_plus

import orjson

HIDDEN = "<hidden>"
SHORTEST = 4


class Secrets:
    def __init__(self, *words: str) -> None:
        self._text: list[str] = []
        self._bytes: list[bytes] = []
        for word in words:
            self.add(word)

    def add(self, word: str) -> None:
        if len(word) < SHORTEST or word in self._text:
            return
        forms = {word, orjson.dumps(word).decode()[1:-1], quote(word, safe=""), quote_plus(word)}
        for form in sorted(forms, key=len, reverse=True):  # the longest first: one may hold another
            self._text.append(form)
            self._bytes.append(form.encode())

    def __bool__(self) -> bool:
        return bool(self._text)

    def scrub_bytes(self, data: bytes) -> bytes:
        for form in self._bytes:
            if form in data:
                data = data.replace(form, HIDDEN.encode())
        return data

    def scrub_text(self, text: str) -> str:
        for form in self._text:
            if form in text:
                text = text.replace(form, HIDDEN)
        return text

    def scrub_json_lines(self, data: bytes) -> bytes:
        """JSON lines with the secrets taken out of their strings, each line still valid JSON.

        Replacing bytes in rendered JSON can break it: a match may begin inside an escape (a newline
        written as backslash and "n", then a password that starts with "n") and leave a backslash
        before "<hidden>", a line the next run cannot read. So a line that holds a secret is read,
        scrubbed string by string and written again; lines without one (nearly all) are left as they
        are, unread."""
        if not any(form in data for form in self._bytes):
            return data
        out = []
        for line in data.split(b"\n"):
            if any(form in line for form in self._bytes):
                try:
                    line = orjson.dumps(self._scrub_value(orjson.loads(line)))
                except orjson.JSONDecodeError:
                    line = self.scrub_bytes(line)
            out.append(line)
        return b"\n".join(out)

    def _scrub_value(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.scrub_text(value)
        if isinstance(value, dict):
            return {self.scrub_text(k): self._scrub_value(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self._scrub_value(v) for v in value]
        return value
