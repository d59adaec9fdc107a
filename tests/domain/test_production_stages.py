"""Owners edit stage prerequisites: only the shop's stage codes, never the stage itself, never a loop."""

from __future__ import annotations

import pytest

from collisionos.domain.errors import ValidationError
from collisionos.domain.production import check_prerequisites

GRAPH = {"INTAKE": [], "BLUEPRINT": ["INTAKE"], "DISASSEMBLY": ["BLUEPRINT"], "BODY_WORK": ["DISASSEMBLY"]}


def test_codes_are_cleaned_and_deduplicated():
    assert check_prerequisites("BODY_WORK", [" disassembly", "DISASSEMBLY", "intake"], GRAPH) == [
        "DISASSEMBLY",
        "INTAKE",
    ]


@pytest.mark.parametrize(
    ("code", "wanted", "rule"),
    [
        ("BODY_WORK", ["PAINT_BOOTH"], "unknown_stage"),
        ("BODY_WORK", ["BODY_WORK"], "self_dependency"),
        ("INTAKE", ["BODY_WORK"], "cycle"),  # body work waits (through disassembly, blueprint) for intake
        ("BLUEPRINT", ["DISASSEMBLY"], "cycle"),
    ],
)
def test_bad_prerequisites_are_refused(code, wanted, rule):
    with pytest.raises(ValidationError) as refused:
        check_prerequisites(code, wanted, GRAPH)
    assert refused.value.rule == rule
