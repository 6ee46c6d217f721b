"""The switch login (dialer/campaign/credentials.py): from the environment or a password file, never a
flag. A password file holds the password alone: one trailing line ending and a byte-order mark (as
editors add) are not part of it; a second line that is not empty is an error, not a guess."""

from __future__ import annotations

from pathlib import Path

import pytest

from dialer.campaign.credentials import Credentials, credentials, read_password_file
from dialer.campaign.file import load_campaign
from dialer.campaign.values import CampaignError
from tests.helpers.files import numbered_list

BOM = b"\xef\xbb\xbf"


def password_file(tmp_path: Path, content: bytes) -> Path:
    path = tmp_path / "password"
    path.write_bytes(content)
    return path


@pytest.mark.parametrize(
    ("content", "password"),
    [
        (b"s3cret", "s3cret"),
        (b"s3cret\n", "s3cret"),
        (b"s3cret\r\n", "s3cret"),
        (BOM + b"s3cret\n", "s3cret"),
        (BOM + b"s3cret", "s3cret"),
        (b"s3cret\n\n", "s3cret"),  # an empty second line holds nothing to guess about
        (b"  spaced out  \n", "  spaced out  "),  # the whole first line: spaces are the password's
        ("pässwörd\n".encode(), "pässwörd"),
        (b"s3cret #not a comment\n", "s3cret #not a comment"),
    ],
    ids=["bare", "newline", "crlf", "bom", "bom-bare", "blank-second-line", "spaces", "utf8", "hash"],
)
def test_what_a_password_file_holds(tmp_path, content, password):
    assert read_password_file(password_file(tmp_path, content)) == password


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b"s3cret\nother\n", "has more than one line; it must hold the password alone"),
        (b"user\ns3cret", "has more than one line"),
        (b"s3cret\n\nafter a blank line\n", "has more than one line"),
        (b"", "the password file is empty"),
        (b"\n", "the password file is empty"),
        (BOM + b"\r\n", "the password file is empty"),
        (b"\xff\xfes\x00", "the password file is not UTF-8 text"),
    ],
    ids=["second-line", "user-then-password", "after-blank", "empty", "newline-only", "bom-crlf", "utf16"],
)
def test_a_password_file_that_is_not_one_password_is_refused_naming_the_file(tmp_path, content, says):
    path = password_file(tmp_path, content)
    with pytest.raises(CampaignError) as refused:
        read_password_file(path)
    message = str(refused.value)
    assert message.startswith(f"{path}: ") and says in message
    assert "s3cret" not in message and "other" not in message  # no line of it is repeated


def test_a_missing_or_unreadable_password_file_is_refused(tmp_path):
    with pytest.raises(CampaignError, match=r"missing: cannot read the password file: No such file"):
        read_password_file(tmp_path / "missing")
    with pytest.raises(CampaignError, match=r"cannot read the password file: Is a directory"):
        read_password_file(tmp_path)


def campaign_with_auth(tmp_path: Path, auth: str) -> Path:
    numbered_list(tmp_path / "list.csv", 1)
    toml = tmp_path / "c.toml"
    toml.write_text(f'[campaign]\nlist = "list.csv"\n[auth]\n{auth}\n', encoding="utf-8")
    return toml


def test_the_campaign_names_the_file_relative_to_itself(tmp_path):
    (tmp_path / "secrets").mkdir()
    password_file(tmp_path / "secrets", b"s3cret\n")
    campaign = load_campaign(campaign_with_auth(tmp_path, 'password_file = "secrets/password"'))
    login = credentials(campaign, {"ENSWITCH_USERNAME": "campaigns", "ENSWITCH_PASSWORD": "not this"})
    assert login == Credentials("campaigns", "s3cret")  # the file wins over the variable


def test_variables_the_campaign_names(tmp_path):
    campaign = load_campaign(
        campaign_with_auth(tmp_path, 'username_env = "PBX_USER"\npassword_env = "PBX_PASS"')
    )
    assert credentials(campaign, {"PBX_USER": "u", "PBX_PASS": "p4ss"}) == Credentials("u", "p4ss")
    with pytest.raises(CampaignError, match="^set PBX_PASS to the Enswitch API password$"):
        credentials(campaign, {"PBX_USER": "u", "ENSWITCH_PASSWORD": "p4ss"})
    with pytest.raises(CampaignError, match="^set PBX_USER to the Enswitch API username$"):
        credentials(campaign, {"PBX_PASS": "p4ss"})


@pytest.mark.parametrize(
    "auth",
    [
        'username_env = ""',
        "password_env = 5",
        'password_env = "A=B"',
        'password_file = ""',
        "password_file = 1",
    ],
)
def test_what_is_not_a_variable_name_or_a_file_name_is_refused(tmp_path, auth):
    with pytest.raises(
        CampaignError, match=r"c\.toml: \[auth\] (username_env|password_env|password_file) = "
    ):
        load_campaign(campaign_with_auth(tmp_path, auth))


def test_the_password_never_shows_in_a_repr():
    login = Credentials("campaigns", "s3cret")
    assert "s3cret" not in repr(login) and "s3cret" not in str(login)


def test_the_real_environment_is_read_when_none_is_given(tmp_path, monkeypatch):
    monkeypatch.setenv("ENSWITCH_USERNAME", "campaigns")
    monkeypatch.setenv("ENSWITCH_PASSWORD", "s3cret")
    campaign = load_campaign(numbered_list(tmp_path / "list.csv", 1))
    assert credentials(campaign) == Credentials("campaigns", "s3cret")
