"""The production line: the 18 stages of DOMAIN.md §4 and their dependencies."""

from __future__ import annotations

from dataclasses import dataclass

from collisionos.domain.errors import ValidationError
from collisionos.models.enums import ProductionStageType as S


@dataclass(frozen=True)
class StageDefinition:
    stage_type: S
    name: str
    workflow_category: str  # production_workflow.stage_category
    config_category: str  # production_stages.category
    config_type: str  # production_stages.stage_type
    department: str
    bay_type: str | None
    depends_on: tuple[S, ...]
    capacity: int | None
    average_hours: float
    can_skip: bool = False
    requires_inspection: bool = False

    @property
    def code(self) -> str:
        return self.stage_type.value.upper()


STAGES: tuple[StageDefinition, ...] = (
    StageDefinition(
        S.INTAKE, "Intake / check-in", "delivery", "intake", "customer_interaction", "intake", None, (), 5, 0.5
    ),
    StageDefinition(
        S.BLUEPRINT,
        "Blueprint (damage mapping)",
        "body",
        "disassembly",
        "production",
        "estimating",
        "general",
        (S.INTAKE,),
        3,
        2,
    ),
    StageDefinition(
        S.DISASSEMBLY,
        "Disassembly / teardown",
        "body",
        "disassembly",
        "production",
        "body",
        "general",
        (S.BLUEPRINT,),
        4,
        4,
    ),
    StageDefinition(
        S.PARTS_HOLD, "Parts hold", "body", "repair", "administrative", "parts", None, (S.BLUEPRINT,), 20, 0
    ),
    StageDefinition(
        S.FRAME_REPAIR,
        "Frame / structural repair",
        "structural",
        "repair",
        "production",
        "frame",
        "frame",
        (S.DISASSEMBLY,),
        None,
        6,
        can_skip=True,
    ),
    StageDefinition(
        S.BODY_WORK,
        "Body / panel repair & replace",
        "body",
        "repair",
        "production",
        "body",
        "general",
        (S.DISASSEMBLY, S.PARTS_HOLD, S.FRAME_REPAIR),
        6,
        8,
    ),
    StageDefinition(
        S.PREP_PRIME, "Prep & prime", "paint", "paint", "production", "prep", "prep_station", (S.BODY_WORK,), 3, 4
    ),
    StageDefinition(
        S.PAINT_BOOTH,
        "Paint (base/clear in booth)",
        "paint",
        "paint",
        "production",
        "paint",
        "paint_booth",
        (S.PREP_PRIME,),
        2,
        3,
    ),
    StageDefinition(
        S.PAINT_FINISH,
        "Paint cure / finish",
        "paint",
        "paint",
        "production",
        "paint",
        "paint_booth",
        (S.PAINT_BOOTH,),
        None,
        1,
    ),
    StageDefinition(
        S.DENIB_POLISH,
        "Denib & polish",
        "paint",
        "paint",
        "production",
        "paint",
        "prep_station",
        (S.PAINT_FINISH,),
        2,
        2,
        can_skip=True,
    ),
    StageDefinition(
        S.MECHANICAL_REPAIR,
        "Mechanical repair",
        "mechanical",
        "repair",
        "production",
        "mechanical",
        "general",
        (S.DISASSEMBLY,),
        4,
        6,
        can_skip=True,
    ),
    StageDefinition(
        S.ASSEMBLY,
        "Reassembly",
        "assembly",
        "reassembly",
        "production",
        "assembly",
        "assembly",
        (S.DENIB_POLISH, S.MECHANICAL_REPAIR),
        6,
        8,
    ),
    StageDefinition(
        S.ADAS_CALIBRATION,
        "ADAS scans & calibration",
        "mechanical",
        "quality",
        "production",
        "mechanical",
        "alignment",
        (S.ASSEMBLY,),
        2,
        3,
        can_skip=True,
    ),
    StageDefinition(
        S.FINAL_QC,
        "Final quality control",
        "quality",
        "quality",
        "quality",
        "quality_control",
        "general",
        (S.ASSEMBLY, S.ADAS_CALIBRATION),
        3,
        1,
        requires_inspection=True,
    ),
    StageDefinition(
        S.DETAIL_CLEANUP,
        "Detail / clean-up",
        "delivery",
        "delivery",
        "production",
        "detailing",
        "general",
        (S.FINAL_QC,),
        3,
        2,
    ),
    StageDefinition(
        S.PRE_DELIVERY_INSPECTION,
        "Pre-delivery inspection",
        "quality",
        "quality",
        "quality",
        "quality_control",
        "general",
        (S.DETAIL_CLEANUP,),
        2,
        0.5,
        requires_inspection=True,
    ),
    StageDefinition(
        S.CUSTOMER_WALKTHROUGH,
        "Customer walk-through",
        "delivery",
        "delivery",
        "customer_interaction",
        "intake",
        None,
        (S.PRE_DELIVERY_INSPECTION,),
        None,
        0.5,
        can_skip=True,
    ),
    StageDefinition(
        S.DELIVERY,
        "Delivery (keys out)",
        "delivery",
        "delivery",
        "customer_interaction",
        "intake",
        None,
        (S.CUSTOMER_WALKTHROUGH,),
        10,
        0.5,
    ),
)

STAGE_BY_TYPE = {stage.stage_type: stage for stage in STAGES}


def check_prerequisites(code: str, prerequisites: list[str], graph: dict[str, list[str]]) -> list[str]:
    """Return the stage's prerequisites cleaned (upper-case codes), refusing unknown codes, itself and cycles.

    ``graph`` maps every stage code of the shop to its current prerequisites.
    """
    cleaned = []
    for raw in prerequisites or []:
        value = str(raw).strip().upper()
        if value and value not in cleaned:
            cleaned.append(value)
    unknown = [value for value in cleaned if value not in graph]
    if unknown:
        raise ValidationError(f"Unknown stage code(s) in prerequisites: {', '.join(unknown)}.", rule="unknown_stage")
    if code in cleaned:
        raise ValidationError(f"{code} cannot depend on itself.", rule="self_dependency")
    edges = {**graph, code: cleaned}

    def reaches(start: str) -> bool:
        stack = list(edges.get(start, []))
        visited: set[str] = set()
        while stack:
            current = stack.pop()
            if current == code:
                return True
            if current not in visited:
                visited.add(current)
                stack.extend(edges.get(current, []))
        return False

    for value in cleaned:
        if reaches(value):
            raise ValidationError(f"{code} cannot wait for {value}: {value} already waits for {code}.", rule="cycle")
    return cleaned
