"""Run the declarative mappings with the RML engine (morph-kgc) in its own environment.

The engine runs as a child process of its own virtual environment (see docs/decisions.md):
its pinned rdflib/pyoxigraph cannot share ours, and a separate process returns the mapper's
memory to the system before validation starts.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml

from lod.config import Config

PLACEHOLDER = "http://base.invalid/"
MAPPING_FILE = "edition.yml"
FUNCTIONS_FILE = "functions.py"
QUERY_FILE = re.compile(r"read_csv\('([^']+)'")
REFERENCE = re.compile(r"\$\(([^)]+)\)")


class MappingError(RuntimeError):
    """The RML engine failed; the message carries its own last words."""


@dataclass(frozen=True)
class Mappings:
    """The mapping document rebased onto the configured base IRI."""

    doc: dict

    @classmethod
    def load(cls, config: Config) -> Mappings:
        doc = yaml.safe_load((config.path("mappings") / MAPPING_FILE).read_text(encoding="utf-8"))
        base = config.dataset.base_iri
        doc["prefixes"] = {k: v.replace(PLACEHOLDER, base, 1) if v.startswith(PLACEHOLDER) else v
                           for k, v in doc["prefixes"].items()}
        return cls(doc)

    def expand(self, template: str) -> str:
        """A YARRRML template with its prefix expanded ('base:id/x/$(id)' → full IRI template)."""
        prefix, _, rest = template.partition(":")
        return self.doc["prefixes"][prefix] + rest if prefix in self.doc["prefixes"] else template

    def subjects(self) -> Iterator[tuple[str, list[str]]]:
        """(subject template, source files) of every mapping, in file order."""
        for mapping in self.doc["mappings"].values():
            yield self.expand(mapping["s"]), _source_files(mapping)

    def graph_sources(self) -> dict[str, set[str]]:
        """Named graph IRI → the source files that feed it (for the provenance graph)."""
        graphs: dict[str, set[str]] = {}
        for mapping in self.doc["mappings"].values():
            graphs.setdefault(self.expand(mapping["graph"]), set()).update(_source_files(mapping))
        return graphs


def _source_files(mapping: dict) -> list[str]:
    """The CSV files a mapping reads, directly or through a DuckDB view."""
    files = []
    for source in mapping["sources"]:
        if isinstance(source, list):
            files.append(source[0].split("~")[0])
        else:
            files += QUERY_FILE.findall(source["query"])
    return files


def fill(template: str, record: dict[str, str]) -> str | None:
    """The IRI a template gives for one table row; None when a referenced cell is empty."""
    values = []
    for column in REFERENCE.findall(template):
        if not record.get(column):
            return None
        values.append(record[column])
    parts = REFERENCE.split(template)
    parts[1::2] = values
    return "".join(parts)


def run(config: Config, mappings: Mappings, data: Path, work: Path) -> Path:
    """Map the tables in `data` to N-Quads in `work`; returns the output file."""
    work.mkdir(parents=True, exist_ok=True)
    mapping_file, output, ini = work / "mapping.yml", work / "mapped.nq", work / "morph-kgc.ini"
    mapping_file.write_text(yaml.safe_dump(mappings.doc, sort_keys=False, allow_unicode=True), encoding="utf-8")
    ini.write_text(
        "[CONFIGURATION]\n"
        f"output_file={output}\noutput_format=N-QUADS\n"
        f"udfs={config.path('mappings') / FUNCTIONS_FILE}\n"
        f"number_of_processes={config.mapper.processes}\n"
        "na_values=,nan,None\nlogging_level=WARNING\n"
        f"[edition]\nmappings={mapping_file}\n", encoding="utf-8")
    python = config.mapper_python
    if not python.exists():
        raise MappingError(f"the RML engine's environment is missing: {python} (run `make install`)")
    done = subprocess.run([str(python), "-m", "morph_kgc", str(ini)], cwd=data,
                          capture_output=True, text=True)
    if done.returncode != 0 or not output.exists():
        tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-8:])
        raise MappingError(f"morph-kgc failed on the tables in {data}:\n{tail}")
    return output


def engine_version(config: Config) -> str:
    """The RML engine's version, for the provenance graph."""
    done = subprocess.run([str(config.mapper_python), "-c",
                           "from importlib.metadata import version; print(version('morph-kgc'))"],
                          capture_output=True, text=True)
    return done.stdout.strip() or "unknown"
