"""Words never to be written anywhere: the password (and a login token), in every form an answer
from the switch could echo them (as they are, JSON-escaped, or percent-encoded in a URL).

Whatever the switch sends back (a message, an error naming the request) passes through here before
it reaches the results file, the checkpoint, a report or the terminal. Words shorter than
``SHORTEST`` are not scrubbed: hiding every "abc" in a results file would destroy it, and a password
that short is no secret.
"""

from __future__ import annotations

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
