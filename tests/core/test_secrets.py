"""Words never written (dialer/core/secrets.py): the password and the token in every form an answer can
echo them (as they are, JSON-escaped, percent-encoded), scrubbed from text and from results lines,
which stay valid JSON whatever the secret is next to."""

from __future__ import annotations

from urllib.parse import quote, quote_plus

import orjson
import pytest

from dialer.core.secrets import HIDDEN, SHORTEST, Secrets

PASSWORD = 'p@ss w/rd"&;é\\'


@pytest.mark.parametrize(
    "form",
    [PASSWORD, orjson.dumps(PASSWORD).decode()[1:-1], quote(PASSWORD, safe=""), quote_plus(PASSWORD)],
    ids=["as-is", "json", "percent", "plus"],
)
def test_every_form_of_the_password_is_scrubbed(form):
    secrets = Secrets(PASSWORD)
    text = f"refused: auth_password={form}; try again"
    assert secrets.scrub_text(text) == f"refused: auth_password={HIDDEN}; try again"
    assert secrets.scrub_bytes(text.encode()) == f"refused: auth_password={HIDDEN}; try again".encode()


def test_a_token_added_later_is_scrubbed_too():
    secrets = Secrets("demo-secret")
    secrets.add("tok_0123456789abcdef")
    assert secrets.scrub_text("demo-secret tok_0123456789abcdef") == f"{HIDDEN} {HIDDEN}"


def test_words_too_short_to_be_secrets_are_left_alone():
    """Hiding every "abc" would destroy a results file; a password that short is no secret."""
    secrets = Secrets("x" * (SHORTEST - 1), "")
    assert not secrets
    assert secrets.scrub_text("xxx") == "xxx"
    assert Secrets("x" * SHORTEST)


def test_every_occurrence_is_scrubbed_and_the_rest_kept():
    secrets = Secrets("hunter22")
    assert secrets.scrub_text("hunter22hunter22 and hunter2") == f"{HIDDEN}{HIDDEN} and hunter2"


def line(**fields: object) -> bytes:
    return orjson.dumps({"event": "result", **fields})


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("nabcd", "x\nabcd then nabcd"),  # a newline's escape, then the rest of the password
        ("1fpass", "unit separator \x1fpass, 1fpass"),  # the escape \u001f then "pass"
        ('abcd"', 'abcd" and abcd"'),  # the password's own quote, escaped
        ("abcd\\", "abcd\\n is not abcd\\"),  # a backslash that begins an escape
    ],
    ids=["after-n-escape", "after-u-escape", "quote", "backslash"],
)
def test_results_lines_stay_valid_json_whatever_the_secret_is_next_to(password, message):
    """A byte replace could leave a backslash before "<hidden>" (not JSON): the next run could not
    read its own results file. Lines holding a secret are scrubbed string by string instead."""
    secrets = Secrets(password)
    data = line(row=2, message=message, columns={"note": message}) + b"\n" + line(row=3, message="fine")
    scrubbed = secrets.scrub_json_lines(data)
    first, second = scrubbed.split(b"\n")
    parsed = orjson.loads(first)
    assert password not in parsed["message"] and password not in parsed["columns"]["note"]
    assert parsed["message"] == message.replace(password, HIDDEN)
    assert parsed["row"] == 2
    assert second == line(row=3, message="fine")  # a line without a secret is left byte for byte


@pytest.mark.parametrize(("password", "message"), [("nabcd", "x\nabcd"), ("1fpass", "\x1fpass")])
def test_why_a_byte_replace_is_not_enough(password, message):
    """The failure the line-by-line scrub exists for: these secrets, replaced as bytes, break JSON."""
    with pytest.raises(orjson.JSONDecodeError):
        orjson.loads(Secrets(password).scrub_bytes(line(message=message)))


def test_a_line_that_is_not_json_is_still_scrubbed():
    secrets = Secrets("hunter22")
    assert secrets.scrub_json_lines(b'{"torn": "hunter22') == b'{"torn": "' + HIDDEN.encode()


def test_lines_without_a_secret_are_returned_as_they_are():
    secrets = Secrets("hunter22")
    data = line(row=2) + b"\n" + line(row=3)
    assert secrets.scrub_json_lines(data) is data
    assert Secrets().scrub_json_lines(data) is data
