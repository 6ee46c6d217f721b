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
from dialer.campaign.values import Bounds, duration
from dialer.commands.console import console
from dialer.commands.list_flags import list_options, list_overrides
from dialer.core import exitcodes
from dialer.core.secrets import Secrets
from dialer.run import eventloop
from dialer.run.session import RunOptions, Session
from dialer.windows import WindowError, parse_window_flags

MAX_DURATION = Bounds(0, 366 * 86_400, low_allowed=False, unit="seconds")
EXIT_HELP = "\n".join(f"  {code}  {text}" for code, text in exitcodes.DESCRIPTIONS.items())


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


@click.command("run")
@click.argument("source", type=click.Path(path_type=Path))
@click.option("--url", help="calls/make address, or the switch's base address.")
@click.option("--results", type=click.Path(path_type=Path), help="Results file (JSON lines, the journal).")
@click.option("--rate", type=float, help="Requests per period at most (default: no limit).")
@click.option("--period", type=float, help="Pacing period in seconds (default 1).")
@click.option(
    "--concurrency",
    metavar="auto|N",
    help="Requests in flight at most; auto (default): enough for the rate with the longest wait and delay.",
)
@click.option("--wait", type=int, help="calls/make wait: seconds the switch waits to return the callid.")
@click.option(
    "--stagger",
    type=click.Choice(["none", "delay"]),
    help="delay: send up to a period early, each with the delay that places its call at its slot.",
)
@click.option("--attempts", type=int, help="Attempts per row when nothing was placed (503, 429...).")
@list_options
@click.option("--redial-unknown", is_flag=True, help="Also redial rows whose outcome is unknown (logged).")
@click.option(
    "--no-reconcile",
    is_flag=True,
    help="Do not ask the switch's call lists about rows whose outcome is unknown: they stay unknown.",
)
@click.option(
    "--no-outcomes",
    is_flag=True,
    help="Do not ask the switch what became of each call (answered, busy...); no [recycle] then.",
)
@click.option(
    "--wait-for-recycle",
    is_flag=True,
    help="With [recycle]: sleep until the next call to make again is due instead of exiting.",
)
@click.option("--window", "window_hours", help="Calling hours, e.g. 09:00-17:00.")
@click.option("--days", help="Calling days, e.g. mon-fri.")
@click.option("--timezone", help="Time zone of the calling window, e.g. Europe/London.")
@click.option("--wait-for-window", is_flag=True, help="Sleep until the window opens instead of exiting.")
@click.option("--until", help="Claim no row after this time of day (HH:MM, window time zone).")
@click.option("--max-duration", help="Claim no row after this long, e.g. 45m or 2h.")
@click.option("--quiet", "-q", is_flag=True, help="No progress or summary; warnings and errors only.")
def run(source: Path, **flags: object) -> None:
    """Dial every row of SOURCE (a campaign .toml, or a CSV/xlsx/ods list).

    Credentials come from ENSWITCH_USERNAME and ENSWITCH_PASSWORD (or what the campaign names).
    Run the same command again after anything went wrong: it carries on where it stopped.

    \b
    Exit status:
    """
    secrets = Secrets()
    log = console(quiet=bool(flags["quiet"]), secrets=secrets)
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
            progress_bar=sys.stderr.isatty(),
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


run.help = (run.help or "") + "\n" + EXIT_HELP
