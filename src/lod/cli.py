"""The `lod` command line: build, validate, serve, link."""

from __future__ import annotations

import argparse
import dataclasses
import sys
import tempfile
from pathlib import Path

from rich.console import Console
from rich.progress import DownloadColumn, Progress, TransferSpeedColumn

from lod import config as config_module, index
from lod.build import Pipeline, ValidationFailed, print_summary, read_record
from lod.changes import IrisDropped
from lod.config import Config
from lod.linking.wikidata import WikidataError
from lod.mapping import MappingError
from lod.release import Releases
from lod.store import StoreError, engine_of
from lod.store.embedded import available_memory, files_of, read_into_page_cache
from lod.tables import TableError

EXIT_INVALID = 1


def _config(args: argparse.Namespace) -> Config:
    config = config_module.load(args.config)
    data = getattr(args, "data", None)   # not every command takes --data
    return config.with_paths(data=Path(data).resolve()) if data else config


def cmd_build(args: argparse.Namespace, console: Console) -> int:
    config = _config(args)
    result = Pipeline(config, console).build(Releases(config.path("var")))
    print_summary(result, console)
    return 0


def cmd_validate(args: argparse.Namespace, console: Console) -> int:
    config = _config(args)
    with tempfile.TemporaryDirectory(prefix="lod-validate-") as work:
        Pipeline(config, console).check_map_validate(Path(work), Releases(config.path("var")).current())
    console.print("[green]The tables conform and keep every published IRI: nothing to fix.[/]")
    return 0


def cmd_upload(args: argparse.Namespace, console: Console) -> int:
    """Put the published release into the remote store (a new engine, or one to refill)."""
    config = _config(args)
    if config.store.backend != "remote":
        return report(console, "Nothing to upload to:", ['[store].backend is "embedded"; the release is served '
                                                         'from its own store. Set backend = "remote" and the URLs.'])
    current = Releases(config.path("var")).current()
    if current is None:
        return report(console, "Nothing is published yet:", ["run `lod build` first"])
    engine = engine_of(config, read_record(current))
    Pipeline(config, console).upload(current, engine)
    console.print(f"Release [bold]{current.name}[/] is now in the remote store ({engine.query}).")
    return 0


def cmd_serve(args: argparse.Namespace, console: Console) -> int:
    """Serve the published release, building one first when nothing is published yet."""
    from lod import serve
    config = _config(args)
    releases = Releases(config.path("var"))
    if not releases.link.exists():
        console.print("Nothing published yet: building the first release.")
        cmd_build(args, console)
    host, port, current = args.host or config.server.host, args.port or config.server.port, releases.link.resolve()
    if config.server.warm_release:
        _warm(current, console, store=config.store.backend == "embedded")
    console.print(f"Serving release {current.name} at http://{host}:{port}/")
    serve.run(config, host, port, dev=args.dev)
    return 0


def _warm(release: Path, console: Console, *, store: bool) -> None:
    """Read into the page cache, before the server listens ([server].warm_release), what pages
    read: the release's index (every page reads its cards, on any backend), then, if `store`,
    the embedded store. Each only if it fits in the memory still available."""
    available = available_memory()
    parts = {"index": [release / index.FILE_NAME], "store": files_of(release / "store") if store else []}
    for name, files in parts.items():
        files = [file for file in files if file.exists()]
        if not files:
            continue
        size = sum(file.stat().st_size for file in files)
        if available is not None and size > available:
            console.print(f"Not reading the {name} into memory first: its {size / 2**30:.1f} GiB exceed the "
                          f"{available / 2**30:.1f} GiB available; first visits will wait on the disk.")
            continue
        columns = (*Progress.get_default_columns(), DownloadColumn(), TransferSpeedColumn())
        with Progress(*columns, console=console) as bar:
            task = bar.add_task(f"reading the {name} into memory", total=size)
            read_into_page_cache(files, lambda n: bar.advance(task, n))
        console.print(f"Read the {name} into memory ({size / 2**20:,.0f} MiB).")
        available = None if available is None else available - size


def cmd_link(args: argparse.Namespace, console: Console) -> int:
    """Propose (or with --verify, re-check) Wikidata links in the links table."""
    from lod.linking import reconciler
    config = _config(args)
    if args.endpoint:
        config = dataclasses.replace(config, linking=dataclasses.replace(config.linking, endpoint=args.endpoint))
    with Progress(console=console) as bar:
        task = bar.add_task("verifying" if args.verify else "reconciling", total=None)
        run = reconciler.Reconciler(config, reconciler.client(config),
                                    lambda done, total: bar.update(task, completed=done, total=total))
        if args.verify:
            return _verify_report(run.verify(), console)
        outcome = run.run(args.person or None)
    console.print(f"{len(outcome.accepted)} accepted, {len(outcome.candidates)} candidate(s) for review, "
                  f"{len(outcome.ruled_out)} ruled out by life years, {len(outcome.without_item)} "
                  f"person(s) without any item; {run.client.requests} request(s) sent.")
    for s in outcome.accepted + outcome.candidates:
        console.print(f"  {s.person.id} → {s.item.qid} {s.item.label_en}: {s.explanation}",
                      markup=False, highlight=False, soft_wrap=True)
    return 0


def _verify_report(problems: list[str], console: Console) -> int:
    if not problems:
        console.print("[green]Every accepted link still agrees with Wikidata.[/]")
        return 0
    return report(console, f"{len(problems)} accepted link(s) no longer agree with Wikidata:", problems)


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="lod", description=__doc__)
    ap.add_argument("--config", help="configuration file (default: $LOD_CONFIG or ./lod.toml)")
    sub = ap.add_subparsers(dest="command", required=True)
    for name, func, text in (("build", cmd_build, "check, map, validate, load and publish a release"),
                             ("validate", cmd_validate, "check, map and validate; publish nothing")):
        p = sub.add_parser(name, help=text, description=text)
        p.add_argument("--data", help="folder of source tables (default: [paths].data)")
        p.set_defaults(func=func)
    p = sub.add_parser("upload", help="upload the published release to the remote store ([store]) and swap it in")
    p.set_defaults(func=cmd_upload)
    p = sub.add_parser("serve", help="serve the published release (gunicorn; --dev for Flask's debug server)")
    p.add_argument("--host", help="interface to listen on (default: [server].host)")
    p.add_argument("--port", type=int, help="port (default: [server].port)")
    p.add_argument("--dev", action="store_true", help="Flask's debug server with reloading, one process")
    p.add_argument("--data", help="folder of source tables, if a first build is needed")
    p.set_defaults(func=cmd_serve)
    p = sub.add_parser("link", help="link persons to Wikidata (candidates into data/wikidata_links.csv)")
    p.add_argument("target", choices=["wikidata"], help="the dataset to link to")
    p.add_argument("--verify", action="store_true", help="re-check accepted links; change nothing")
    p.add_argument("--endpoint", help="SPARQL endpoint (default: [linking].endpoint)")
    p.add_argument("--person", action="append", help="only this person id (repeatable)")
    p.add_argument("--data", help="folder of source tables (default: [paths].data)")
    p.set_defaults(func=cmd_link)
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
    except IrisDropped as err:
        return report(console, "Published IRIs would break; nothing was published:", err.problems)
    except StoreError as err:
        return report(console, "The remote store failed; what it served is unchanged:", [str(err)])
    except WikidataError as err:
        return report(console, "Wikidata did not answer; the links table is unchanged:", [str(err)])
    except KeyboardInterrupt:
        return report(console, "Interrupted; nothing was published.", [])


if __name__ == "__main__":
    sys.exit(main())
