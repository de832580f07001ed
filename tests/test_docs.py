"""Docs tests: docs/scenario.md, docs/results.md and docs/experiments.md stay true to the code.

Every key of the scenario and experiment schemas is listed with its default, every column of
every table, every KPI and every file of a results folder is defined, and the examples on the
pages (console commands, TOML, Python) run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import shlex
import tomllib
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import annotated_types
import pytest
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from flexsim import cli, limits, metrics, stats, vocabulary
from flexsim.dists import DIST_NAMES, Deterministic
from flexsim.experiment import ExperimentError, load_experiment, runner
from flexsim.experiment.design import FACTORS, ExperimentFile
from flexsim.records import TABLES
from flexsim.run import run
from flexsim.scenario import Scenario, builtin_names, load_builtin, validate

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
PAGES = ("scenario.md", "results.md", "experiments.md")
# Appended to documented `flexsim run` commands so that the examples run in a moment.
SHORT_RUN = ["--set", "horizon_days=200", "--set", "warmup_days=20"]


def page(name: str) -> str:
    return (DOCS / name).read_text("utf-8")


# --- reading markdown -------------------------------------------------------------------------


def prose_lines(text: str) -> Iterator[tuple[int, str]]:
    """(index, line) of the lines outside fenced code blocks."""
    fenced = False
    for i, line in enumerate(text.splitlines()):
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced:
            yield i, line


def code_blocks(text: str, language: str) -> list[str]:
    """The contents of the ```language fenced blocks, in order."""
    pattern = rf"^```{re.escape(language)}\n(.*?)^```$"
    return re.findall(pattern, text, flags=re.DOTALL | re.MULTILINE)


def section(text: str, marker: str, nested: bool = False) -> str:
    """The text under the one heading containing `marker`, up to the next heading, or with
    `nested` up to the next heading of the same or a higher level (subsections included)."""
    lines = text.splitlines()
    headings = [i for i, line in prose_lines(text) if line.startswith("#")]
    found = [i for i in headings if marker in lines[i]]
    assert len(found) == 1, f"expected one heading containing {marker!r}, found {len(found)}"
    level = len(lines[found[0]]) - len(lines[found[0]].lstrip("#"))
    later = [
        i
        for i in headings
        if i > found[0] and (not nested or len(lines[i]) - len(lines[i].lstrip("#")) <= level)
    ]
    return "\n".join(lines[found[0] + 1 : later[0] if later else len(lines)])


def table_rows(text: str) -> dict[str, dict[str, str]]:
    """Rows of the markdown tables in `text` whose first cell is `code`: key → column → cell."""
    rows: dict[str, dict[str, str]] = {}
    header: list[str] = []
    for _, line in prose_lines(text):
        if not line.startswith("|"):
            header = []
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        match = re.fullmatch(r"`([^`]+)`", cells[0])
        if not header:
            header = cells
        elif match:
            rows[match[1]] = dict(zip(header, cells, strict=False))
    return rows


# --- reading the schema -----------------------------------------------------------------------


def schema_models(root: type[BaseModel] = Scenario) -> list[type[BaseModel]]:
    """Every pydantic model reachable from `root` through field annotations, in walk order."""
    found: list[type[BaseModel]] = []

    def walk(annotation: Any) -> None:
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            if annotation not in found:
                found.append(annotation)
                for field in annotation.model_fields.values():
                    walk(field.annotation)
            return
        for arg in typing.get_args(annotation):
            walk(arg)

    walk(root)
    return found


def is_dist(model: type[BaseModel]) -> bool:
    return "dist" in model.model_fields


def dist_tag(model: type[BaseModel]) -> str:
    (tag,) = typing.get_args(model.model_fields["dist"].annotation)
    return str(tag)


def literal_options(annotation: Any) -> list[str]:
    """The string choices of a Literal inside an annotation (list[Literal[…]] included)."""
    if typing.get_origin(annotation) is typing.Literal:
        return [str(arg) for arg in typing.get_args(annotation)]
    return [opt for arg in typing.get_args(annotation) for opt in literal_options(arg)]


def toml_text(value: Any) -> str:
    """A default value as it is written in the docs: TOML, with a deterministic spec written
    as its bare number and a model as an inline table of only the keys it sets itself."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Deterministic):
        return toml_text(value.value)
    if isinstance(value, BaseModel):
        fields = [key for key in type(value).model_fields if key in value.model_fields_set]
        return toml_text({key: getattr(value, key) for key in fields})
    if isinstance(value, dict):
        if not value:
            return "{}"
        return "{ " + ", ".join(f"{k} = {toml_text(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list):
        return "[" + ", ".join(toml_text(item) for item in value) + "]"
    raise TypeError(f"no TOML rendering for {value!r}")


def default_of(field: FieldInfo) -> Any:
    if field.default_factory is not None:
        return field.default_factory()  # type: ignore[call-arg]
    return field.default


# --- docs/scenario.md and docs/experiments.md: the schemas ----------------------------------------


def test_schema_walk_reaches_every_kind_of_model() -> None:
    names = {model.__name__ for model in schema_models()}
    expected = {"Scenario", "CalendarSpec", "Shift", "Channels", "EcommerceChannel", "FactorySpec"}
    expected |= {"OfflineChannel", "PaymentSpec", "SellersSpec", "ReorderSpec"}
    expected |= {"LineSpec", "Changeover", "CustomerSpec", "Exponential", "Gamma", "Erlang"}
    assert expected <= names
    assert {dist_tag(m) for m in schema_models() if is_dist(m)} == set(DIST_NAMES)


def test_every_schema_key_appears_in_scenario_md() -> None:
    text = page("scenario.md")
    missing = {
        f"{model.__name__}.{key}"
        for model in schema_models()
        for key in model.model_fields
        if f"`{key}`" not in text
    }
    assert not missing, f"keys not documented in docs/scenario.md: {sorted(missing)}"


# Each documented model with the page whose section `MODEL` lists its keys.
DOCUMENTED = [("scenario.md", m) for m in schema_models() if not is_dist(m)]
DOCUMENTED += [("experiments.md", m) for m in schema_models(ExperimentFile)]
documented = pytest.mark.parametrize(
    ("name", "model"), DOCUMENTED, ids=[f"{name}:{m.__name__}" for name, m in DOCUMENTED]
)


@documented
def test_each_section_lists_exactly_its_models_keys(name: str, model: type[BaseModel]) -> None:
    rows = table_rows(section(page(name), f"`{model.__name__}`"))
    assert list(rows) == list(model.model_fields), "keys missing, extra, or out of order"


@documented
def test_documented_defaults_match_the_schema(name: str, model: type[BaseModel]) -> None:
    rows = table_rows(section(page(name), f"`{model.__name__}`"))
    for key, field in model.model_fields.items():
        assert key in rows, f"{model.__name__}.{key} has no row in docs/{name}"
        cell = rows[key]["default"]
        if field.is_required():
            assert cell == "required", f"{model.__name__}.{key} is required, docs say {cell}"
            continue
        value = default_of(field)
        if value is None:
            assert "none" in cell.lower(), f"{model.__name__}.{key}: default is none"
        else:
            expected = f"`{toml_text(value)}`"
            assert expected in cell, f"{model.__name__}.{key}: default {expected}, docs {cell}"


@documented
def test_every_choice_is_listed_in_its_keys_row(name: str, model: type[BaseModel]) -> None:
    rows = table_rows(section(page(name), f"`{model.__name__}`"))
    for key, field in model.model_fields.items():
        row = " ".join(rows.get(key, {}).values())
        for option in literal_options(field.annotation):
            assert f'`"{option}"`' in row, f"{model.__name__}.{key}: choice {option!r}"


def upper_bound(field: FieldInfo) -> float | None:
    """The greatest value a field may take by its validation rules (of X when it is X | None)."""
    rules = list(field.metadata)
    for member in typing.get_args(field.annotation):
        rules += [r for info in typing.get_args(member)[1:] for r in getattr(info, "metadata", [])]
    highs = [float(rule.le) for rule in rules if isinstance(rule, annotated_types.Le)]
    return min(highs) if highs else None


GENERIC_BOUNDS = (limits.MAX_NUMBER, limits.MAX_HORIZON_DAYS, 1.0)  # in Limits; shares


@pytest.mark.parametrize("model", schema_models(), ids=lambda m: m.__name__)
def test_every_particular_bound_is_in_its_keys_row(model: type[BaseModel]) -> None:
    """A bound other than the general ones of the Limits section is written where the key is."""
    rows = table_rows(
        section(page("scenario.md"), "## Conventions" if is_dist(model) else f"`{model.__name__}`")
    )
    for key, field in model.model_fields.items():
        high = upper_bound(field)
        if high is None or high in GENERIC_BOUNDS:
            continue
        row = rows[dist_tag(model)]["parameters"] if is_dist(model) else rows[key]["type"]
        text = f"{high:,.0f}" if high.is_integer() else f"{high:g}"
        assert text in row, f"{model.__name__}.{key}: at most {text}, docs {row!r}"


def test_the_limits_section_states_the_limits() -> None:
    text = " ".join(section(page("scenario.md"), "### Limits").split())
    guard = " ".join(section(page("scenario.md"), "The engine's guard").split())
    for phrase in [
        f"at most {limits.MAX_FILE_BYTES // 2**20} MiB",
        f"nest at most {limits.MAX_NESTING} deep",
        f"At most {limits.MAX_BUYERS:,} buyers",
        f"at most {limits.MAX_FACTORY_COPIES:,} factories (after `count`)",
        f"are at most {limits.MAX_CUSTOMER_ITEMS:,}",
        f"is at most {limits.MAX_HORIZON_DAYS:,.0f}, the longest horizon",
        f"at most {limits.MAX_NAME_CHARS} characters",
        f"launches at most {limits.MAX_LAUNCHES_PER_WEEK:,.0f} items a week",
        f"by at most {limits.MAX_FACTOR:.0f}",
        f"at most {limits.MAX_REMAKES} times",
        f"at most {limits.MAX_BOOKING_DAYS:.0f} days ahead",
        f"`finance.interest_days` at least {limits.MIN_INTEREST_DAYS:.0f} day",
        f"rate is at most {limits.MAX_RATE_PER_YEAR:g} (100 % a year)",
    ]:
        assert phrase in text, phrase
    assert limits.MIN_GAP_H == 1 / 60 and "at least one minute" in text
    assert limits.MAX_NUMBER == 1e12 and limits.MIN_POSITIVE == 1e-12 and "10⁻¹²" in text
    for phrase in [
        f"every {limits.GUARD_EVERY:,} events",
        f"{limits.GUARD_EVENTS_PER_BUYER} per buyer",
        f"at least {limits.GUARD_MIN_EVENTS:,}",
        "more than 2N within one simulated hour",
    ]:
        assert phrase in guard, phrase
    validation = " ".join(page("scenario.md").split())
    assert (
        f"the first {limits.MAX_PROBLEMS} problems, each cut to {limits.MAX_PROBLEM_CHARS:,}"
        in validation
    )


def test_every_distribution_is_a_row_with_its_parameters() -> None:
    rows = table_rows(section(page("scenario.md"), "## Conventions"))
    dists = [model for model in schema_models() if is_dist(model)]
    assert set(DIST_NAMES) <= set(rows)
    for model in dists:
        row = " ".join(rows.get(dist_tag(model), {}).values())
        for parameter in model.model_fields:
            if parameter != "dist":
                assert f"`{parameter}`" in row, f"{dist_tag(model)}: parameter {parameter}"


def test_toml_examples_parse_and_the_complete_example_is_valid() -> None:
    blocks = code_blocks(page("scenario.md"), "toml")
    assert blocks, "docs/scenario.md has no ```toml example"
    data = [tomllib.loads(block) for block in blocks]
    complete = validate(data[-1], "docs/scenario.md")
    if complete.name in builtin_names():
        differences = differing_keys(
            complete.model_dump(mode="json"), load_builtin(complete.name).model_dump(mode="json")
        )
        assert not differences, f"the example differs from the built-in at {differences}"


def differing_keys(mine: Any, theirs: Any, where: str = "") -> list[str]:
    """The dotted keys at which two dumped scenarios differ."""
    if isinstance(mine, dict) and isinstance(theirs, dict):
        keys = [*mine, *(k for k in theirs if k not in mine)]
        return [
            key
            for k in keys
            for key in differing_keys(mine.get(k), theirs.get(k), f"{where}.{k}".lstrip("."))
        ]
    if isinstance(mine, list) and isinstance(theirs, list) and len(mine) == len(theirs):
        pairs = enumerate(zip(mine, theirs, strict=True))
        return [key for i, (a, b) in pairs for key in differing_keys(a, b, f"{where}.{i}")]
    return [] if mine == theirs else [f"{where} ({mine!r} here, {theirs!r} built in)"]


# --- console examples on every page ----------------------------------------------------------


def scratch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Work in `tmp_path` as if in the repository's root: its `experiments/` is there, and
    whatever an example writes lands in `tmp_path`."""
    (tmp_path / "experiments").symlink_to(ROOT / "experiments")
    monkeypatch.chdir(tmp_path)


def console_examples(text: str) -> list[tuple[str, list[str]]]:
    """(command, the output lines shown under it) for each `$ flexsim …` in ```console."""
    examples: list[tuple[str, list[str]]] = []
    for block in code_blocks(text, "console"):
        for line in block.splitlines():
            if line.startswith("$ "):
                examples.append((line[2:], []))
            elif examples:
                examples[-1][1].append(line)
    return examples


def shown_in(shown: str, actual: str) -> bool:
    """Whether `actual` contains the shown text, where `…` in it stands for any text."""
    pattern = ".*".join(re.escape(part.strip()) for part in shown.split("…"))
    return re.search(pattern, actual, flags=re.DOTALL) is not None


def collapse(line: str) -> str:
    return " ".join(line.split())


# the examples of scenario.md and experiments.md run scenarios and experiments: 15-20 s each
@pytest.mark.parametrize(
    "name",
    [
        pytest.param(name, marks=[pytest.mark.slow] if name != "results.md" else [])
        for name in PAGES
    ],
)
def test_console_examples_behave_as_shown(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """An example shown with `flexsim: error:` fails with that message; any other succeeds,
    and the lines of its shown output that hold no number appear in the real output (a line
    `…` stands for output left out)."""
    scratch(tmp_path, monkeypatch)
    examples = console_examples(page(name))
    assert examples, f"docs/{name} has no console example"
    for command, shown in examples:
        args = shlex.split(command)
        assert args[0] == "flexsim", command
        error = [line for line in shown if line.startswith("flexsim: error:")]
        if error:
            assert cli.main(args[1:]) == cli.BAD_INPUT, command
            assert shown_in(error[0], capsys.readouterr().err), command
            continue
        extra = SHORT_RUN if args[1] == "run" else []
        assert cli.main(args[1:] + extra) == 0, command
        out = {collapse(line) for line in capsys.readouterr().out.splitlines()}
        for line in shown:
            if not re.search(r"\d", line) and collapse(line) not in ("", "…"):
                assert collapse(line) in out, f"{command}: shown line {line!r} not printed"


# --- docs/results.md --------------------------------------------------------------------------


@pytest.mark.parametrize("table", list(TABLES))
def test_every_column_is_defined(table: str) -> None:
    rows = table_rows(section(page("results.md"), f"`{table}.csv.gz`"))
    assert list(rows) == TABLES[table], f"{table}: columns missing, extra, or out of order"


def test_every_refusal_reason_is_counted_and_defined() -> None:
    """The reasons the model writes on refused orders are exactly vocabulary.REFUSAL_REASONS
    (which the KPIs count), and the `reason` column's row in results.md names each."""
    model = Path(vocabulary.__file__).parent / "model"
    source = "".join(p.read_text("utf-8") for p in model.glob("*.py"))
    names = set(re.findall(r"(?:refused = |return )([A-Z_]+)\b", source))
    words = {getattr(vocabulary, name) for name in names if hasattr(vocabulary, name)}
    written = words - set(vocabulary.ORDER_STATUSES)
    assert written == set(vocabulary.REFUSAL_REASONS)
    reason_row = table_rows(section(page("results.md"), "`orders.csv.gz`"))["reason"]["meaning"]
    assert all(f"`{reason}`" in reason_row for reason in written)


def test_every_column_of_the_derived_tables_is_defined() -> None:
    rows = table_rows(section(page("results.md"), "`cash.csv.gz`"))
    assert list(rows) == ["party", "day", *metrics.CASH_COLUMNS]
    rows = table_rows(section(page("results.md"), "`seller_money.csv.gz`"))
    ledger = run(load_builtin("tao-factory", {"horizon_days": 30, "warmup_days": 5})).tables
    table = metrics.seller_money(ledger["ledger"], 120.0, 720.0, 0.0)
    assert list(rows) == list(table.columns)


def test_every_status_and_state_is_defined() -> None:
    """Each status and state list of the vocabulary is a table under its own heading (others
    anywhere)."""
    text = page("results.md")
    headings = {
        "ORDER_STATUSES": "Order statuses",
        "PAYMENT_STATES": "Payment states",
        "LINE_STATES": "Line states",
    }
    vocabularies = {
        name: value
        for name, value in vars(vocabulary).items()
        if name.endswith(("_STATES", "_STATUSES")) and isinstance(value, tuple)
    }
    assert set(headings) <= set(vocabularies), "vocabulary.py lost a status or state list"
    for name, words in vocabularies.items():
        where = section(text, headings[name]) if name in headings else text
        rows = table_rows(where)
        for word in words:
            assert word in rows, f"{name}: {word!r} has no row in docs/results.md"


def kpi_keys(kpis: dict[str, Any], top: bool = True) -> set[str]:
    """The KPI names in a kpis dict: a dict whose values are all dicts is keyed by labels
    (order kinds, lines), which are data, so only the keys inside its values are names."""
    keys: set[str] = set()
    for key, value in kpis.items():
        if top or not isinstance(value, dict):
            keys.add(key)
        if isinstance(value, dict) and value:
            if all(isinstance(inner, dict) for inner in value.values()):
                for inner in value.values():
                    keys |= kpi_keys(inner, top=False)
            else:
                keys |= kpi_keys(value, top=False)
    return keys


@pytest.mark.parametrize("scenario", ["mm1", "tao-factory"])
def test_every_kpi_is_defined(scenario: str) -> None:
    spec = load_builtin(scenario, {"horizon_days": 200, "warmup_days": 20})
    result = run(spec, 1)
    kpis = metrics.kpis(result.tables, spec.warmup_h, spec.horizon_h, 0.0, spec.channels)
    rows = table_rows(section(page("results.md"), "`kpis.json`", nested=True))
    missing = sorted(kpi_keys(kpis) - set(rows))
    assert not missing, f"KPIs not defined in docs/results.md: {missing}"


@pytest.mark.parametrize("scenario", ["mm1", "tao-factory"])
def test_every_flat_kpi_name_matches_a_documented_pattern(scenario: str) -> None:
    """Each name of metrics.kpi_row is one of the patterns of "Flat KPI names", with its
    section's KPI defined, and its documented example names are real names."""
    spec = load_builtin(scenario, {"horizon_days": 200, "warmup_days": 20})
    result = run(spec, 1)
    kpis = metrics.kpis(result.tables, spec.warmup_h, spec.horizon_h, 0.0, spec.channels)
    row = metrics.kpi_row(kpis)
    patterns = table_rows(section(page("results.md"), "Flat KPI names"))
    keyed = {p.split(".")[0] for p in patterns if p.count(".") >= 2}
    flat = {p.split(".")[0] for p in patterns if p.count(".") == 1}
    defined = table_rows(section(page("results.md"), "`kpis.json`", nested=True))
    for name in row:
        section_name, key, kpi = metrics.split_kpi_name(name)
        assert section_name in (keyed if key else flat), name
        assert kpi in defined, name
    if scenario == "tao-factory":
        examples = " ".join(cells["example"] for cells in patterns.values())
        for example in re.findall(r"`([^`]+)`", examples):
            assert example in row, f"documented example {example} is not a KPI name"


def test_every_file_and_manifest_field_is_defined(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    assert cli.main(["run", "mm1", *SHORT_RUN, "--out", str(out)]) == 0
    text = page("results.md")
    for path in out.iterdir():
        assert f"`{path.name}`" in text, f"file {path.name} not described"
    rows = table_rows(section(text, "`manifest.json`"))
    manifest = json.loads((out / "manifest.json").read_text())
    assert list(rows) == list(manifest), "manifest fields missing, extra, or out of order"


def test_python_examples_run_against_a_short_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The `--out` command of docs/results.md, shortened, then its Python blocks in order;
    the examples assert that what they recompute equals kpis.json."""
    text = page("results.md")
    commands = [c for c, _ in console_examples(text) if "--out" in c]
    assert commands, "docs/results.md shows no `flexsim run … --out DIR` command"
    blocks = code_blocks(text, "python")
    assert blocks, "docs/results.md has no ```python example"
    monkeypatch.chdir(tmp_path)
    assert cli.main(shlex.split(commands[0])[1:] + SHORT_RUN) == 0
    namespace: dict[str, Any] = {"__name__": "docs_example"}
    for block in blocks:
        exec(compile(block, "docs/results.md", "exec"), namespace)


# --- docs/experiments.md ----------------------------------------------------------------------


def test_the_variant_table_lists_its_factors() -> None:
    rows = table_rows(section(page("experiments.md"), "`[variants.NAME]`"))
    assert FACTORS in rows


def command_options(command: str) -> set[str]:
    """The long options of a `flexsim` subcommand, --help left out."""
    (commands,) = [a for a in cli._parser()._actions if isinstance(a, argparse._SubParsersAction)]
    actions = commands.choices[command]._actions
    return {o for a in actions for o in a.option_strings if o.startswith("--")} - {"--help"}


@pytest.mark.parametrize("command", ["compare", "experiment"])
def test_every_option_of_a_command_is_a_row(command: str) -> None:
    rows = table_rows(section(page("experiments.md"), f"`flexsim {command}`"))
    assert {row.split()[0] for row in rows} == command_options(command)


def test_the_complete_example_is_the_shipped_study() -> None:
    complete = section(page("experiments.md"), "A complete example")
    (block,) = code_blocks(complete, "toml")
    path = ROOT / re.findall(r"`(experiments/[^`]+\.toml)`", complete)[0]
    assert block == path.read_text("utf-8"), f"the complete example differs from {path.name}"
    load_experiment(path)


def test_toml_examples_load_or_fail_as_shown(tmp_path: Path) -> None:
    """Each ```toml block is an experiment file, or without an [experiment] table a fragment
    of one; it loads, or fails with an error the page shows."""
    text = page("experiments.md")
    blocks = code_blocks(text, "toml")
    assert len(blocks) > 1, "docs/experiments.md shows fewer TOML examples than expected"
    for i, block in enumerate(blocks):
        whole = "experiment" in tomllib.loads(block)
        path = tmp_path / f"example-{i}.toml"
        path.write_text(block if whole else f'[experiment]\nname = "example"\n{block}', "utf-8")
        try:
            load_experiment(path)
        except ExperimentError as error:
            shown = str(error).removeprefix(f"{path}: ")
            assert shown in text, f"TOML example {i} fails unlike shown: {error}"


def test_every_file_column_and_manifest_field_of_an_experiment_is_defined(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The documented `flexsim experiment … --out DIR`, with 2 replications: every file of DIR,
    the leading columns of runs.csv and summary.csv, and every manifest field, in order."""
    text = page("experiments.md")
    commands = [c for c, _ in console_examples(text) if "experiment" in c and "--out" in c]
    assert commands, "docs/experiments.md shows no `flexsim experiment … --out DIR` command"
    args = shlex.split(commands[0])
    scratch(tmp_path, monkeypatch)
    assert cli.main([*args[1:], "--replications", "2"]) == 0
    out = Path(args[args.index("--out") + 1])
    files = section(text, "## The results folder", nested=True)
    for path in out.iterdir():
        assert f"`{path.name}{'/' if path.is_dir() else ''}`" in files, path.name
    optional = ("warmup.json", f"{runner.SERIES}/", f"{runner.TABLES}/")  # not made here
    assert all(f"`{name}`" in files for name in optional)
    factors = list(tomllib.loads(Path(args[2]).read_text("utf-8"))["factors"])
    variant, base, *seeds = table_rows(section(text, "`runs.csv`"))
    head = (out / "runs.csv").read_text("utf-8").splitlines()[0].split(",")
    assert head[: 4 + len(factors)] == [variant, base, *factors, *seeds]
    head = (out / "summary.csv").read_text("utf-8").splitlines()[0].split(",")
    assert list(table_rows(section(text, "`summary.csv`"))) == list(stats.SUMMARY_COLUMNS)
    assert head == [*stats.SUMMARY_COLUMNS, *factors]
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    rows = table_rows(section(text, "`manifest.json`"))
    assert list(rows) == list(manifest), "manifest fields missing, extra, or out of order"


@pytest.mark.slow  # runs experiments: 15-20 s
def test_experiment_python_examples_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The Python blocks of docs/experiments.md in order, from the repository's root; they
    assert what they show."""
    blocks = code_blocks(page("experiments.md"), "python")
    assert blocks, "docs/experiments.md has no ```python example"
    scratch(tmp_path, monkeypatch)
    namespace: dict[str, Any] = {"__name__": "docs_example"}
    for block in blocks:
        exec(compile(block, "docs/experiments.md", "exec"), namespace)
