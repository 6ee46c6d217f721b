"""A campaign: which list, which switch, how fast, when. From a TOML file, or built for a bare list.

Command-line flags override the file. Nothing here touches the network or the results file.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import replace
from pathlib import Path
from typing import Any

from dialer.calllist.model import ListOptions
from dialer.campaign.settings import DEFAULT_URL, Campaign, Pacing, Reconcile, RetryPolicy
from dialer.core.params import PARAMETERS

LIST_SUFFIXES = {".csv", ".txt", ".tsv", ".xlsx", ".xlsm", ".xls", ".ods"}
MAKE_PATH = "/api/json/calls/make/"


class CampaignError(Exception):
    """The campaign file or flags are unusable. The message names the file and the setting."""


def normalise_url(url: str) -> str:
    """Accept a switch's base address or the full calls/make address."""
    url = url.strip()
    if "/api/json/" in url:
        return url if url.endswith("/") else url + "/"
    return url.rstrip("/") + MAKE_PATH


def load_campaign(source: Path, overrides: dict[str, Any] | None = None) -> Campaign:
    """Read SOURCE (a campaign TOML or a bare CSV/spreadsheet list) and apply flag overrides.

    ``overrides`` keys: url, results, rate, period, concurrency ("auto" or a number), stagger, wait, attempts,
    sheet, encoding, delimiter, do_not_call (list of paths), window (dict merged into [window]),
    reconcile (bool), reconcile_settle (seconds).
    A value of None means "not given".
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
    return _apply_overrides(campaign, {k: v for k, v in (overrides or {}).items() if v is not None})


def _from_toml(path: Path) -> Campaign:
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise CampaignError(f"{path}: cannot read campaign file: {exc}") from None
    base = Path(os.path.normpath(path.parent))
    head = _table(doc, "campaign", path)
    if "list" not in head:
        raise CampaignError(f"{path}: [campaign] needs 'list', the call list to dial")
    name = str(head.get("name", path.stem))
    list_opts = _list_options(_table(doc, "list", path), doc, base, path)
    pacing_t = _table(doc, "pacing", path)
    retry_t = _table(doc, "retry", path)
    reconcile_t = _table(doc, "reconcile", path)
    auth_t = _table(doc, "auth", path)
    concurrency = parse_concurrency(pacing_t.get("concurrency", "auto"), f"{path}: [pacing] concurrency")
    try:
        pacing = Pacing(
            rate=_opt_float(pacing_t.get("rate")),
            period=float(pacing_t.get("period", 1.0)),
            concurrency=concurrency,
            stagger=str(pacing_t.get("stagger", "none")),
        )
        retry = RetryPolicy(
            attempts=int(retry_t.get("attempts", 3)),
            backoff=float(retry_t.get("backoff", 1.0)),
            max_backoff=float(retry_t.get("max_backoff", 60.0)),
        )
        timeout_margin = float(head.get("timeout_margin", 10.0))
        reconcile = Reconcile(
            enabled=_flag(reconcile_t.get("enabled", True), "[reconcile] enabled"),
            settle=float(reconcile_t.get("settle", 10.0)),
        )
    except (TypeError, ValueError) as exc:
        raise CampaignError(
            f"{path}: a [pacing], [retry], [reconcile] or timeout value is not valid: {exc}"
        ) from None
    results = head.get("results")
    campaign = Campaign(
        name=name,
        source=path,
        list_path=_under(base, head["list"]),
        results=_under(base, results) if results else path.with_name(path.stem + ".results.jsonl"),
        url=normalise_url(str(head.get("url", DEFAULT_URL))),
        list=list_opts,
        pacing=pacing,
        retry=retry,
        reconcile=reconcile,
        timeout_margin=timeout_margin,
        username_env=str(auth_t.get("username_env", "ENSWITCH_USERNAME")),
        password_env=str(auth_t.get("password_env", "ENSWITCH_PASSWORD")),
        password_file=_under(base, auth_t["password_file"]) if "password_file" in auth_t else None,
        window=dict(_table(doc, "window", path)),
    )
    check_campaign(campaign)
    return campaign


def _under(base: Path, value: Any) -> Path:
    """A path from the campaign file, relative to the file's own folder."""
    return Path(os.path.normpath(base / str(value)))


def _table(doc: dict, key: str, path: Path) -> dict:
    value = doc.get(key, {})
    if not isinstance(value, dict):
        raise CampaignError(f"{path}: '{key}' must be a table ([{key}])")
    return value


def _flag(value: Any, name: str) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{name} must be true or false, not {value!r}")
    return value


