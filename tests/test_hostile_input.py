"""Hostile and broken input: every case gives the exact expected outcome, never a traceback, and the batch goes on.

Small inputs live in ``tests/data/hostile/``; big ones (zip bombs, 10,000 locations, a 1 MB description,
100,000 nested arrays) are generated here in ``tmp_path``. Each conversion runs the real CLI with a good
corpus record in the same batch and checks that record was still converted.
"""

from __future__ import annotations

import io
import json
import time
import zipfile
from pathlib import Path

import pytest
from conftest import CORPUS, DATA, Ran
from conftest import cli as run_cli

HOSTILE = DATA / "hostile"
GOOD = CORPUS[0]
ODM = ("odm-1.3.2", "odm-2.0")
FHIR = ("fhir-r5", "fhir-r4")
EVERY = ("model", *ODM, *FHIR)
SUFFIX = {"model": "model.json", "odm-1.3.2": "odm-1.3.2.xml", "odm-2.0": "odm-2.0.xml",
          "fhir-r5": "fhir-r5.json", "fhir-r4": "fhir-r4.json"}


class Run:
    """One CLI run: exit code, stderr lines, error lines and the output folder."""

    def __init__(self, proc: Ran, out: Path) -> None:
        self.code = proc.returncode
        self.err = proc.stderr
        self.stdout = proc.stdout
        self.lines = self.err.splitlines()
        self.errors = [line for line in self.lines if " error " in line]
        self.out = out

    def written(self, study: str, targets: tuple[str, ...] = ("model",)) -> bool:
        return all((self.out / f"{study}.{SUFFIX[t]}").is_file() for t in targets)


def cli(*args: str, cwd: Path | None = None) -> Ran:
    return run_cli(*args, cwd=cwd, env={"SOURCE_DATE_EPOCH": "1700000000"})


def convert(tmp_path: Path, *inputs: Path, targets: tuple[str, ...] = ("model",), cwd: Path | None = None,
            extra: tuple[str, ...] = ()) -> Run:
    """Convert ``inputs`` plus the good corpus record; check what every hostile run must satisfy."""
    out = tmp_path / "out"
    to = [a for t in targets for a in ("--to", t)]
    run = Run(cli("convert", *map(str, inputs), str(GOOD), *to, "-o", str(out), "-j", "1", *extra, cwd=cwd), out)
    assert "Traceback" not in run.err, run.err
    assert run.written(GOOD.stem, targets), run.err  # the good record of the batch still converted
    return run


def one_error(run: Run) -> str:
    assert run.code == 1, run.err
    assert len(run.errors) == 1, run.err
    return run.errors[0]


# --- files that cannot be read: exit 1, exactly this one line --------------------------------------------------

UNREADABLE = {
    "malformed.json": ":1:69: error READ-JSON: malformed JSON: trailing comma is not allowed",
    "truncated.json": ":38:3: error READ-JSON: malformed JSON: unexpected end of data",
    "non-utf8.json": ": error READ-ENCODING: not UTF-8 text: invalid byte 0xe9 at offset 133",
    "empty.json": ": error READ-EMPTY: empty file: expected a study record, a page of studies or a trial definition",
    "binary.bin": ": error READ-BINARY: binary file (contains NUL bytes): expected JSON, YAML or study-page text",
    "no-id.json": ": identification.nct_id: error READ-NO-ID: record has no NCT id and no org study id",
    "yaml-alias-bomb.yaml": ": error READ-YAML: YAML aliases expand to more than 1000000 values "
                            "(refused as a possible alias bomb)",
}


@pytest.mark.parametrize("name", sorted(UNREADABLE))
def test_unreadable_file_is_one_exact_line(name: str, tmp_path: Path) -> None:
    path = HOSTILE / name
    assert one_error(convert(tmp_path, path)) == f"{path}{UNREADABLE[name]}"


def test_yaml_python_tag_is_refused_and_nothing_runs(tmp_path: Path) -> None:
    path = HOSTILE / "yaml-python-tag.yaml"
    run = convert(tmp_path, path, cwd=tmp_path)
    assert one_error(run) == (f"{path}:2:11: error READ-YAML: malformed YAML: could not determine a constructor for "
                              "the tag 'tag:yaml.org,2002:python/object/apply:os.system'")
    assert not (tmp_path / "pwned.txt").exists()


