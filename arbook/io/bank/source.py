"""Getting bytes out of a bank file safely: size limits first, ZIPs opened with suspicion."""

from __future__ import annotations

import io
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from arbook.core.problems import ArbookError, Problem

MB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """Upper bounds for one bank file; a real statement is far below each of them."""

    max_file_bytes: int = 50 * MB
    max_members: int = 200  # files in one ZIP
    max_unzipped_bytes: int = 200 * MB  # all members together, counted while inflating
    max_ratio: int = 100  # uncompressed / compressed for one member (zip bombs are ~1000+)


def read_limited(path: Path, limits: Limits) -> bytes:
    """The file's bytes, or ArbookError when it is missing or larger than the limit."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ArbookError(f"{path}: cannot read the file ({exc.strerror}) / "
                          f"Datei nicht lesbar") from None
    if size > limits.max_file_bytes:
        raise ArbookError(f"{path}: {size} bytes is more than the limit of "
                          f"{limits.max_file_bytes} bytes for a bank file / Datei zu groß")
    with path.open("rb") as handle:
        return handle.read(limits.max_file_bytes + 1)


def is_zip(data: bytes) -> bool:
    return data[:4] == b"PK\x03\x04"


def unzip_members(data: bytes, file: str, limits: Limits) -> tuple[list[tuple[str, bytes]],
                                                                   list[Problem]]:
    """Each member's bytes, checked: count, names, nesting, ratio and total size.

    Sizes are counted while inflating, never trusted from the ZIP's own directory.
    A breach refuses the whole archive: half a statement set is worse than none.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = [i for i in archive.infolist() if not i.is_dir()]
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, zlib.error) as exc:
        return [], [Problem(f"not a readable ZIP file ({exc}) / ZIP-Datei defekt", file=file)]
    if len(infos) > limits.max_members:
        return [], [Problem(f"ZIP has {len(infos)} files, more than the limit of "
                            f"{limits.max_members} / zu viele Dateien im ZIP", file=file)]
    members: list[tuple[str, bytes]] = []
    total = 0
    for info in infos:
        name = info.filename
        where = f"{file}!{name}"
        pure = PurePosixPath(name.replace("\\", "/"))
        if pure.is_absolute() or ".." in pure.parts or ":" in name:
            return [], [Problem(f"ZIP member name '{name}' points outside the archive; "
                                f"refused / unzulässiger Dateiname im ZIP", file=file)]
        budget = min(limits.max_unzipped_bytes - total,
                     max(info.compress_size, 1) * limits.max_ratio)
        try:
            with archive.open(info) as handle:
                content = handle.read(budget + 1)
        except (zipfile.BadZipFile, OSError, ValueError, RuntimeError, EOFError, zlib.error,
                NotImplementedError) as exc:
            return [], [Problem(f"cannot unpack ({exc}) / nicht entpackbar", file=where)]
        if len(content) > budget:
            return [], [Problem("ZIP member inflates beyond the size or ratio limit "
                                f"(max ratio {limits.max_ratio}:1, total "
                                f"{limits.max_unzipped_bytes} bytes); refused as a possible "
                                "zip bomb / ZIP zu stark komprimiert (Zip-Bombe?)", file=where)]
        if is_zip(content):
            return [], [Problem("nested ZIP files are refused / verschachtelte ZIP-Dateien "
                                "werden nicht gelesen", file=where)]
        total += len(content)
        members.append((name, content))
    return members, []