def parse_concurrency(value: Any, where: str) -> int | None:
    """`auto` (None) or a whole number of at least 1, from the campaign file or --concurrency."""
    if isinstance(value, str) and value.strip().lower() == "auto":
        return None
    number = value
    if isinstance(value, str) and value.strip().lstrip("+-").isdigit():
        number = int(value)
    if not isinstance(number, int) or isinstance(number, bool) or number < 1:
        raise CampaignError(f'{where} must be "auto" or a whole number, 1 or more, not {value!r}')
    return number


def _opt_float(value: Any) -> float | None:
    return None if value in (None, "", 0) else float(value)


def _list_options(list_t: dict, doc: dict, base: Path, path: Path) -> ListOptions:
    defaults = _table(doc, "defaults", path)
    unknown = sorted(set(defaults) - set(PARAMETERS))
    if unknown:
        raise CampaignError(f"{path}: [defaults] has {', '.join(unknown)}, which calls/make does not take")
    columns = {str(k): str(v) for k, v in _table(doc, "columns", path).items()}
    bad = sorted(v for v in columns.values() if v not in PARAMETERS)
    if bad:
        raise CampaignError(f"{path}: [columns] maps to {', '.join(bad)}, not calls/make parameters")
    dnc = list_t.get("do_not_call", [])
    if isinstance(dnc, str):
        dnc = [dnc]
    return ListOptions(
        columns=columns,
        defaults={k: _default_text(v) for k, v in defaults.items()},
        sheet=list_t.get("sheet"),
        encoding=list_t.get("encoding"),
        delimiter=list_t.get("delimiter"),
        default_region=str(list_t.get("default_region", "US")),
        do_not_call=tuple(_under(base, p) for p in dnc),
    )


def _default_text(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def _apply_overrides(c: Campaign, ov: dict[str, Any]) -> Campaign:
    pacing = replace(
        c.pacing,
        **{k: ov[k] for k in ("rate", "period", "stagger") if k in ov},
    )
    if "concurrency" in ov:
        where = f"{c.source}: --concurrency"
        pacing = replace(pacing, concurrency=parse_concurrency(ov["concurrency"], where))
    if ov.get("rate") == 0:
        pacing = replace(pacing, rate=None)
    retry = replace(c.retry, attempts=ov["attempts"]) if "attempts" in ov else c.retry
    reconcile_fields = (("reconcile", "enabled"), ("reconcile_settle", "settle"))
    reconcile = replace(c.reconcile, **{name: ov[key] for key, name in reconcile_fields if key in ov})
    lo = c.list
    defaults = dict(lo.defaults)
    if "wait" in ov:
        defaults["wait"] = str(int(ov["wait"]))
    lo = replace(
        lo,
        defaults=defaults,
        **{k: ov[k] for k in ("sheet", "encoding", "delimiter") if k in ov},
    )
    if ov.get("do_not_call"):
        lo = replace(lo, do_not_call=lo.do_not_call + tuple(Path(p) for p in ov["do_not_call"]))
    out = replace(
        c,
        pacing=pacing,
        retry=retry,
        reconcile=reconcile,
        list=lo,
        url=normalise_url(ov["url"]) if "url" in ov else c.url,
        results=Path(ov["results"]) if "results" in ov else c.results,
        window={**c.window, **ov.get("window", {})},
        timeout_margin=float(ov["timeout_margin"]) if "timeout_margin" in ov else c.timeout_margin,
    )
    check_campaign(out)
    return out


def check_campaign(c: Campaign) -> None:
    p = c.pacing
    where = c.source
    if p.rate is not None and p.rate <= 0:
        raise CampaignError(f"{where}: rate must be above 0 (or 0 for no limit)")
    if p.period <= 0:
        raise CampaignError(f"{where}: period must be above 0 seconds")
    if p.concurrency is not None and p.concurrency < 1:
        raise CampaignError(f'{where}: concurrency must be at least 1 (or "auto")')
    if p.stagger not in ("none", "delay"):
        raise CampaignError(f"{where}: stagger must be 'none' or 'delay', not {p.stagger!r}")
    if p.stagger == "delay" and p.rate is None:
        raise CampaignError(f"{where}: stagger 'delay' needs a rate to place calls at")
    if c.retry.attempts < 1:
        raise CampaignError(f"{where}: retry attempts must be at least 1")
    if c.reconcile.settle < 0:
        raise CampaignError(f"{where}: [reconcile] settle must not be negative")
    if not c.timeout_margin > 0:
        # Every request's time limit is wait + timeout_margin: without a margin, a request sent
        # without wait would be given up at once and recorded unknown.
        raise CampaignError(f"{where}: timeout_margin must be more than 0 seconds")
