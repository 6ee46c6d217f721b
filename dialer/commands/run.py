"""`dialer run`: dial a campaign's rows, paced, tracked, recorded and resumable.

Flags override the campaign file. No flag takes a password: it comes from the environment
(ENSWITCH_PASSWORD, or the variable or file the campaign names), so it never shows in `ps`.
"""

from __future__ import annotations

import re
import sys
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import click

from dialer.campaign.credentials import credentials
from dialer.campaign.file import CampaignError, load_campaign
from dialer.campaign.settings import DEFAULT_URL, Pacing, RetryPolicy
from dialer.campaign.values import Bounds, duration
from dialer.commands import help_text as h
from dialer.commands.console import FORMATS, console, human_console, is_terminal
from dialer.commands.help_text import exit_statuses, option
from dialer.commands.list_flags import list_options, list_overrides
from dialer.core import exitcodes
from dialer.core.secrets import Secrets
from dialer.run import eventloop
from dialer.run.session import RunOptions, Session
from dialer.windows import WindowError, parse_window_flags

MAX_DURATION = Bounds(0, 366 * 86_400, low_allowed=False, unit="seconds")


def parse_duration(text: str) -> float:
    """'90', '90s', '30m', '2h' or '1h30m' as seconds (--max-duration)."""
    try:
        return duration(text, "--max-duration", MAX_DURATION)
    except CampaignError as exc:
        raise click.BadParameter(str(exc)) from None


def parse_until(text: str, zone_name: str | None, now: datetime | None = None) -> datetime:
    """HH:MM today in the campaign's time zone (the machine's own when none is set)."""
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", text.strip())
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        raise click.BadParameter(f"{text!r} is not a time of day such as 17:30")
    zone = ZoneInfo(zone_name) if zone_name else datetime.now().astimezone().tzinfo
    local_now = (now or datetime.now(zone)).astimezone(zone)
    until = datetime.combine(local_now.date(), time(int(match[1]), int(match[2])), tzinfo=zone)
    return until if until > local_now - timedelta(seconds=1) else local_now


CAMPAIGN_ELSE = "campaign file, else {}"


def _default(value: object) -> str:
    return CAMPAIGN_ELSE.format(value)


