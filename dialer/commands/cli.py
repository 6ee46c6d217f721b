"""The `dialer` command group: validate, run, status, report, simulate, each imported when used."""

from __future__ import annotations

import importlib

import click

# In the order an operator uses them, each with the line `dialer --help` shows for it (written here,
# so that listing the commands imports none of them, and no line is cut short).
COMMANDS = {
    "validate": ("dialer.commands.validate:validate", "Check a campaign's list without dialing anything."),
    "run": (
        "dialer.commands.run:run",
        "Dial a campaign: paced, recorded, resumable; run it again to carry on.",
    ),
    "status": (
        "dialer.commands.status:status",
        "Where a campaign stands: counts, rate, rows needing attention.",
    ),
    "report": (
        "dialer.commands.report:report",
        "Write a campaign's per-row report: CSV, xlsx and an HTML page.",
    ),
    "simulate": (
        "dialer.simulator.cli:simulate",
        "Serve a simulated Enswitch on 127.0.0.1, for demos and tests.",
    ),
}


class LazyGroup(click.Group):
    """Subcommands imported only when used: `dialer run` does not load the report or the simulator."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [*COMMANDS, *sorted(set(super().list_commands(ctx)) - set(COMMANDS))]

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in COMMANDS:
            module, attr = COMMANDS[name][0].split(":")
            return getattr(importlib.import_module(module), attr)
        return super().get_command(ctx, name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, summary) for name, (_, summary) in COMMANDS.items()]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(
    cls=LazyGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    epilog="Run `dialer COMMAND --help` for a command's options and exit statuses.",
)
@click.version_option(package_name="dialer")
def main() -> None:
    """Bulk dialing through Enswitch's calls/make: paced, tracked, recorded and resumable."""
