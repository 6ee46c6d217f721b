"""A number's canonical form, for matching only: what is sent is what the customer wrote.

``(212) 555-1234``, ``212.555.1234`` and ``+12125551234`` are one number: after cleaning, all
read as ``+12125551234``. phonenumbers costs tens of microseconds a number, so each distinct number is
canonicalised once, and the common shapes (``+`` and digits; 10 or 1+10 digits in a NANP region)
take a vectorised path that gives what phonenumbers would.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import phonenumbers

from dialer.calllist.values import distinct

_E164 = r"\+[1-9][0-9]{6,14}"
_NANP = r"(?:\+?1)?[2-9][0-9]{2}[2-9][0-9]{6}"
_NOT_DIGIT = re.compile(r"[^0-9]")


def known_region(region: str) -> bool:
    return region.upper() in phonenumbers.SUPPORTED_REGIONS


def canonical_numbers(numbers: pd.Series, region: str) -> pd.Series:
    """Canonical forms of cleaned numbers (digits, ``*``, ``#``, leading ``+``), same index.

    E.164 when phonenumbers reads the number as possible in ``region``; else its digits.
    A value holding ``*`` or ``#`` is a feature code, not a telephone number, and stays as it is.
    """
    region = region.upper()
    codes, u = distinct(numbers)
    out = np.empty(len(u), dtype=object)
    done = np.zeros(len(u), dtype=bool)
    if phonenumbers.country_code_for_region(region) == 1:
        nanp = u.str.fullmatch(_NANP).to_numpy(dtype=bool)
        length = u.str.len().to_numpy()
        for size, prefix in ((10, "+1"), (11, "+"), (12, "")):
            shape = np.flatnonzero(nanp & (length == size))
            out[shape] = (prefix + u.iloc[shape]).to_numpy(dtype=object)
        done |= nanp
    rest = np.flatnonzero(~done)
    e164 = u.iloc[rest].str.fullmatch(_E164).to_numpy(dtype=bool)
    out[rest[e164]] = u.iloc[rest[e164]].to_numpy(dtype=object)
    rest = rest[~e164]
    out[rest] = [canonical_number(v, region) for v in u.iloc[rest]]
    return pd.Series(out if codes is None else out.take(codes), index=numbers.index, dtype="str")


def canonical_number(number: str, region: str) -> str:
    """One number through phonenumbers (the slow path)."""
    if "*" in number or "#" in number:
        return number
    try:
        parsed = phonenumbers.parse(number, region)
    except phonenumbers.NumberParseException:
        return _NOT_DIGIT.sub("", number)
    if not phonenumbers.is_possible_number(parsed):
        return _NOT_DIGIT.sub("", number)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
