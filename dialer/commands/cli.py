"""The `dialer` command group: run, validate, status, report, simulate, each imported when used."""

from __future__ import annotations

import importlib

import click


class LazyGroup(click.Group):
    """Subcommands imported only when used: `dialer run` does not load the report or the simulator."""

    lazy = {
        "run": "dialer.commands.run:run",
        "validate": "dialer.commands.validate:validate",
        "status": "dialer.commands.status:status",
        "report": "dialer.commands.report:report",
        "simulate": "dialer.simulator.cli:simulate",
    }

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in self.lazy:
            module, attr = self.lazy[name].split(":")
            return getattr(importlib.import_module(module), attr)
        return super().get_command(ctx, name)


@click.group(
    cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100}
)
@click.version_option(package_name="dialer")
def main() -> None:
    """Bulk dialing through Enswitch's calls/make: paced, tracked, recorded and resumable."""
