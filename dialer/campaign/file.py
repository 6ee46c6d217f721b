"""A campaign: which list, which switch, how fast, when. From a TOML file, or built for a bare list.

Command-line flags override the file. Every setting is checked where it is read, against what the
file or flag that gave it is called, so a mistake is reported as "camp.toml: [pacing] rate = nan"
or "--rate nan", and a setting or section nobody knows is refused with the closest known name.
Nothing here touches the network or the results file.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import replace
from pathlib import Path
from typing import Any

from dialer.calllist import persons
from dialer.calllist.model import ListOptions
from dialer.calllist.reading import SPREADSHEET_SUFFIXES
from dialer.calllist.values import check_value
from dialer.campaign import values as v
from dialer.campaign.settings import DEFAULT_URL, Campaign, Outcomes, Pacing, Reconcile, Recycle, RetryPolicy
from dialer.campaign.values import CampaignError, hint, known_keys, number, switch_url
from dialer.core.params import MAX_WAIT, PARAMETERS, Kind
from dialer.windows import KEYS as WINDOW_KEYS

__all__ = ["CampaignError", "load_campaign", "parse_concurrency"]

LIST_SUFFIXES = {".csv", ".txt", ".tsv", ".xlsx", ".xlsm", ".xls", ".ods"}
SECTIONS: dict[str, tuple[str, ...] | None] = {  # None: the section's keys are checked where read
    "campaign": ("name", "list", "results", "url", "timeout_margin", "person"),
    "auth": ("username_env", "password_env", "password_file"),
    "pacing": ("rate", "period", "concurrency", "stagger"),
    "retry": ("attempts", "backoff", "max_backoff"),
    "reconcile": ("enabled", "settle"),
    "outcomes": ("enabled", "first_look", "give_up", "wait"),
    "recycle": ("statuses", "after", "attempts", "per_24h"),
    "list": ("sheet", "encoding", "delimiter", "default_region", "do_not_call"),
    "defaults": None,
    "columns": None,
    "window": WINDOW_KEYS,
}
# Which section a key belongs in, for the hint given when it is found in another (or in none).
OWNERS: dict[str, str] = {
    key: name for name, keys in reversed(SECTIONS.items()) if keys is not None for key in keys
} | {name: "defaults" for name in PARAMETERS}  # wait, delay...: what calls/make is sent


def load_campaign(source: Path, overrides: dict[str, Any] | None = None) -> Campaign:
    """Read SOURCE (a campaign TOML or a bare CSV/spreadsheet list) and apply flag overrides.

    ``overrides`` keys: url, results, rate, period, concurrency ("auto" or a number), stagger, wait,
    attempts, sheet, encoding, delimiter, do_not_call (list of paths), window (dict merged into
    [window]), reconcile (bool), reconcile_settle (seconds). A value of None means "not given".
    """
    source = Path(source)
    if not source.exists():
        raise CampaignError(f"{source}: no such file")
    if source.suffix.lower() == ".toml":
        campaign = _from_toml(source)
    elif source.suffix.lower() in LIST_SUFFIXES:
        campaign = Campaign(
            name=source.stem,
            source=source,
            list_path=source,
            results=source.with_name(source.stem + ".results.jsonl"),
        )
    else:
        raise CampaignError(
            f"{source}: not a campaign (.toml) or a call list ({', '.join(sorted(LIST_SUFFIXES))})"
        )
    campaign = _apply_overrides(campaign, {k: val for k, val in (overrides or {}).items() if val is not None})
    _check_together(campaign)
    # The results file is known by what it is: through a symlink, the file it points at, so that the
    # caches beside it and every path that reaches it are one.
    return replace(campaign, results=Path(os.path.realpath(campaign.results)))


def _from_toml(path: Path) -> Campaign:
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise CampaignError(f"{path}: cannot read campaign file: {exc}") from None
    for name, value in doc.items():
        if name in OWNERS and not isinstance(value, dict):
            raise CampaignError(
                f"{path}: {name!r} is outside any section: it belongs under [{OWNERS[name]}] "
                "(a setting before the first [section] line is read as none)"
            )
        if name not in SECTIONS:
            raise CampaignError(
                f"{path}: [{name}] is not a section of a campaign file{hint(name, SECTIONS)} "
                f"(sections: {', '.join(SECTIONS)})"
            )
    tables = {name: _table(doc, name, path) for name in SECTIONS}
    for name, known in SECTIONS.items():
        if known is not None:
            known_keys(tables[name], known, f"{path}: [{name}]", OWNERS)
    base = Path(os.path.normpath(path.parent))
    head, auth = tables["campaign"], tables["auth"]
    if "list" not in head:
        raise CampaignError(f"{path}: [campaign] needs 'list', the call list to dial")
    results = head.get("results")
    campaign = Campaign(
        name=str(head.get("name", path.stem)),
        source=path,
        list_path=_under(base, head["list"]),
        results=_under(base, results) if results else path.with_name(path.stem + ".results.jsonl"),
        url=switch_url(head.get("url", DEFAULT_URL), f"{path}: [campaign] url"),
        list=_list_options(tables, base, path),
        pacing=_pacing(tables["pacing"], path),
        retry=_retry(tables["retry"], path),
        reconcile=_reconcile(tables["reconcile"], path),
        outcomes=_outcomes(tables["outcomes"], path),
        recycle=_recycle(tables["recycle"], path) if "recycle" in doc else Recycle(),
        timeout_margin=_optional(head, "timeout_margin", 10.0, f"{path}: [campaign]", v.TIMEOUT_MARGIN),
        username_env=_variable(auth, "username_env", "ENSWITCH_USERNAME", path),
        password_env=_variable(auth, "password_env", "ENSWITCH_PASSWORD", path),
        password_file=_password_file(auth, base, path),
        window=dict(tables["window"]),
    )
    _check_list_flags(campaign.list, campaign.list_path, f"{path}: [list]")
    return campaign


def _variable(auth: dict, key: str, default: str, path: Path) -> str:
    """The name of an environment variable [auth] names."""
    name = auth.get(key, default)
    if not isinstance(name, str) or not name.strip() or "=" in name:
        raise CampaignError(f"{path}: [auth] {key} = {name!r} is not the name of an environment variable")
    return name.strip()


def _password_file(auth: dict, base: Path, path: Path) -> Path | None:
    if "password_file" not in auth:
        return None
    value = auth["password_file"]
    if not isinstance(value, str) or not value.strip():
        raise CampaignError(f"{path}: [auth] password_file = {value!r} is not a file name")
    return _under(base, value)


def _optional(table: dict, key: str, default: float, where: str, bounds: v.Bounds) -> float:
    return number(table[key], f"{where} {key}", bounds) if key in table else default


def _pacing(t: dict, path: Path) -> Pacing:
    where = f"{path}: [pacing]"
    rate = t.get("rate")
    stagger = t.get("stagger", "none")
    if stagger not in ("none", "delay"):
        raise CampaignError(f"{where} stagger = {stagger!r} is not 'none' or 'delay'")
    return Pacing(
        rate=None if rate is None else _rate(rate, f"{where} rate"),
        period=_optional(t, "period", 1.0, where, v.PERIOD),
        concurrency=parse_concurrency(t.get("concurrency", "auto"), f"{where} concurrency"),
        stagger=stagger,
    )


def _rate(value: Any, where: str) -> float:
    """A rate: requests per period, above 0. No limit is said by leaving the rate out: a 0 (or a
    false) read as "no limit" would let a slip of the keyboard turn pacing off without a word."""
    if not isinstance(value, bool) and isinstance(value, int | float) and value == 0:
        flag = where.startswith("--")
        given, left_out = (
            (f"{where} {value:g}", "leave --rate out") if flag else (f"{where} = {value!r}", "leave rate out")
        )
        raise CampaignError(
            f"{given} would send nothing: give {v.RATE.describe()}, or {left_out} for no limit"
        )
    return number(value, where, v.RATE)


def _retry(t: dict, path: Path) -> RetryPolicy:
    where = f"{path}: [retry]"
    return RetryPolicy(
        attempts=int(_optional(t, "attempts", 3, where, v.ATTEMPTS)),
        backoff=_optional(t, "backoff", 1.0, where, v.BACKOFF),
        max_backoff=_optional(t, "max_backoff", 60.0, where, v.MAX_BACKOFF),
    )


def _reconcile(t: dict, path: Path) -> Reconcile:
    enabled = t.get("enabled", True)
    if not isinstance(enabled, bool):
        raise CampaignError(f"{path}: [reconcile] enabled = {enabled!r} is not true or false")
    return Reconcile(enabled=enabled, settle=_optional(t, "settle", 10.0, f"{path}: [reconcile]", v.SETTLE))


def _outcomes(t: dict, path: Path) -> Outcomes:
    where = f"{path}: [outcomes]"
    enabled = t.get("enabled", True)
    if not isinstance(enabled, bool):
        raise CampaignError(f"{where} enabled = {enabled!r} is not true or false")
    given = {key: v.duration(t[key], f"{where} {key}", bounds) for key, bounds in _OUTCOME_TIMES if key in t}
    return Outcomes(enabled=enabled, **given)


_OUTCOME_TIMES = (("first_look", v.FIRST_LOOK), ("give_up", v.GIVE_UP), ("wait", v.OUTCOME_WAIT))


def _recycle(t: dict, path: Path) -> Recycle:
    """[recycle]: present (even empty) means on, with the defaults for what it leaves out."""
    where = f"{path}: [recycle]"
    statuses = t.get("statuses", list(Recycle.statuses))
    allowed = ("no-answer", "busy", "failed")
    if not isinstance(statuses, list) or not statuses or any(st not in allowed for st in statuses):
        raise CampaignError(
            f"{where} statuses = {statuses!r}: give a list of {', '.join(allowed)} "
            "(never answered or not-known: nobody who answered, or may have, is called again)"
        )
    attempts = int(number(t.get("attempts", 3), f"{where} attempts", v.RECYCLE_ATTEMPTS))
    return Recycle(
        enabled=True,
        statuses=tuple(statuses),
        after=v.duration(t.get("after", 3_600), f"{where} after", v.RECYCLE_AFTER),
        attempts=attempts,
        per_24h=int(number(t.get("per_24h", 3), f"{where} per_24h", v.RECYCLE_ATTEMPTS)),
    )


def _under(base: Path, value: Any) -> Path:
    """A path from the campaign file, relative to the file's own folder."""
    return Path(os.path.normpath(base / str(value)))


