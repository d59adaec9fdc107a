"""Read CIECA BMS estimate files (the format CCC ONE, Mitchell and Audatex export) into plain values."""

from collisionos.domain.bms.model import BmsEstimate, BmsRejected
from collisionos.domain.bms.parser import parse_bms

__all__ = ["BmsEstimate", "BmsRejected", "parse_bms"]
