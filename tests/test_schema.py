"""`almanac schema`: the JSON Schemas an editor checks report.yaml, chapter.yaml and
the brand file with. The sample's files validate against them; a typo or a wrong
type fails them as it fails the loader; a number written as text passes both."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft202012Validator
from pydantic import ValidationError

from almanac.project.model import Brand, ChapterData, Manifest

from conftest import ROOT

MODELS = {"report": Manifest, "chapter": ChapterData, "brand": Brand}
FILES = {"report": [ROOT / "report.yaml"],
         "chapter": sorted((ROOT / "chapters").glob("*/chapter.yaml")),
         "brand": [ROOT / "styles" / "brand.yaml"]}


class _Yaml12(yaml.SafeLoader):
    """YAML as an editor's language server reads it (YAML 1.2 core schema): a date
    is a string, as JSON has no dates."""


_Yaml12.yaml_implicit_resolvers = {
    first: [(tag, regex) for tag, regex in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}


def _read(path: Path):
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_Yaml12)


@pytest.fixture(scope="module")
def schemas() -> dict[str, Draft202012Validator]:
    from almanac.cli import main

    found = {}
    for kind in MODELS:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            assert main(["schema", kind]) == 0
        schema = json.loads(out.getvalue())
        Draft202012Validator.check_schema(schema)
        found[kind] = Draft202012Validator(schema)
    return found


def _errors(validator: Draft202012Validator, data) -> list[str]:
    return [f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
            for error in validator.iter_errors(data)]


@pytest.mark.parametrize("kind", list(MODELS))
def test_the_samples_files_validate(schemas, kind):
    for path in FILES[kind]:
        assert _errors(schemas[kind], _read(path)) == [], path


def test_the_schema_names_its_file_and_describes_the_fields(schemas):
    report = schemas["report"].schema
    assert report["$id"] == "urn:almanac:schema:report"
    assert report["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert "report.yaml" in report["title"]
    assert report["properties"]["year"]["description"] == "The year the report is about."
    assert report["additionalProperties"] is False
    chapter = schemas["chapter"].schema
    assert "chapter.yaml" in chapter["title"]


def _report():
    return _read(ROOT / "report.yaml")


def _chapter():
    return _read(ROOT / "chapters" / "03-inzetbaarheid" / "chapter.yaml")


def _first_number(data) -> dict:
    return next(iter(data["numbers"].values()))


def _first_block(data) -> dict:
    return next(section["blocks"][0] for section in data["sections"] if section["blocks"])


def _unknown_key(data):
    data["titel"] = data["title"]


def _wrong_type_year(data):
    data["year"] = "the year"


def _chapters_not_a_list(data):
    data["chapters"] = data["chapters"][0]


def _edition_without_date(data):
    del data["edition"]["date"]


def _number_as_words(data):
    _first_number(data)["value"] = "thirty-five"


def _number_true(data):
    _first_number(data)["value"] = True


def _unknown_unit(data):
    _first_number(data)["unit"] = "kg"


def _unknown_block_type(data):
    _first_block(data)["type"] = "poem"


def _unknown_block_key(data):
    _first_block(data)["colour"] = "red"


def _key_with_capitals(data):
    data["numbers"]["Total"] = _first_number(data)


@pytest.mark.parametrize("kind,read,change", [
    ("report", _report, _unknown_key), ("report", _report, _wrong_type_year),
    ("report", _report, _chapters_not_a_list), ("report", _report, _edition_without_date),
    ("chapter", _chapter, _number_as_words), ("chapter", _chapter, _number_true),
    ("chapter", _chapter, _unknown_unit), ("chapter", _chapter, _unknown_block_type),
    ("chapter", _chapter, _unknown_block_key), ("chapter", _chapter, _key_with_capitals),
], ids=lambda value: getattr(value, "__name__", value).strip("_"))
def test_an_invalid_file_fails_the_schema_and_the_loader(schemas, kind, read, change):
    data = read()
    assert _errors(schemas[kind], data) == []
    change(data)
    assert _errors(schemas[kind], data) != []
    with pytest.raises(ValidationError):
        MODELS[kind].model_validate(data)


def test_a_number_written_as_text_passes_the_schema_and_the_loader(schemas):
    data = _chapter()
    number = _first_number(data)
    number["value"] = f" {number['value']} "
    report = _report()
    report["year"] = str(report["year"])
    for kind, changed in (("chapter", data), ("report", report)):
        assert _errors(schemas[kind], changed) == []
        MODELS[kind].model_validate(changed)


def test_schema_to_a_file(tmp_path, cli):
    target = tmp_path / "editor" / "chapter.schema.json"
    written = cli("schema", "chapter", "-o", str(target))
    assert written.returncode == 0 and written.stdout == "", written.stderr
    printed = cli("schema", "chapter")
    assert json.loads(target.read_text(encoding="utf-8")) == json.loads(printed.stdout)
    refused = cli("schema", "-o", str(tmp_path))  # a folder
    assert refused.returncode == 1 and f"{tmp_path}" in refused.stderr
    assert "Traceback" not in refused.stderr


def test_the_report_schema_takes_the_archive_and_a_plain_changelog_entry(schemas):
    """An editor checking report.yaml accepts what loading accepts: ``archive:`` with
    its folder and timestamp authority, and changelog entries written as plain text."""
    report = _read(ROOT / "report.yaml")
    report["archive"] = {"folder": "records/editions", "timestamp_url": "https://tsa.example/"}
    for changes in ("Corrected table 3.", ["Corrected table 3.", {
            "version": "1.0", "date": "2022-05-01", "text": "First edition."}]):
        report["edition"]["changes"] = changes
        assert _errors(schemas["report"], report) == []
    report["edition"]["changes"] = [{"text": "no version"}]
    assert _errors(schemas["report"], report)
