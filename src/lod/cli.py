"""The `lod` command line: build, validate (and, with the web issue, serve)."""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from rich.console import Console

from lod import config as config_module
from lod.build import Pipeline, ValidationFailed, print_summary
from lod.config import Config
from lod.mapping import MappingError
from lod.release import Releases
from lod.tables import TableError

EXIT_INVALID = 1


def _config(args: argparse.Namespace) -> Config:
    config = config_module.load(args.config)
    return config.with_paths(data=Path(args.data).resolve()) if args.data else config


def cmd_build(args: argparse.Namespace, console: Console) -> int:
    config = _config(args)
    result = Pipeline(config, console).build(Releases(config.path("var")))
    print_summary(result, console)
    return 0


def cmd_validate(args: argparse.Namespace, console: Console) -> int:
    config = _config(args)
    with tempfile.TemporaryDirectory(prefix="lod-validate-") as work:
        Pipeline(config, console).check_map_validate(Path(work))
    console.print("[green]The tables conform: nothing to fix.[/]")
    return 0


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="lod", description=__doc__)
    ap.add_argument("--config", help="configuration file (default: $LOD_CONFIG or ./lod.toml)")
    sub = ap.add_subparsers(dest="command", required=True)
    for name, func, text in (("build", cmd_build, "check, map, validate, load and publish a release"),
                             ("validate", cmd_validate, "check, map and validate; publish nothing")):
        p = sub.add_parser(name, help=text, description=text)
        p.add_argument("--data", help="folder of source tables (default: [paths].data)")
        p.set_defaults(func=func)
    return ap


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    console = Console(stderr=True)
    try:
        return args.func(args, console)
    except config_module.ConfigError as err:
        console.print(f"[red]Configuration error:[/] {err}")
    except TableError as err:
        console.print(f"[red]The source tables have {len(err.problems)} problem(s); nothing was published:[/]")
        for problem in err.problems:
            console.print(f"  {problem}", markup=False, highlight=False, soft_wrap=True)
    except MappingError as err:
        console.print(f"[red]Mapping failed; nothing was published:[/] {err}", markup=False)
    except ValidationFailed as err:
        console.print(f"[red]{len(err.violations)} entities break the shapes; nothing was published:[/]")
        for violation in err.violations:
            console.print(f"  {violation}", markup=False, highlight=False, soft_wrap=True)
    except KeyboardInterrupt:
        console.print("[red]Interrupted; nothing was published.[/]")
    return EXIT_INVALID


if __name__ == "__main__":
    sys.exit(main())
