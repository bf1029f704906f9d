"""Bad input: a clear message naming file, row and column, a non-zero exit, nothing published."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import REPO, write_config
from lod import cli, dumps, tables


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder whose var/ already holds a published release of the edition."""
    folder = tmp_path_factory.mktemp("published")
    assert cli.main(["--config", str(write_config(folder, REPO / "data")), "build"]) == 0
    return folder


def snapshot(var: Path) -> tuple[str, list[str]]:
    """What is published: the release `current` points at, and every file under var/."""
    return (str((var / "current").resolve()), sorted(str(p.relative_to(var)) for p in var.rglob("*")))


def next_row(name: str) -> int:
    """The spreadsheet row number a line appended to a table gets (the header is row 1)."""
    return len((REPO / "data" / name).read_text(encoding="utf-8").splitlines()) + 1


def spoil(name: str, change: Callable[[str], str]) -> Callable[[Path], None]:
    def apply(data: Path) -> None:
        path = data / name
        path.write_text(change(path.read_text(encoding="utf-8")), encoding="utf-8")
    return apply


def replace_once(old: str, new: str) -> Callable[[str], str]:
    def change(text: str) -> str:
        assert old in text, old
        return text.replace(old, new, 1)
    return change


def append(line: str) -> Callable[[str], str]:
    return lambda text: text + line


CASES = {
    "malformed row (too many cells)": (
        spoil("publications.csv", append("extra-pub,Pravda,1990,1,2,,surplus cell\n")),
        [f"publications.csv, row {next_row('publications.csv')}", "extra cell"]),
    "unclosed quotation mark": (
        spoil("places.csv", append('kazan,"Kazan,,55.79,49.12,\n')),
        [f"places.csv, row {next_row('places.csv')}"]),
    "unknown column": (
        spoil("places.csv", lambda t: t.replace("long,note\n", "long,note,nickname\n", 1)),
        ["places.csv, column 'nickname'", "extra label"]),
    "duplicate identifier": (
        spoil("persons.csv", lambda t: t + t.splitlines()[1] + "\n"),
        [f"persons.csv, row {next_row('persons.csv')}", "primarykey"]),
    "reference to a person not in persons.csv": (
        spoil("document_agents.csv", append("3,sender,nobody,,\n")),
        ["document_agents.csv, row", "column 'person'", '"nobody" not found']),
    "impossible date 1925-02-30": (
        spoil("documents.csv", replace_once("1925-07-12,1925-07-12", "1925-02-30,1925-07-12")),
        ["documents.csv, row 2, column 'date_earliest'", "1925-02-30"]),
    "bounds that disagree with the printed date": (
        spoil("documents.csv", replace_once("12 July 1925,1925-07-12", "12 July 1925,1925-07-11")),
        ["documents.csv, row 2, column 'date_earliest'", "disagrees with the printed date"]),
    "unreadable printed date": (
        spoil("documents.csv", replace_once("12 July 1925,", "12 Julember 1925,")),
        ["documents.csv, row 2, column 'date_printed'", "cannot read"]),
    "both person and organisation as sender": (
        spoil("document_agents.csv", append("3,sender,stalin,politburo,\n")),
        ["document_agents.csv, row", "exactly one of 'person' and 'organisation'"]),
    "office ending before it starts": (
        spoil("offices.csv", replace_once("bukharin,member,politburo,1924,1929",
                                          "bukharin,member,politburo,1929,1924")),
        ["offices.csv, row 2, column 'end'", "before it starts"]),
    "role missing from the ontology (caught by the shapes)": (
        spoil("offices.csv", replace_once("bukharin,member,politburo", "bukharin,tsar,politburo")),
        ["Office held", "(data/offices.csv, row 2)", "role is not one of the roles", "offices.csv, column 'role'"]),
    "document without a sender (caught by the shapes)": (
        spoil("document_agents.csv", lambda t: "\n".join(
            line for line in t.splitlines() if not line.startswith("3,sender,")) + "\n"),
        ["Document 'Letter 3 (27 July 1925)'", "(data/documents.csv, row 4)", "needs a sender"]),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_tables_are_refused_and_nothing_is_published(case, published, tmp_path, capsys):
    change, words = CASES[case]
    data = tmp_path / "data"
    shutil.copytree(REPO / "data", data)
    change(data)
    before = snapshot(published / "var")
    capsys.readouterr()
    code = cli.main(["--config", str(write_config(published, data)), "build"])
    err = capsys.readouterr().err
    assert code == cli.EXIT_INVALID
    assert "nothing was published" in err
    for word in words:
        assert word in err, f"{word!r} not in:\n{err}"
    assert snapshot(published / "var") == before


@pytest.mark.parametrize("cases", [
    ("malformed row (too many cells)", "duplicate identifier", "reference to a person not in persons.csv",
     "impossible date 1925-02-30"),
    ("bounds that disagree with the printed date", "both person and organisation as sender",
     "office ending before it starts")], ids=["schema", "rows"])
def test_tables_checked_in_processes_report_what_one_process_does(cases, edition_copy):
    """Several tables spoiled at once: checked a table per process, every problem is reported, in
    the same order as by one process (the package's order of tables, then by row)."""
    for case in cases:
        CASES[case][0](edition_copy)
    reports = []
    for processes in (1, 2):
        with pytest.raises(tables.TableError) as raised:
            tables.check(REPO / "data" / "datapackage.yaml", edition_copy, processes)
        reports.append([str(p) for p in raised.value.problems])
    assert reports[0] == reports[1]
    assert {p.split(",")[0] for p in reports[1]} == {f"data/{CASES[case][1][0].split(',')[0]}" for case in cases}


def test_an_interrupted_build_leaves_the_published_release(published, monkeypatch, capsys):
    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt
    monkeypatch.setattr(dumps, "write", interrupt)
    before = snapshot(published / "var")
    assert cli.main(["--config", str(write_config(published, REPO / "data")), "build"]) == cli.EXIT_INVALID
    assert "Interrupted; nothing was published" in capsys.readouterr().err
    assert snapshot(published / "var") == before


def test_a_missing_rml_engine_is_named(published, tmp_path, capsys):
    config = write_config(published, REPO / "data")
    config.write_text(config.read_text().replace(".venv-mapper", "no-such-env"))
    assert cli.main(["--config", str(config), "validate"]) == cli.EXIT_INVALID
    assert "the RML engine's environment is missing" in capsys.readouterr().err


def test_validate_reports_conformance_without_publishing(published, capsys):
    before = snapshot(published / "var")
    assert cli.main(["--config", str(write_config(published, REPO / "data")), "validate"]) == 0
    assert "conform" in capsys.readouterr().err
    assert snapshot(published / "var") == before


def test_a_killed_build_is_swept_and_never_published(published):
    """A build killed outright (no clean-up) leaves .building-*; the next build removes it."""
    var = published / "var"
    stale = var / "releases" / ".building-19990101T000000Z"
    (stale / "store").mkdir(parents=True)
    (stale / "pid").write_text("999999999")  # no such process
    assert not (var / "current").resolve().name.startswith(".building")
    assert cli.main(["--config", str(write_config(published, REPO / "data")), "build"]) == 0
    assert not stale.exists()
    assert not list((var / "releases").glob(".building-*"))
    assert (var / "current").resolve().parent == var / "releases"