def _table(doc: dict, key: str, path: Path) -> dict:
    value = doc.get(key, {})
    if not isinstance(value, dict):
        raise CampaignError(f"{path}: '{key}' must be a table ([{key}])")
    return value


def parse_concurrency(value: Any, where: str) -> int | None:
    """`auto` (None) or a whole number of at least 1, from the campaign file or --concurrency."""
    if isinstance(value, str) and value.strip().lower() == "auto":
        return None
    given = value
    if isinstance(value, str) and value.strip().lstrip("+-").isdigit():
        given = int(value)
    if not isinstance(given, int) or isinstance(given, bool):
        raise CampaignError(f'{where} must be "auto" or a whole number, 1 or more, not {value!r}')
    return int(number(given, where, v.CONCURRENCY))


def _list_options(tables: dict[str, dict], base: Path, path: Path) -> ListOptions:
    defaults = tables["defaults"]
    for name, value in defaults.items():
        if name not in PARAMETERS:
            raise CampaignError(
                f"{path}: [defaults] has {name!r}, which calls/make does not take{hint(name, PARAMETERS)}"
            )
        _check_default(name, value, f"{path}: [defaults]")
    columns = {str(k): str(val) for k, val in tables["columns"].items()}
    for header, param in columns.items():
        if param not in PARAMETERS:
            raise CampaignError(
                f"{path}: [columns] maps {header!r} to {param!r}, not a calls/make parameter"
                f"{hint(param, PARAMETERS)}"
            )
    list_t = tables["list"]
    dnc = list_t.get("do_not_call", [])
    if isinstance(dnc, str):
        dnc = [dnc]
    if not isinstance(dnc, list) or not all(isinstance(p, str) for p in dnc):
        raise CampaignError(f"{path}: [list] do_not_call must be a file name or a list of them")
    person = tables["campaign"].get("person", persons.AUTO)
    if person not in persons.SETTINGS:
        raise CampaignError(
            f"{path}: [campaign] person = {person!r} is not one of {', '.join(persons.SETTINGS)}"
            f"{hint(str(person), persons.SETTINGS)}"
        )
    return ListOptions(
        columns=columns,
        defaults={k: _default_text(val) for k, val in defaults.items()},
        sheet=list_t.get("sheet"),
        encoding=list_t.get("encoding"),
        delimiter=list_t.get("delimiter"),
        default_region=str(list_t.get("default_region", "US")),
        do_not_call=tuple(_under(base, p) for p in dnc),
        person=person,
    )


