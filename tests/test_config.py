from pathlib import Path

import pytest

from lod.config import Config, ConfigError, load


def test_missing_file_gives_typed_defaults(tmp_path: Path):
    config = load(tmp_path / "absent.toml")
    assert config.dataset.base_iri == "http://localhost:8080/"
    assert config.mapper.processes == 2 and isinstance(config.paths.var, Path)


def test_file_values_override_defaults_and_paths_resolve_against_it(tmp_path: Path):
    (tmp_path / "lod.toml").write_text('[dataset]\nbase_iri = "https://example.org/x/"\n[paths]\nvar = "out"\n')
    config = load(tmp_path / "lod.toml")
    assert config.dataset.base_iri == "https://example.org/x/"
    assert config.path("var") == (tmp_path / "out").resolve()


@pytest.mark.parametrize("text, words", [
    ("[dataset]\nbase = 'x'\n", "unknown key 'base'"),
    ("[datasets]\n", "unknown section [datasets]"),
    ("[mapper]\nprocesses = 'two'\n", "expected int"),
    ("[dataset]\nbase_iri = 'http://example.org'\n", "must end with '/'"),
    ("[dataset\n", "not valid TOML"),
    ("[releases]\nkeep_stores = 0\n", "keep_stores must be at least 1"),
    ("[build]\nprocesses = 0\n", "[build].processes must be at least 1"),
    ("[dataset]\nkeywords = [1]\n", "expected tuple"),
    ("[store]\nbackend = 'virtuoso'\n", "'virtuoso' is not one of embedded, remote"),
    ("[store]\nbackend = 'remote'\nquery = 'http://x/sparql'\n", "needs the endpoint URLs update, graph_store"),
    ("[store]\nbackend = 'remote'\nquery = 'q'\nupdate = 'u'\ngraph_store = 'g'\nalternate_query = 'q2'\n",
     "a second engine needs all of alternate_query, alternate_update, alternate_graph_store"),
    ("[store]\nbackend = 'remote'\nquery = 'q'\nupdate = 'u'\ngraph_store = 'g'\nafter_load = ['restart']\n",
     "after_load needs a second engine"),
    ("[store]\nbackend = 'remote'\nquery = 'q'\nupdate = 'u'\ngraph_store = 'g'\nloader = ['load']\n"
     "loader_dir = 'var/load'\n", "loader needs loader_dir: the absolute path of a folder the engine can read"),
])
def test_bad_configuration_names_the_key(tmp_path: Path, text: str, words: str):
    (tmp_path / "lod.toml").write_text(text)
    with pytest.raises(ConfigError, match=words.replace("[", r"\[")):
        load(tmp_path / "lod.toml")


def test_repository_configuration_loads():
    assert isinstance(load(Path(__file__).resolve().parents[1] / "lod.toml"), Config)
