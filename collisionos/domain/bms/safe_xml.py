"""Load a CIECA BMS estimate file's XML safely: no DTD, no entities, a size limit, any namespace or none.

Every refusal is a :class:`BmsRejected` whose message says why without quoting the file: a hostile file
must not be able to put its own text (or a local file an entity points at) into what the shop sees.
"""

from __future__ import annotations

import codecs
import re
from xml.etree.ElementTree import Element, ParseError
from xml.parsers.expat import ErrorString
from xml.parsers.expat import errors as expat_errors

from defusedxml import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
from defusedxml.ElementTree import fromstring

from collisionos.domain.bms.model import BmsRejected

ESTIMATE_ROOT = "VehicleDamageEstimateAddRq"
WRAPPER_ROOTS = ("CIECA", "BMS")

_DECLARED_ENCODING = re.compile(rb"""<\?xml[^>]*?\sencoding\s*=\s*["']([A-Za-z0-9._:-]{1,40})["']""")
_ENCODING_ERRORS = frozenset(
    expat_errors.codes[message]
    for message in (expat_errors.XML_ERROR_UNKNOWN_ENCODING, expat_errors.XML_ERROR_INCORRECT_ENCODING)
)
_INVALID_TOKEN = expat_errors.codes[expat_errors.XML_ERROR_INVALID_TOKEN]


def load_estimate(data: bytes, *, max_bytes: int) -> Element:
    """Return the file's VehicleDamageEstimateAddRq element, namespaces stripped; raise :class:`BmsRejected`."""
    if len(data) > max_bytes:
        raise BmsRejected(f"the file is larger than the {_size_label(max_bytes)} limit", rule="bms_too_large")
    if not data.strip():
        raise BmsRejected("the file is empty", rule="bms_empty")
    return _estimate_element(_load(data))


def _load(data: bytes) -> Element:
    """Parse ``data`` with DTDs, entities and external references refused; strip namespaces from every tag."""
    try:
        root = fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden):
        raise BmsRejected(
            "the file declares a DTD or entities, which estimate files never need; refused for safety", rule="bms_dtd"
        ) from None
    except ParseError as error:
        raise _not_well_formed(error, data) from None
    except (LookupError, ValueError):
        # An encoding name Python does not know, or a multi-byte encoding expat cannot be given.
        raise BmsRejected("the file declares a character encoding that is not supported", rule="bms_encoding") from None
    for element in root.iter():
        element.tag = element.tag.rpartition("}")[2]
    return root


def _not_well_formed(error: ParseError, data: bytes) -> BmsRejected:
    # Expat's reason is a fixed phrase ("mismatched tag"), never the file's text, so it is safe to show.
    line, column = error.position
    where = f"{ErrorString(error.code)} at line {line}, column {column + 1}"
    if error.code in _ENCODING_ERRORS or (error.code == _INVALID_TOKEN and not _decodes(data)):
        return BmsRejected(
            f"the file is not well-formed XML (the file's encoding may be wrong: {where})", rule="bms_encoding"
        )
    return BmsRejected(f"the file is not well-formed XML ({where})", rule="bms_malformed")


def _decodes(data: bytes) -> bool:
    """Tell whether ``data`` is valid text in the encoding it announces (UTF-8 when it announces none)."""
    if data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return False  # expat cannot read UTF-32 at all
    if data.startswith(codecs.BOM_UTF8):
        encoding = "utf-8-sig"
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    else:
        declared = _DECLARED_ENCODING.match(data)
        encoding = declared.group(1).decode("ascii") if declared else "utf-8"
    try:
        data.decode(encoding)
    except (LookupError, UnicodeDecodeError):
        return False
    return True


def _estimate_element(root: Element) -> Element:
    if root.tag == ESTIMATE_ROOT:
        return root
    if root.tag in WRAPPER_ROOTS:
        inner = root.find(ESTIMATE_ROOT)
        if inner is not None:
            return inner
    raise BmsRejected(f"not a CIECA BMS estimate (expected a {ESTIMATE_ROOT} document)", rule="bms_wrong_root")


def _size_label(size: int) -> str:
    megabyte, kilobyte = 1024 * 1024, 1024
    if size >= megabyte and size % megabyte == 0:
        return f"{size // megabyte} MB"
    if size >= kilobyte:
        return f"{size // kilobyte} KB"
    return f"{size} bytes"
