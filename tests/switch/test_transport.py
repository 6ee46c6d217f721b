"""The form body calls/make is sent: byte for byte what the standard library would send."""

from __future__ import annotations

import random
import string
from urllib.parse import quote, urlencode

from dialer.switch.transport import encode_form

ALPHABET = string.ascii_letters + string.digits + "_.~-" + " &=;+%/?#'\"<>é€ß\t"


def test_encode_form_is_urlencode_with_every_reserved_byte_escaped():
    """The fast path for plain pairs and the quoting path agree with urlencode on awkward forms."""
    rng = random.Random(20261126)
    for _ in range(5000):
        form = [
            (
                "".join(rng.choices(ALPHABET, k=rng.randint(0, 6))),
                "".join(rng.choices(ALPHABET, k=rng.randint(0, 9))),
            )
            for _ in range(rng.randint(1, 4))
        ]
        assert encode_form(form) == urlencode(form, quote_via=quote, safe="").encode("ascii"), form


def test_a_value_holding_the_separators_never_splits_the_form():
    body = encode_form([("snumber", "2125551234"), ("callerid2", "a=b&c=d"), ("x=y", "z")])
    assert body == b"snumber=2125551234&callerid2=a%3Db%26c%3Dd&x%3Dy=z"