def _check_default(name: str, value: Any, where: str) -> None:
    """A [defaults] value checked as the list's cells are (a wait of 301, a delay of -1, a cdialplan
    other than auto), and named in the campaign file rather than met later in the list's checks."""
    parameter = PARAMETERS[name]
    if isinstance(value, bool) and parameter.kind is not Kind.FLAG:
        raise CampaignError(f"{where} {name} = {str(value).lower()} is not a value of {name}")
    if isinstance(value, dict | list):
        raise CampaignError(f"{where} {name} = {value!r}: give one value")
    _, reason = check_value(_default_text(value), parameter)
    if reason:
        raise CampaignError(f"{where} {name} = {value!r}: {reason.format(label=name)}")


def _default_text(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def _apply_overrides(c: Campaign, ov: dict[str, Any]) -> Campaign:
    """The flags given, each checked as what it is called on the command line."""
    pacing = c.pacing
    if "rate" in ov:
        pacing = replace(pacing, rate=_rate(ov["rate"], "--rate"))
    if "period" in ov:
        pacing = replace(pacing, period=number(ov["period"], "--period", v.PERIOD))
    if "stagger" in ov:
        pacing = replace(pacing, stagger=ov["stagger"])
    if "concurrency" in ov:
        pacing = replace(pacing, concurrency=parse_concurrency(ov["concurrency"], "--concurrency"))
    retry = c.retry
    if "attempts" in ov:
        retry = replace(retry, attempts=int(number(ov["attempts"], "--attempts", v.ATTEMPTS)))
    reconcile = replace(c.reconcile, enabled=ov.get("reconcile", c.reconcile.enabled))
    outcomes = replace(c.outcomes, enabled=ov.get("outcomes", c.outcomes.enabled))
    recycle = c.recycle if outcomes.enabled else replace(c.recycle, enabled=False)
    if "reconcile_settle" in ov:
        reconcile = replace(reconcile, settle=number(ov["reconcile_settle"], "--settle", v.SETTLE))
    out = replace(
        c,
        pacing=pacing,
        retry=retry,
        reconcile=reconcile,
        outcomes=outcomes,
        recycle=recycle,
        list=_list_overrides(c, ov),
        url=switch_url(ov["url"], "--url") if "url" in ov else c.url,
        results=Path(ov["results"]) if "results" in ov else c.results,
        window={**c.window, **ov.get("window", {})},
        timeout_margin=(
            number(ov["timeout_margin"], "--timeout-margin", v.TIMEOUT_MARGIN)
            if "timeout_margin" in ov
            else c.timeout_margin
        ),
    )
    return out


def _list_overrides(c: Campaign, ov: dict[str, Any]) -> ListOptions:
    lo = c.list
    defaults = dict(lo.defaults)
    if "wait" in ov:
        wait = number(ov["wait"], "--wait", v.Bounds(0, MAX_WAIT, whole=True, unit="seconds"))
        defaults["wait"] = str(int(wait))
    given = {k: ov[k] for k in ("sheet", "encoding", "delimiter") if k in ov}
    _check_list_flags(ListOptions(**given), c.list_path, "")
    lo = replace(lo, defaults=defaults, **given)
    if "person" in ov:
        lo = replace(lo, person=ov["person"])
    if ov.get("do_not_call"):
        lo = replace(lo, do_not_call=lo.do_not_call + tuple(Path(p) for p in ov["do_not_call"]))
    return lo


def _check_list_flags(options: ListOptions, list_path: Path, where: str) -> None:
    """Options that do not apply to the list are refused: they would be ignored, silently."""
    spreadsheet = list_path.suffix.lower() in SPREADSHEET_SUFFIXES
    name = (lambda key: f"{where} {key}") if where else (lambda key: f"--{key}")
    if options.sheet is not None and not spreadsheet:
        raise CampaignError(f"{name('sheet')} applies to a spreadsheet; {list_path} is a text (CSV) list")
    for key in ("encoding", "delimiter"):
        value = getattr(options, key)
        if value is not None and spreadsheet:
            raise CampaignError(f"{name(key)} applies to a text (CSV) list; {list_path} is a spreadsheet")
        if value is not None and not str(value).strip(" "):
            raise CampaignError(f"{name(key)} is empty: give one, or leave it out to have it detected")


def _check_together(c: Campaign) -> None:
    """What no single setting shows: limits that only bind together."""
    p = c.pacing
    where = c.source
    if p.stagger == "delay" and p.rate is None:
        raise CampaignError(f"{where}: stagger 'delay' needs a rate to place calls at")
    if p.rate is not None and p.rate / p.period > v.RATE_PER_SECOND:
        raise CampaignError(
            f"{where}: a rate of {p.rate:g} per {p.period:g} s is {p.rate / p.period:,.0f} requests a "
            f"second, more than {v.RATE_PER_SECOND:,}: check rate and period"
        )
    if c.recycle.enabled and c.recycle.per_24h < 1:
        raise CampaignError(f"{where}: [recycle] per_24h must be at least 1")
    if c.retry.max_backoff < c.retry.backoff:
        raise CampaignError(
            f"{where}: [retry] max_backoff ({c.retry.max_backoff:g} s) is less than backoff "
            f"({c.retry.backoff:g} s)"
        )
