"""Every enum column carries exactly DOMAIN.md's values, in order, with its default and a CHECK named after it.

DOMAIN.md is parsed, not copied: §1 has one "#### X. Name — `table`" section per table, and each table row
names its columns with their types. Enums appear as

    | col | Enum NN def=`x`: `a`, `b` |                       the type cell starts with Enum
    | a, b, c | Enum: `up`, `down` |                          one value list for several columns
    | mileage | Int; mileage_unit Enum def=`km`: `mi`, `km` |  a further column inside either cell
    | stage | Enum NN (order ...): `estimate`[1], ... |       values with their stage order
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa

from collisionos.extensions import db
from collisionos.models import DOMAIN_MODELS

DOMAIN_MD = Path(__file__).resolve().parents[3] / "shared" / "DOMAIN.md"

# Enum columns the models add on purpose, with the reason.
ADDED_ENUM_COLUMNS = {
    ("production_stages", "workflow_stage_type"): "links a configured stage to the §4 stage list",
    ("scheduler_runs", "outcome"): "the scheduler's own bookkeeping, not a DOMAIN.md table",
}

_TABLE_HEADING = re.compile(r"^#{3,4} [A-Z]\d*\. \w+ — `(?P<table>\w+)`")
_ENUM_LEADING = re.compile(r"^Enum\b(?: NN)?(?: def=`(?P<default>[^`]*)`)?")
_ENUM_NAMED = re.compile(r"^(?P<column>\w+) Enum\b(?: NN)?(?: def=`(?P<default>[^`]*)`)?")
_VALUE_LIST = re.compile(r"`[^`]*`(?:\[\d+\])?(?:\s*,\s*`[^`]*`(?:\[\d+\])?)*")
_VALUE = re.compile(r"`([^`]*)`")


@dataclass(frozen=True)
class DomainEnum:
    values: tuple[str, ...]
    default: str | None


def _values_after_colon(segment: str, head_end: int) -> tuple[str, ...]:
    """Return the backticked values of ``segment`` that follow the colon after its Enum head."""
    rest = segment[head_end:]
    if ":" not in rest:
        raise ValueError(f"no value list in {segment!r}")
    listed = _VALUE_LIST.match(rest.split(":", 1)[1].lstrip())
    if listed is None:
        raise ValueError(f"no value list in {segment!r}")
    return tuple(_VALUE.findall(listed.group(0)))


def _row_enums(column_cell: str, type_cell: str) -> dict[str, DomainEnum]:
    found: dict[str, DomainEnum] = {}
    for in_type_cell, cell in ((False, column_cell), (True, type_cell)):
        for segment in (part.strip() for part in cell.split("; ")):
            if not re.search(r"\bEnum\b", segment):
                continue
            leading = _ENUM_LEADING.match(segment) if in_type_cell else None
            if leading:
                columns = [name.strip() for name in column_cell.split(",")]
                head = leading
            else:
                head = _ENUM_NAMED.match(segment)
                if head is None:
                    raise ValueError(f"cannot read the enum in {segment!r}")
                columns = [head.group("column")]
            enum = DomainEnum(_values_after_colon(segment, head.end()), head.group("default"))
            for column in columns:
                if not re.fullmatch(r"\w+", column):
                    raise ValueError(f"odd column name {column!r} in {column_cell!r}")
                found[column] = enum
    return found


def parse_domain_enums(text: str) -> dict[tuple[str, str], DomainEnum]:
    """Map (table, column) to its enum for every Enum in DOMAIN.md §1."""
    section = text[text.index("\n## 1. ") : text.index("\n## 2. ")]
    enums: dict[tuple[str, str], DomainEnum] = {}
    table = None
    for line in section.splitlines():
        if line.startswith("#"):
            heading = _TABLE_HEADING.match(line)
            table = heading.group("table") if heading else None
            continue
        if table is None or not line.startswith("|") or "Enum" not in line:
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        for column, enum in _row_enums(cells[0], cells[1]).items():
            if (table, column) in enums:
                raise ValueError(f"{table}.{column} is described twice")
            enums[(table, column)] = enum
    return enums


def _load_domain_enums() -> dict[tuple[str, str], DomainEnum]:
    if not DOMAIN_MD.exists():
        pytest.skip(f"DOMAIN.md not found at {DOMAIN_MD}: cannot compare enums with the spec", allow_module_level=True)
    return parse_domain_enums(DOMAIN_MD.read_text(encoding="utf-8"))


DOMAIN_ENUMS = _load_domain_enums()
MODEL_ENUMS = {
    (table.name, column.name): column
    for table in db.metadata.sorted_tables
    for column in table.columns
    if isinstance(column.type, sa.Enum)
}


def _ids(keys: list[tuple[str, str]]) -> list[str]:
    return [f"{table}.{column}" for table, column in keys]


DOMAIN_KEYS = sorted(DOMAIN_ENUMS)
MODEL_KEYS = sorted(MODEL_ENUMS)


def test_parser_reads_every_enum_of_domain_md() -> None:
    domain_tables = {model.__tablename__ for model in DOMAIN_MODELS}
    parsed_tables = {table for table, _ in DOMAIN_ENUMS}

    assert len(DOMAIN_ENUMS) >= 180, f"parsed only {len(DOMAIN_ENUMS)} enum columns from DOMAIN.md"
    assert parsed_tables <= domain_tables, parsed_tables - domain_tables
    assert len(parsed_tables) >= 30, f"enums found in only {len(parsed_tables)} tables"
    assert all(enum.values for enum in DOMAIN_ENUMS.values())


def test_parser_understands_every_form() -> None:
    sample = "\n".join(
        [
            "",
            "## 1. Models",
            "#### Z9. Thing — `things`",
            "| kind | Enum NN def=`b`: `a`, `b` (see `c`) |",
            "| up_trend, down_trend | Enum: `up`, `down` |",
            "| mileage | Int; mileage_unit Enum def=`km`: `mi`, `km`; note Text |",
            "| paint_code Str(20); paint_type Enum: `base`, `clear`; coats Int | |",
            "| stage | Enum NN (order in brackets = stage_order): `one`[1], `two`[2]; unknown → 999 |",
            "| condition | Enum def=`new`: `new`, `used`; quality_grade Enum: `A`, `B` |",
            "## 2. Relationships",
        ]
    )

    parsed = parse_domain_enums(sample)

    assert parsed == {
        ("things", "kind"): DomainEnum(("a", "b"), "b"),
        ("things", "up_trend"): DomainEnum(("up", "down"), None),
        ("things", "down_trend"): DomainEnum(("up", "down"), None),
        ("things", "mileage_unit"): DomainEnum(("mi", "km"), "km"),
        ("things", "paint_type"): DomainEnum(("base", "clear"), None),
        ("things", "stage"): DomainEnum(("one", "two"), None),
        ("things", "condition"): DomainEnum(("new", "used"), "new"),
        ("things", "quality_grade"): DomainEnum(("A", "B"), None),
    }


@pytest.mark.parametrize("key", DOMAIN_KEYS, ids=_ids(DOMAIN_KEYS))
def test_enum_values_match_domain_in_order(key: tuple[str, str]) -> None:
    assert key in MODEL_ENUMS, f"{key[0]}.{key[1]} is an Enum in DOMAIN.md but not in the models"

    assert tuple(MODEL_ENUMS[key].type.enums) == DOMAIN_ENUMS[key].values


@pytest.mark.parametrize("key", DOMAIN_KEYS, ids=_ids(DOMAIN_KEYS))
def test_enum_default_matches_domain(key: tuple[str, str]) -> None:
    assert key in MODEL_ENUMS, f"{key[0]}.{key[1]} is an Enum in DOMAIN.md but not in the models"
    default = MODEL_ENUMS[key].default
    model_default = None if default is None else str(default.arg)

    assert model_default == DOMAIN_ENUMS[key].default


def test_every_model_enum_column_is_in_domain() -> None:
    extra = set(MODEL_ENUMS) - set(DOMAIN_ENUMS)

    assert extra == set(ADDED_ENUM_COLUMNS)


@pytest.mark.parametrize("key", MODEL_KEYS, ids=_ids(MODEL_KEYS))
def test_enum_is_portable_with_a_check_named_after_its_column(key: tuple[str, str]) -> None:
    table_name, column_name = key
    column = MODEL_ENUMS[key]
    checks = {c.name for c in db.metadata.tables[table_name].constraints if isinstance(c, sa.CheckConstraint)}

    assert column.type.name == f"{table_name}_{column_name}"
    assert column.type.native_enum is False
    assert f"ck_{table_name}_{column_name}" in checks


def test_migrated_database_has_every_enum_check(app_ctx) -> None:  # type: ignore[no-untyped-def]
    inspector = sa.inspect(db.engine)
    reflected = {
        table_name: {c["name"]: c["sqltext"] for c in inspector.get_check_constraints(table_name)}
        for table_name in {table for table, _ in MODEL_KEYS}
    }
    missing = [
        f"ck_{table}_{column}"
        for table, column in MODEL_KEYS
        if column not in reflected[table].get(f"ck_{table}_{column}", "")
    ]

    assert missing == []
