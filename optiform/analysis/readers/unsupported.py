"""Files recognised but not read: Arbin ``.res`` (an MS Access database, ``arbin-res``) and other
binary files (``binary``)."""

from __future__ import annotations

from ._common import _Head
from .tables import ZIP_MAGIC

ARBIN_RES = "an Arbin .res file is an MS Access database: export it to XLSX or CSV with Arbin's software"
BINARY = "a binary file of unknown layout"


def sniff_arbin_res(head: _Head) -> bool:
    """The Jet/ACE database magic at byte 4 (not in a zip archive)."""
    return head.raw[4:19] in (b"Standard Jet DB", b"Standard ACE DB") and not head.raw.startswith(ZIP_MAGIC)


def sniff_binary(head: _Head) -> bool:
    """A zip archive that no format claimed, or NUL bytes in a file without a UTF-16 byte-order mark."""
    raw = head.raw
    return raw.startswith(ZIP_MAGIC) or (b"\x00" in raw and not raw.startswith((b"\xff\xfe", b"\xfe\xff")))
