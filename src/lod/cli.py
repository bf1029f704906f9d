"""The `lod` command line: build, validate, serve."""

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


def cmd_serve(args: argparse.Namespace, console: Console) -> int:
    """Serve the published release, building one first when nothing is published yet."""
    from lod import serve
    config = _config(args)
    releases = Releases(config.path("var"))
    if not releases.link.exists():
        console.print("Nothing published yet: building the first release.")
        cmd_build(args, console)
    host, port = args.host or config.server.host, args.port or config.server.port
    console.print(f"Serving release {releases.link.resolve().name} at http://{host}:{port}/")
    serve.run(config, host, port, dev=args.dev)
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
    p = sub.add_parser("serve", help="serve the published release (gunicorn; --dev for Flask's debug server)")
    p.add_argument("--host", help="interface to listen on (default: [server].host)")
    p.add_argument("--port", type=int, help="port (default: [server].port)")
    p.add_argument("--dev", action="store_true", help="Flask's debug server with reloading, one process")
    p.add_argument("--data", help="folder of source tables, if a first build is needed")
    p.set_defaults(func=cmd_serve)
    return ap


def report(console: Console, headline: str, lines: list[str]) -> int:
    """Print a failure: a red headline, then each line verbatim and unwrapped (paths, IRIs)."""
    console.print(f"[red]{headline}[/]")
    for line in lines:
        console.print(f"  {line}", markup=False, highlight=False, soft_wrap=True)
    return EXIT_INVALID


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    console = Console(stderr=True)
    try:
        return args.func(args, console)
    except config_module.ConfigError as err:
        return report(console, "Configuration error:", [str(err)])
    except TableError as err:
        return report(console, f"The source tables have {len(err.problems)} problem(s); nothing was published:",
                      [str(p) for p in err.problems])
    except MappingError as err:
        return report(console, "Mapping failed; nothing was published:", str(err).splitlines())
    except ValidationFailed as err:
        return report(console, f"{len(err.violations)} SHACL violation(s); nothing was published:",
                      [str(v) for v in err.violations])
    except KeyboardInterrupt:
        return report(console, "Interrupted; nothing was published.", [])


if __name__ == "__main__":
    sys.exit(main())
