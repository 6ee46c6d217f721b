"""A campaign's values one at a time (dialer/campaign/values.py): numbers within their bounds (never nan,
inf, zero where zero makes no sense, or absurd), durations, the switch's address (http(s) with a host,
never a login in it) and unknown keys with the closest known one as a hint."""

from __future__ import annotations

import pytest

from dialer.campaign import values as v
from dialer.campaign.values import Bounds, CampaignError, duration, hint, known_keys, number, switch_url

NOT_NUMBERS = [float("nan"), float("inf"), float("-inf"), True, "5", None, [5]]

# Each bound: values it refuses (beyond not-numbers) and the edges it takes.
BOUNDS = {
    "rate": (v.RATE, [0, -1, 100_001, 1e12], [0.001, 1, 100_000]),
    "period": (v.PERIOD, [0, -1, 0.0005, 86_401], [0.001, 1, 86_400]),
    "concurrency": (v.CONCURRENCY, [0, -1, 2.5, 100_001], [1, 100_000]),
    "attempts": (v.ATTEMPTS, [0, -1, 1.5, 101, 1e9], [1, 100]),
    "backoff": (v.BACKOFF, [0, -1, 3_601], [0.01, 3_600]),
    "max_backoff": (v.MAX_BACKOFF, [0, -1, 86_401], [0.01, 86_400]),
    "timeout_margin": (v.TIMEOUT_MARGIN, [0, -0.5, 601], [0.1, 600]),
    "settle": (v.SETTLE, [-1, 3_601], [0, 3_600]),
    "first_look": (v.FIRST_LOOK, [-1, 86_401], [0, 86_400]),
    "give_up": (v.GIVE_UP, [0, 0.5, 7 * 86_400 + 1], [1, 7 * 86_400]),
    "outcome wait": (v.OUTCOME_WAIT, [-1, 86_401], [0, 86_400]),
    "recycle after": (v.RECYCLE_AFTER, [0, 0.5, 30 * 86_400 + 1], [1, 30 * 86_400]),
    "recycle attempts": (v.RECYCLE_ATTEMPTS, [0, 101, 2.5], [1, 100]),
}


@pytest.mark.parametrize("name", list(BOUNDS))
def test_each_bound_refuses_nonsense_and_takes_its_edges(name):
    bounds, refused, taken = BOUNDS[name]
    for value in [*NOT_NUMBERS, *refused]:
        with pytest.raises(
            CampaignError, match=rf"^c\.toml: \[x\] {name} = .* (is not a number|is out of range)"
        ):
            number(value, f"c.toml: [x] {name}", bounds)
    for value in taken:
        assert number(value, f"c.toml: [x] {name}", bounds) == value


def test_the_message_names_the_flag_or_the_key_and_says_what_to_give():
    with pytest.raises(CampaignError) as flag:
        number(float("nan"), "--rate", v.RATE)
    assert (
        str(flag.value)
        == "--rate nan is not a number: give a number above 0 and at most 100,000 requests per period"
    )
    with pytest.raises(CampaignError) as key:
        number(0, "c.toml: [pacing] period", v.PERIOD)
    assert str(key.value) == (
        "c.toml: [pacing] period = 0 is out of range: give a number at least 0.001 and at most 86,400 seconds"
    )
    with pytest.raises(CampaignError, match=r"give a whole number at least 1 and at most 100$"):
        number(1.5, "--attempts", v.ATTEMPTS)


def test_whole_numbers_come_back_as_ints():
    assert number(3.0, "--attempts", v.ATTEMPTS) == 3 and isinstance(
        number(3.0, "--attempts", v.ATTEMPTS), int
    )
    assert isinstance(number(2, "--period", v.PERIOD), float)


def test_bounds_describe_themselves():
    assert Bounds(0, 10, low_allowed=False, unit="s").describe() == "a number above 0 and at most 10 s"
    assert Bounds(1, 5, whole=True).describe() == "a whole number at least 1 and at most 5"


# -- durations --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90", 90), ("90s", 90), ("30m", 1800), ("2h", 7200), ("1h30m", 5400), (" 1.5h ", 5400), (45, 45)],
)
def test_durations(text, seconds):
    assert duration(text, "--max-duration", Bounds(0, 86_400, low_allowed=False)) == seconds


@pytest.mark.parametrize("text", ["", "nan", "inf", "5x", "-5m", "m", "1d", "h30"])
def test_what_is_not_a_duration_is_refused_naming_where(text):
    with pytest.raises(CampaignError, match=r"^--max-duration .* is not a duration such as 90s, 30m or 2h$"):
        duration(text, "--max-duration", Bounds(0, 86_400, low_allowed=False))


