"""What changed between two versions of one estimate, line by line (a supplement).

Lines are matched by what they are (panel, description, part or labor type), not by line number: a supplement
that inserts lines renumbers the ones after them. Two lines with the same key pair up in file order; a line whose
description changed but whose part number did not still matches by part number.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from collisionos.domain.bms.model import DamageLine, FileTotals, Rates
from collisionos.domain.bms.totals import line_amount

# Snapshot fields compared between versions, with the label staff see.
COMPARED = (
    ("price", "price"),
    ("quantity", "quantity"),
    ("hours", "hours"),
    ("refinish_hours", "refinish hours"),
    ("part_number", "part number"),
    ("part_type", "part type"),
    ("labor_included", "labor included"),
    ("amount", "amount"),
)


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def snapshot(line: DamageLine, rates: Rates, totals: FileTotals | None = None) -> dict[str, Any]:
    """The line as kept in the estimate's version history (JSON: money and hours as strings)."""
    price = line.part_price if line.part_price is not None else line.other_price
    return {
        "line": line.line_number,
        "key": list(line.key),
        "kind": line.kind,
        "description": line.description,
        "header": line.header,
        "part_number": line.part_number,
        "part_type": line.part_type,
        "price": _text(price),
        "quantity": _text(line.quantity),
        "labor_type": line.labor_type,
        "hours": _text(line.labor_hours),
        "refinish_hours": _text(line.refinish_hours),
        "labor_included": line.labor_included,
        "amount": str(line_amount(line, rates, totals)),
    }


@dataclass(frozen=True)
class Changed:
    before: dict[str, Any]
    after: dict[str, Any]
    fields: list[dict[str, Any]]  # [{"field": "price", "before": "250.80", "after": "296.40"}]


@dataclass(frozen=True)
class LineChanges:
    added: list[dict[str, Any]]
    removed: list[dict[str, Any]]
    changed: list[Changed]
    kept: list[tuple[dict[str, Any], dict[str, Any]]]  # every matched pair (before, after), changed or not

    @property
    def any(self) -> bool:
        return bool(self.added or self.removed or self.changed)

    def counts(self) -> dict[str, int]:
        return {"added": len(self.added), "removed": len(self.removed), "changed": len(self.changed)}

    def as_json(self) -> dict[str, Any]:
        def brief(line: dict[str, Any]) -> dict[str, Any]:
            return {
                name: line.get(name) for name in ("line", "description", "header", "amount", "hours", "part_number")
            }

        return {
            "added": [brief(line) for line in self.added],
            "removed": [brief(line) for line in self.removed],
            "changed": [
                {"line": change.after["line"], "description": change.after["description"], "fields": change.fields}
                for change in self.changed
            ],
        }


def _differences(before: dict[str, Any], after: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for name, label in COMPARED:
        old, new = before.get(name), after.get(name)
        if _same(old, new):
            continue
        found.append({"field": label, "before": old, "after": new})
    if len(found) > 1:
        # The amount follows the price or the hours shown already; alone it means the rate changed.
        found = [item for item in found if item["field"] != "amount"]
    return found


def _same(old: Any, new: Any) -> bool:
    if old is None or new is None or isinstance(old, bool) or isinstance(new, bool):
        return old == new
    try:
        return Decimal(str(old)) == Decimal(str(new))
    except ArithmeticError:
        return str(old) == str(new)


def compare_lines(before: list[dict[str, Any]], after: list[dict[str, Any]]) -> LineChanges:
    """Match the new version's line snapshots with the previous version's and say what changed."""
    waiting: dict[tuple, list[int]] = defaultdict(list)
    for index, line in enumerate(before):
        waiting[tuple(line["key"])].append(index)
    matched: dict[int, int] = {}  # after index -> before index
    for index, line in enumerate(after):
        queue = waiting.get(tuple(line["key"]))
        if queue:
            matched[index] = queue.pop(0)
    used = set(matched.values())
    by_part: dict[str, list[int]] = defaultdict(list)
    for index, line in enumerate(before):
        if index not in used and line.get("part_number"):
            by_part[line["part_number"].upper()].append(index)
    for index, line in enumerate(after):
        if index in matched or not line.get("part_number"):
            continue
        queue = by_part.get(line["part_number"].upper())
        if queue:
            matched[index] = queue.pop(0)
            used.add(matched[index])
    added = [line for index, line in enumerate(after) if index not in matched]
    removed = [line for index, line in enumerate(before) if index not in used]
    kept, changed = [], []
    for index, line in enumerate(after):
        if index not in matched:
            continue
        previous = before[matched[index]]
        kept.append((previous, line))
        fields = _differences(previous, line)
        if previous.get("description") != line.get("description"):
            fields.insert(
                0, {"field": "description", "before": previous.get("description"), "after": line.get("description")}
            )
        if fields:
            changed.append(Changed(previous, line, fields))
    return LineChanges(added, removed, changed, kept)