def test_yaml_too_many_aliases(tmp_path: Path) -> None:
    path = tmp_path / "aliases.yaml"
    path.write_text("identification:\n  nct_id: &id NCT99000020\nextras:\n  ids: [" + ", ".join(["*id"] * 101) + "]\n")
    assert one_error(convert(tmp_path, path)) == (
        f"{path}: error READ-YAML: YAML uses more than 100 aliases (refused as a possible alias bomb)")


def test_yaml_recursive_alias(tmp_path: Path) -> None:
    path = tmp_path / "loop.yaml"
    path.write_text("identification:\n  nct_id: NCT99000021\nextras:\n  loop: &a [*a]\n")
    assert one_error(convert(tmp_path, path)) == (
        f"{path}: error READ-YAML: YAML alias refers to its own anchor (recursive structure): refused")


def test_deeply_nested_json_is_a_clean_error(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_bytes(b"[" * 100_000 + b"]" * 100_000)
    assert one_error(convert(tmp_path, path)) == f"{path}:1:1026: error READ-JSON: malformed JSON: depth limit exceeded"


def test_nested_deeper_than_the_writers_can_serialize(tmp_path: Path) -> None:
    study = json.loads((HOSTILE / "unknown-enums.json").read_bytes())
    nested: list = []
    for _ in range(300):
        nested = [nested]
    study["protocolSection"]["futureModule"] = nested
    path = tmp_path / "deep300.json"
    path.write_text(json.dumps(study))
    line = one_error(convert(tmp_path, path, targets=("model", *ODM)))
    assert line.startswith(f"{path}: record NCT99000008: protocolSection.futureModule[0][0]")
    assert line.endswith(": error READ-DEPTH: record nested more than 64 levels deep: refused")


def test_deeply_nested_yaml_is_a_clean_error(tmp_path: Path) -> None:
    path = tmp_path / "deep.yaml"
    path.write_text("identification:\n  nct_id: NCT99000022\nextras:\n  x: " + "[" * 100_000 + "]" * 100_000 + "\n")
    assert one_error(convert(tmp_path, path)) == (
        f"{path}:4:1004: error READ-YAML: malformed YAML: exceeded maximum nesting depth")


# --- containers: NDJSON and zips -------------------------------------------------------------------------------


def test_ndjson_broken_line_the_others_convert(tmp_path: Path) -> None:
    path = HOSTILE / "broken-line.ndjson"
    run = convert(tmp_path, path)
    assert one_error(run) == f"{path}:2:1: record line 2: error READ-JSON: malformed JSON: unexpected end of data"
    assert run.written("NCT99000005") and run.written("NCT99000006")


def _study(nct: str) -> bytes:
    study = json.loads((HOSTILE / "unknown-enums.json").read_bytes())
    study["protocolSection"]["identificationModule"]["nctId"] = nct
    study["protocolSection"]["statusModule"]["overallStatus"] = "RECRUITING"
    study["protocolSection"]["designModule"]["phases"] = ["PHASE2"]
    return json.dumps(study).encode()


def test_zip_corrupt_member_the_others_convert(tmp_path: Path) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for i in (1, 2, 3):
            zf.writestr(f"NCT9900003{i}.json", _study(f"NCT9900003{i}"))
    data = bytearray(buf.getvalue())
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as zf:
        info = zf.getinfo("NCT99000032.json")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    for i in range(start + 10, start + 60):  # damage the deflate stream of the middle member
        data[i] ^= 0xFF
    path = tmp_path / "studies.zip"
    path.write_bytes(bytes(data))
    run = convert(tmp_path, path)
    line = one_error(run)
    assert line.startswith(f"{path}: record NCT99000032.json: error READ-ZIP: corrupt zip member: "), line
    assert run.written("NCT99000031") and run.written("NCT99000033") and not run.written("NCT99000032")


def test_zip_path_traversal_is_refused_and_nothing_written_outside(tmp_path: Path) -> None:
    work = tmp_path / "a" / "b"
    work.mkdir(parents=True)
    path = tmp_path / "evil.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("../../x.json", _study("NCT99000041"))
        zf.writestr("/abs.json", _study("NCT99000042"))
        zf.writestr("ok.json", _study("NCT99000043"))
    before = set(tmp_path.rglob("*"))
    run = convert(tmp_path, path, cwd=work)
    assert run.code == 1
    assert run.errors == [
        f"{path}: record ../../x.json: error READ-ZIP-NAME: unsafe member name (absolute or '..' path): refused",
        f"{path}: record /abs.json: error READ-ZIP-NAME: unsafe member name (absolute or '..' path): refused",
    ], run.err
    assert run.written("NCT99000043")
    created = {p for p in set(tmp_path.rglob("*")) - before if run.out not in (p, *p.parents)}
    assert created == set(), created  # nothing outside -o


def _bomb(tmp_path: Path, size: int = 2 * 1024 * 1024) -> tuple[Path, zipfile.ZipInfo]:
    path = tmp_path / "bomb.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("bomb.json", b"[" + b" " * (size - 2) + b"]")
        zf.writestr("ok.json", _study("NCT99000051"))
    with zipfile.ZipFile(path) as zf:
        return path, zf.getinfo("bomb.json")


def test_zip_bomb_is_refused_by_ratio(tmp_path: Path) -> None:
    path, info = _bomb(tmp_path)
    run = convert(tmp_path, path)
    assert one_error(run) == (
        f"{path}: record bomb.json: error READ-ZIP-BOMB: member expands to {info.file_size} bytes from "
        f"{info.compress_size} (limit 268435456 bytes, ratio 200): refused")
    assert run.written("NCT99000051")


def test_zip_bomb_is_never_inflated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The limit is checked on the directory entry: the bomb member is never opened."""
    from trialexport.readers import read_bytes

    path, _ = _bomb(tmp_path)
    opened: list[str] = []
    real_open = zipfile.ZipFile.open

    def spy(self: zipfile.ZipFile, name: str | zipfile.ZipInfo, *args: object, **kwargs: object) -> object:
        opened.append(name.filename if isinstance(name, zipfile.ZipInfo) else name)
        return real_open(self, name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(zipfile.ZipFile, "open", spy)
    results = list(read_bytes(path.read_bytes()))
    assert opened == ["ok.json"]
    assert [d.code for r in results for d in r.diagnostics if d.is_error] == ["READ-ZIP-BOMB"]


def test_zip_member_larger_than_its_header_says(tmp_path: Path) -> None:
    """A member whose directory entry understates its size is cut at that size and fails its CRC check."""
    from trialexport.readers import read_bytes

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("liar.json", b"[" + b" " * (8 * 1024 * 1024) + b"]")
    data = bytearray(buf.getvalue())
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as zf:
        info = zf.getinfo("liar.json")
    true_size = info.file_size.to_bytes(4, "little")
    data = bytearray(bytes(data).replace(true_size, (100).to_bytes(4, "little")))  # local + central headers
    (res,) = list(read_bytes(bytes(data), name="liar.zip"))
    assert [d.format_text() for d in res.diagnostics] == [
        "liar.zip: record liar.json: error READ-ZIP: corrupt zip member: Bad CRC-32 for file 'liar.json'"]


# --- records with odd values: converted with a warning (exit 0), every format valid -------------------------------

WARNED = {
    "bom.json": ("NCT99000003", ["warning READ-BOM: file starts with a UTF-8 byte-order mark (ignored)"]),
    "unknown-enums.json": ("NCT99000008", [
        "status.overall_status: warning MAP-UNKNOWN-CODE: registry value 'PAUSED' is not in "
        "mappings/crosswalks/overall_status.csv: kept as text [fhir-r5, fhir-r4]",
        "design.phases: warning MAP-UNKNOWN-CODE: registry value 'PHASE5' is not in "
        "mappings/crosswalks/phase.csv: kept as text [odm-1.3.2, odm-2.0, fhir-r5, fhir-r4]",
    ]),
    "dates.json": ("NCT99000009", [
        "protocolSection.statusModule.startDateStruct: warning READ-VALUE: impossible date '2019-02-30': "
        "day is out of range for month; kept in extras, not in the model",
        "protocolSection.statusModule.primaryCompletionDateStruct: warning READ-VALUE: impossible date '2019-13': "
        "month must be in 1..12; kept in extras, not in the model",
    ]),
    "enrollment-negative.json": ("NCT99000010", [
        "protocolSection.designModule.enrollmentInfo.count: warning READ-VALUE: Input should be greater than or "
        "equal to 0 (got -5); kept in extras['protocolSection.designModule.enrollmentInfo.count'], not in the model",
    ]),
    "enrollment-absurd.json": ("NCT99000011", [
        "protocolSection.designModule.enrollmentInfo.count: warning READ-VALUE: Input should be less than or equal "
        "to 2147483647 (got 1000000000000); kept in extras['protocolSection.designModule.enrollmentInfo.count'], "
        "not in the model",
    ]),
    "ages.json": ("NCT99000012", [
        "protocolSection.eligibilityModule.maximumAge: warning READ-VALUE: expected an age like '18 Years', "
        "got 'N/A'; kept in extras, not in the model",
    ]),
    "criteria-no-headings.json": ("NCT99000013", [
        "eligibility.criteria_text: warning READ-CRITERIA: no 'Inclusion Criteria'/'Exclusion Criteria' heading: "
        "criteria taken as inclusion criteria",
    ]),
}


@pytest.mark.parametrize("name", sorted(WARNED))
def test_odd_values_convert_with_a_warning_to_every_format(name: str, tmp_path: Path) -> None:
    path = HOSTILE / name
    study, warnings = WARNED[name]
    run = convert(tmp_path, path, targets=EVERY)
    assert run.code == 0 and run.errors == [], run.err
    for text in warnings:
        assert f"{path}: record {study}: {text}" in run.lines, (text, run.err)
    assert run.written(study, EVERY), run.err


def _model(run: Run, study: str) -> dict:
    return json.loads((run.out / f"{study}.model.json").read_bytes())


def test_values_are_kept_where_the_model_has_no_place(tmp_path: Path) -> None:
    paths = [HOSTILE / n for n in ("unknown-enums.json", "dates.json", "enrollment-absurd.json", "ages.json")]
    run = convert(tmp_path, *paths)
    assert run.code == 0, run.err
    enums = _model(run, "NCT99000008")
    assert enums["design"]["phases"] == ["PHASE5"] and enums["status"]["overall_status"] == "PAUSED"
    dates = _model(run, "NCT99000009")
    assert dates["status"]["completion_date"] == {"date": "2019", "type": "ESTIMATED"}  # year precision kept
    assert dates["extras"]["protocolSection.statusModule.startDateStruct"] == {"date": "2019-02-30", "type": "ACTUAL"}
    assert dates["extras"]["protocolSection.statusModule.primaryCompletionDateStruct"]["date"] == "2019-13"
    assert _model(run, "NCT99000011")["extras"]["protocolSection.designModule.enrollmentInfo.count"] == 10**12
    ages = _model(run, "NCT99000012")
    assert ages["eligibility"]["minimum_age"] == {"value": 6, "unit": "months"}
    assert ages["extras"]["protocolSection.eligibilityModule.maximumAge"] == "N/A"


def test_duplicate_id_first_wins(tmp_path: Path) -> None:
    path = HOSTILE / "duplicate.json"
    run = convert(tmp_path, path)
    assert one_error(run) == (f"{path}: record #2 NCT99000007: error READ-DUPLICATE: duplicate study id NCT99000007: "
                              f"the copy from {path} #1 NCT99000007 is kept, this one is not newer "
                              "(last update unknown; kept copy unknown)")
    assert _model(run, "NCT99000007")["identification"]["brief_title"] == "Hostile input case NCT99000007"


# --- characters XML 1.0 forbids ------------------------------------------------------------------------------------


def _xml_valid(run: Run, study: str) -> None:
    from trialexport.validate_files import validate_file

    for target in ODM:
        out = run.out / f"{study}.{SUFFIX[target]}"
        assert validate_file(str(out)).status == "valid", target
        assert "\ufffd" in out.read_text(encoding="utf-8")


def test_xml_forbidden_characters_are_replaced_and_reported(tmp_path: Path) -> None:
    path = HOSTILE / "xml-forbidden-chars.json"
    report = tmp_path / "report.json"
    run = convert(tmp_path, path, targets=("model", *ODM), extra=("--report", str(report)))
    assert run.code == 0 and run.errors == [], run.err
    assert (f"{path}: record NCT99000014: description.brief_summary: warning MAP-XML-CHAR: characters XML 1.0 "
            "forbids replaced with U+FFFD: U+000B, U+FFFE [odm-1.3.2, odm-2.0]") in run.lines
    _xml_valid(run, "NCT99000014")
    assert "\u000b" in _model(run, "NCT99000014")["description"]["brief_summary"]  # the model keeps the text
    codes = [d["code"] for r in json.loads(report.read_bytes())["records"] for d in r["diagnostics"]]
    assert codes.count("MAP-XML-CHAR") == 1  # once, naming both ODM versions


def test_xml_forbidden_characters_fhir(tmp_path: Path) -> None:
    from trialexport.validate_files import validate_file

    path = HOSTILE / "xml-forbidden-chars.json"
    run = convert(tmp_path, path, targets=FHIR)
    assert run.code == 0 and run.errors == [], run.err
    assert (f"{path}: record NCT99000014: description.brief_summary: warning MAP-FHIR-CHAR: characters FHIR "
            "strings forbid replaced with U+FFFD: U+000B, U+FFFE [fhir-r5, fhir-r4]") in run.lines
    for target in FHIR:
        out = run.out / f"NCT99000014.{SUFFIX[target]}"
        assert validate_file(str(out)).status == "valid", target


def test_lone_surrogate_is_replaced_and_reported(tmp_path: Path) -> None:
    path = HOSTILE / "lone-surrogate.json"
    report = tmp_path / "report.json"
    run = convert(tmp_path, path, targets=EVERY, extra=("--report", str(report)))
    assert run.code == 0 and run.errors == [], run.err
    assert (f"{path}: record NCT99000015: protocolSection.descriptionModule.briefSummary: warning READ-SURROGATE: "
            "lone surrogate(s) U+D800 replaced with U+FFFD") in run.lines
    assert _model(run, "NCT99000015")["description"]["brief_summary"] == "lone \ufffd surrogate"
    assert run.written("NCT99000015", EVERY)
    codes = [d["code"] for r in json.loads(report.read_bytes())["records"] for d in r["diagnostics"]]
    assert "READ-SURROGATE" in codes


# --- size ----------------------------------------------------------------------------------------------------------


def test_one_megabyte_description(tmp_path: Path) -> None:
    study = json.loads(_study("NCT99000061"))
    text = ("Lorem ipsum dolor sit amet, consectetur adipiscing elit. " * 20_000)[: 1024 * 1024]
    study["protocolSection"]["descriptionModule"] = {"briefSummary": "Short.", "detailedDescription": text}
    path = tmp_path / "big.json"
    path.write_text(json.dumps(study))
    run = convert(tmp_path, path, targets=EVERY)
    assert run.code == 0 and run.errors == [], run.err
    assert run.written("NCT99000061", EVERY)
    assert _model(run, "NCT99000061")["description"]["detailed_description"] == text


def test_ten_thousand_locations_in_reasonable_time(tmp_path: Path) -> None:
    study = json.loads(_study("NCT99000071"))
    study["protocolSection"]["contactsLocationsModule"] = {"locations": [
        {"facility": f"Site {i}", "city": "Lyon", "country": "France", "status": "RECRUITING",
         "geoPoint": {"lat": 45.75, "lon": 4.85}} for i in range(10_000)]}
    path = tmp_path / "sites.json"
    path.write_text(json.dumps(study))
    start = time.perf_counter()
    run = convert(tmp_path, path, targets=("model", *ODM))
    elapsed = time.perf_counter() - start
    assert run.code == 0 and run.errors == [], run.err
    assert len(_model(run, "NCT99000071")["locations"]) == 10_000
    assert elapsed < 30, elapsed


# --- XML given to `trialexport validate` ---------------------------------------------------------------------------

XML_UNSAFE = {
    "xxe.xml": ":2:15: error XML-UNSAFE: unsafe XML rejected: DOCTYPE ODM has an internal subset "
               "(entity/markup declarations); DTDs and entity declarations are not allowed",
    "external-dtd.xml": ":2:54: error XML-UNSAFE: unsafe XML rejected: DOCTYPE ODM refers to an external DTD "
                        "('http://example.invalid/odm.dtd'); DTDs and entity declarations are not allowed",
    "billion-laughs.xml": ":2:15: error XML-UNSAFE: unsafe XML rejected: DOCTYPE ODM has an internal subset "
                          "(entity/markup declarations); DTDs and entity declarations are not allowed",
}


@pytest.mark.parametrize("name", sorted(XML_UNSAFE))
def test_validate_rejects_unsafe_xml(name: str) -> None:
    path = HOSTILE / name
    proc = cli("validate", str(path))
    out, err = proc.stdout, proc.stderr
    assert proc.returncode == 1 and "Traceback" not in err
    assert out.splitlines() == [f"{path}: INVALID: XML", f"{path}{XML_UNSAFE[name]}"]
    assert "root:" not in out and "lollol" not in out  # nothing expanded