def test_a_duration_out_of_bounds_is_refused():
    with pytest.raises(CampaignError, match="out of range"):
        duration("0s", "--max-duration", Bounds(0, 86_400, low_allowed=False))
    with pytest.raises(
        CampaignError,
        match=r"c\.toml: \[recycle\] after = '0s' is out of range: give a number at least 1 "
        r"and at most 2,592,000 seconds",
    ):
        duration("0s", "c.toml: [recycle] after", v.RECYCLE_AFTER)


# -- the switch's address ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "url"),
    [
        ("https://pbx.example.com", "https://pbx.example.com/api/json/calls/make/"),
        ("https://pbx.example.com/", "https://pbx.example.com/api/json/calls/make/"),
        ("http://10.0.0.5:8089", "http://10.0.0.5:8089/api/json/calls/make/"),
        ("http://[::1]:8089/", "http://[::1]:8089/api/json/calls/make/"),
        ("https://pbx.example.com/api/json/calls/make", "https://pbx.example.com/api/json/calls/make/"),
        ("  https://pbx_01.lan/api/json/calls/make/ ", "https://pbx_01.lan/api/json/calls/make/"),
    ],
)
def test_switch_addresses_taken(given, url):
    assert switch_url(given, "--url") == url


@pytest.mark.parametrize(
    "given",
    [
        "ftp://pbx.example.com",
        "pbx.example.com",
        "https://",
        "https:///api/json/",
        "file:///etc/passwd",
        "",
        8089,
    ],
)
def test_what_is_not_an_http_address_with_a_host_is_refused(given):
    with pytest.raises(CampaignError, match=r"^--url .*is not a switch's address: give http:// or https://"):
        switch_url(given, "--url")


@pytest.mark.parametrize(
    "given",
    [
        "https://pbx example.com/",
        "https://pbx.example.com:99999/",
        "https://pbx.example.com:port/",
        "https://pbx.example.com:0/",
        "https://pbx.example.com/#section",
    ],
    ids=["space", "port-too-big", "port-word", "port-0", "fragment"],
)
def test_a_malformed_address_is_refused(given):
    with pytest.raises(CampaignError, match=r"^--url "):
        switch_url(given, "--url")


@pytest.mark.parametrize(
    ("given", "says"),
    [
        ("https://campaigns:hunter22@pbx.example.com", "carries a user name or password"),
        ("https://campaigns@pbx.example.com", "carries a user name or password"),
        ("https://:hunter22@pbx.example.com", "carries a user name or password"),
        ("campaigns:hunter22@pbx.example.com", "carries a user name or password"),
        ("https://pbx.example.com/api/json/calls/make/?auth_password=hunter22", "carries an auth_ field"),
        ("https://pbx.example.com/?AUTH_USERNAME=campaigns", "carries an auth_ field"),
        ("https://pbx.example.com/?x=1;auth_token=hunter22", "carries an auth_ field"),
        ("https://pbx.example.com/#auth_password=hunter22", "carries an auth_ field"),
    ],
)
def test_an_address_carrying_a_login_is_refused_without_repeating_it(given, says):
    """The login goes in each request's body, nowhere else; and the message never shows the password
    the address carried (it reaches a terminal and cron's mail)."""
    with pytest.raises(CampaignError) as refused:
        switch_url(given, "c.toml: [campaign] url")
    message = str(refused.value)
    assert message.startswith(f"c.toml: [campaign] url {says}") and "hunter22" not in message


# -- keys -------------------------------------------------------------------------------------------


def test_an_unknown_key_is_refused_with_the_closest_known_one():
    with pytest.raises(CampaignError) as refused:
        known_keys({"rate": 5, "perod": 1}, ["rate", "period"], "c.toml: [pacing]")
    assert (
        str(refused.value) == "c.toml: [pacing] has 'perod', which is not a setting (did you mean 'period'?)"
    )


def test_a_key_of_another_section_says_where_it_belongs():
    with pytest.raises(
        CampaignError, match=r"has 'rate', which is not a setting \(it belongs under \[pacing\]\)$"
    ):
        known_keys({"rate": 5}, ["list", "results"], "c.toml: [campaign]", {"rate": "pacing"})


def test_nothing_close_gives_no_hint():
    assert hint("zzzz", ["rate", "period"]) == ""
    with pytest.raises(CampaignError, match=r"has 'zzzz', which is not a setting$"):
        known_keys({"zzzz": 1}, ["rate"], "c.toml: [pacing]")
