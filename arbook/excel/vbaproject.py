"""Compare VBA projects built by LibreOffice, which differ in random parts only.

LibreOffice writes a random project id and encrypts the protection state (CMG), password (DPB)
and visibility (GC) in the PROJECT stream with random seeds (MS-OVBA 2.3.1.15-17, 2.4.3), and
the seed changes the values' length. The build therefore keeps an existing add-in whose
content is the same instead of writing a new file that differs in those bytes only.
"""

from __future__ import annotations

import re

_ENTRY = re.compile(rb'^(ID|CMG|DPB|GC)="([^"]*)"', re.MULTILINE)


def decrypt(text: str) -> bytes:
    """MS-OVBA 2.4.3.3: the data behind an encrypted CMG/DPB/GC value."""
    raw = bytes.fromhex(text)
    seed, enc2, enc1 = raw[0], raw[1], raw[2]
    key = seed ^ enc1
    plain1 = key
    out = bytearray()
    for byte in raw[3:]:
        value = byte ^ ((enc2 + plain1) & 0xFF)
        out.append(value)
        enc2, enc1, plain1 = enc1, byte, value
    ignored = (seed & 6) // 2
    length = int.from_bytes(out[ignored:ignored + 4], "little")
    return bytes(out[ignored + 4:ignored + 4 + length])


def fingerprint(path) -> dict[str, bytes]:
    """Every stream of a vbaProject.bin, the PROJECT stream with its random parts decrypted
    and its id blanked: equal fingerprints mean the same VBA project."""
    import olefile

    with olefile.OleFileIO(path) as ole:
        streams = {"/".join(name): ole.openstream(name).read() for name in ole.listdir()}

    def plain(match: re.Match) -> bytes:
        name, value = match.group(1), match.group(2).decode()
        return name + b"=" + (b"-" if name == b"ID" else decrypt(value).hex().encode())

    streams["PROJECT"] = _ENTRY.sub(plain, streams.get("PROJECT", b""))
    return streams