@click.command("run", epilog=exit_statuses())
@click.argument("source", metavar="SOURCE", type=click.Path(path_type=Path))
@option(
    "--url",
    metavar=h.URL,
    show_default=_default(DEFAULT_URL),
    help="The switch: its base address (https://pbx.example.com) or the full calls/make address.",
)
@option(
    "--results",
    metavar=h.FILE,
    type=click.Path(dir_okay=False, path_type=Path),
    show_default=_default("LIST.results.jsonl beside the list"),
    help="The results file: every request and answer, one JSON line each; read to resume.",
)
@option(
    "--rate",
    metavar=h.N,
    type=float,
    show_default=_default("no limit"),
    help="At most N requests reach the switch in any --period (leave out for no limit).",
)
@option(
    "--period",
    metavar=h.SECONDS,
    type=float,
    show_default=_default(f"{Pacing().period:g}"),
    help="The pacing period, in seconds.",
)
@option(
    "--concurrency",
    metavar="auto|N",
    show_default=_default("auto"),
    help="Requests in flight at most; auto: enough for the rate with the longest wait and delay.",
)
@option(
    "--wait",
    metavar=h.SECONDS,
    type=int,
    show_default=_default("none sent"),
    help="How long the switch holds each request to return the call's id (calls/make's wait).",
)
@option(
    "--stagger",
    type=click.Choice(["none", "delay"]),
    show_default=_default("none"),
    help="With delay: send up to a period early, each with the delay that places its call on time.",
)
@option(
    "--attempts",
    metavar=h.N,
    type=int,
    show_default=_default(RetryPolicy().attempts),
    help="Attempts per row when nothing was placed (503, 429, no connection).",
)
@list_options
@option(
    "--redial-unknown",
    is_flag=True,
    help="Dial again the rows whose outcome is unknown (read the README's section first).",
)
@option(
    "--no-reconcile",
    is_flag=True,
    help="Do not ask the switch's call lists about rows whose outcome is unknown: they stay unknown.",
)
@option(
    "--no-outcomes",
    is_flag=True,
    help="Do not ask the switch what became of each call (answered, busy ...); no [recycle] then.",
)
@option(
    "--wait-for-recycle",
    is_flag=True,
    help="With [recycle]: sleep until the next call to make again is due, instead of exiting.",
)
@option(
    "--window",
    "window_hours",
    metavar=h.HOURS,
    show_default=_default("any time"),
    help="Calling hours, e.g. 09:00-17:00 or 09:00-12:00,13:00-20:00.",
)
@option("--days", metavar="DAYS", show_default=_default("every day"), help="Calling days, e.g. mon-fri.")
@option(
    "--timezone",
    metavar="ZONE",
    show_default="campaign file; needed with --window",
    help="The time zone of the calling window, e.g. Europe/London.",
)
@option("--wait-for-window", is_flag=True, help="Sleep until the window opens, instead of exiting.")
@option(
    "--until",
    metavar=h.TIME_OF_DAY,
    show_default="no limit",
    help="Claim no new row after this time of day (in the window's time zone).",
)
@option(
    "--max-duration",
    metavar=h.DURATION,
    show_default="no limit",
    help="Claim no new row after this long, e.g. 45m, 2h or 1h30m.",
)
@option(
    "--log-format",
    type=click.Choice(FORMATS),
    default="auto",
    show_default=True,
    help="How the console speaks: auto is sentences on a terminal, JSON lines elsewhere (cron).",
)
@option("--quiet", "-q", is_flag=True, help="No progress and no summary: warnings and errors only.")
def run(source: Path, **flags: object) -> None:
    """Dial every row of SOURCE: a campaign file (.toml) or a call list (.csv, .xlsx, .xls, .ods).

    Flags override the campaign file. The password comes from ENSWITCH_PASSWORD (or the variable
    or file the campaign names), never from a flag. Run the same command again after anything went
    wrong: it carries on where it stopped, and calls nobody twice.
    """
    secrets = Secrets()
    log_format = str(flags.pop("log_format"))
    log = console(quiet=bool(flags["quiet"]), secrets=secrets, log_format=log_format)
    try:
        window = parse_window_flags(
            flags.pop("window_hours"), flags.pop("days"), flags.pop("timezone"), flags["wait_for_window"]
        )
        max_duration = flags.pop("max_duration")
        until = flags.pop("until")
        flags["reconcile"] = False if flags.pop("no_reconcile") else None
        flags["outcomes"] = False if flags.pop("no_outcomes") else None
        options_flags = {
            k: flags.pop(k) for k in ("redial_unknown", "wait_for_window", "wait_for_recycle", "quiet")
        }
        lists = list_overrides(
            *(flags.pop(k) for k in ("sheet", "encoding", "delimiter", "do_not_call", "person"))
        )
        campaign = load_campaign(source, {**flags, **lists, "window": window})
        creds = credentials(campaign)
        secrets.add(creds.password)
        options = RunOptions(
            **options_flags,
            until=parse_until(until, campaign.window.get("timezone")) if until else None,
            max_duration=parse_duration(max_duration) if max_duration else None,
            progress_bar=human_console(sys.stderr, log_format) and is_terminal(sys.stderr),
        )
    except (CampaignError, WindowError, click.BadParameter) as exc:
        log.error("bad input", detail=str(exc.message if isinstance(exc, click.BadParameter) else exc))
        sys.exit(exitcodes.BAD_INPUT)
    try:
        loop = eventloop.chosen_loop()
    except eventloop.EventLoopError as exc:
        log.error("bad input", detail=str(exc))
        sys.exit(exitcodes.BAD_INPUT)
    sys.exit(eventloop.run(Session(campaign, creds, options, log, secrets=secrets).run(), loop))
