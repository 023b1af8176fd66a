"""The .xlsx file as a ZIP package: read parts, replace a few, copy the rest byte for byte.

Parts arbook does not change are copied as their original compressed bytes (same CRC, same
compression), so charts, pivot caches, images, VBA and the ribbon's customUI come out exactly
as they went in. New content of a large part is deflated in parallel blocks on both cores.
"""

from __future__ import annotations

import os
import shutil
import stat
import struct
import time
import zipfile
import zlib
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from arbook.core.problems import ArbookError

try:  # Intel ISA-L: the same deflate format, 3-4x faster than zlib on both ends (measured)
    from isal import isal_zlib as fast_zlib
except ImportError:  # pragma: no cover - platforms without isal wheels
    fast_zlib = zlib

_LOCAL = struct.Struct("<IHHHHHIIIHH")
_CENTRAL = struct.Struct("<IHHHHHHIIIHHHHHII")
_END = struct.Struct("<IHHHHIIH")
BLOCK = 4 << 20  # bytes per independently deflated block
MAX_PART = 2_000_000_000  # no ZIP64 here: refuse instead of writing a broken file
INFLATE_OUT = 4 << 20  # most uncompressed bytes a PartSource yields at once
INFLATE_IN = 256 << 10  # compressed bytes fed to the inflater at once


def _dos_time(t: float) -> tuple[int, int]:
    lt = time.localtime(t)
    return (lt.tm_hour << 11) | (lt.tm_min << 5) | (lt.tm_sec // 2), (
        (max(lt.tm_year, 1980) - 1980) << 9
    ) | (lt.tm_mon << 5) | lt.tm_mday


def _deflate_block(data: bytes, level: int) -> bytes:
    """Raw deflate of one block, ended by a sync flush so blocks can be concatenated."""
    comp = fast_zlib.compressobj(level, fast_zlib.DEFLATED, -15)
    return comp.compress(data) + comp.flush(fast_zlib.Z_SYNC_FLUSH)


_FINAL_EMPTY_BLOCK = zlib.compressobj(1, zlib.DEFLATED, -15).flush(zlib.Z_FINISH)


@dataclass
class Deflated:
    """A part's new content, already compressed (raw deflate), with its CRC-32 and size."""

    body: bytes
    crc: int
    size: int


class DeflateStream:
    """Deflates consecutive chunks on worker threads while the caller produces the next ones.

    zlib releases the GIL, so compression runs on the other core while Python renders cells;
    every block ends with a sync flush, so their concatenation is one valid deflate stream
    (the technique pigz uses). At most a few blocks are in flight, so memory stays small.
    """

    def __init__(self, level: int = 1, workers: int | None = None, in_flight: int = 4):
        self._level = level
        self._workers = workers or max(1, (os.cpu_count() or 2))
        self._pool: ThreadPoolExecutor | None = None  # started on first write (after any fork)
        self._pending: list = []
        self._done: list[bytes] = []
        self._in_flight = in_flight
        self._crc = 0
        self._size = 0

    def write(self, data: bytes) -> None:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=self._workers)
        view = memoryview(data)
        for start in range(0, len(data), BLOCK):
            block = view[start : start + BLOCK] if len(data) > BLOCK else data
            self._crc = fast_zlib.crc32(block, self._crc)
            self._size += len(block)
            self._pending.append(self._pool.submit(_deflate_block, block, self._level))
            while len(self._pending) > self._in_flight:
                self._done.append(self._pending.pop(0).result())

    def close(self) -> Deflated:
        self._done.extend(f.result() for f in self._pending)
        if self._pool is not None:
            self._pool.shutdown()
        self._done.append(_FINAL_EMPTY_BLOCK)
        return Deflated(b"".join(self._done), self._crc, self._size)


def deflate_parallel(data: bytes, level: int = 1) -> Deflated:
    """Raw deflate of ``data`` in blocks compressed concurrently."""
    stream = DeflateStream(level)
    stream.write(data)
    return stream.close()


class PartSource:
    """A part's content, read again on demand chunk by chunk, never whole in memory.

    Holds the compressed bytes (for a large sheet a seventh of its XML) and inflates them
    each time ``chunks`` is iterated: once to scan the sheet, once more to patch it.
    """

    def __init__(self, body: bytes, deflated: bool, size: int, crc: int | None = None,
                 on_error: Callable[[Exception], Exception] | None = None):
        self.size = size  # uncompressed
        self._body = body
        self._deflated = deflated
        self._crc = crc  # checked at the end of each pass when given
        self._on_error = on_error or (lambda exc: exc)

    def chunks(self) -> Iterator[bytes]:
        """The content in consecutive pieces of at most ``INFLATE_OUT`` bytes."""
        if not self._deflated:
            for start in range(0, len(self._body), INFLATE_OUT):
                yield self._body[start : start + INFLATE_OUT]
            return
        crc = 0
        try:
            inflate = fast_zlib.decompressobj(-15)
            body = memoryview(self._body)
            for start in range(0, len(body), INFLATE_IN):
                # Fed in slices: the unconsumed tail is copied on every call.
                pending = body[start : start + INFLATE_IN]
                while pending:
                    piece = inflate.decompress(pending, INFLATE_OUT)
                    pending = inflate.unconsumed_tail
                    crc = fast_zlib.crc32(piece, crc)
                    if piece:
                        yield piece
                    elif pending:  # no progress although input is left
                        raise zlib.error("stalled deflate stream")
            tail = inflate.flush()
            crc = fast_zlib.crc32(tail, crc)
            if tail:
                yield tail
            if not inflate.eof:
                raise zlib.error("truncated deflate stream")
        except (zlib.error, fast_zlib.error) as exc:
            raise self._on_error(exc) from exc
        if self._crc is not None and crc != self._crc:
            raise self._on_error(zlib.error("checksum mismatch"))

    def read(self) -> bytes:
        return b"".join(self.chunks())


@dataclass
class _NewPart:
    data: bytes | None = None
    deflated: Deflated | None = None


class Package:
    """An opened .xlsx file. Parts are read on demand; ``save`` writes a new file."""

    def __init__(self, path: Path):
        self.path = Path(path)
        try:
            self._zip = zipfile.ZipFile(self.path)
        except FileNotFoundError as exc:
            raise ArbookError(f"{self.path}: file not found") from exc
        except (zipfile.BadZipFile, OSError) as exc:
            raise ArbookError(
                f"{self.path.name} is not an Excel workbook (.xlsx) or is damaged: {exc}. "
                "Check the file name, or restore it from the backup."
            ) from exc
        self._infos = {info.filename: info for info in self._zip.infolist()}
        if "[Content_Types].xml" not in self._infos or "xl/workbook.xml" not in self._infos:
            self._zip.close()
            raise ArbookError(
                f"{self.path.name} is a ZIP file but not an Excel workbook (no xl/workbook.xml)."
            )
        self._changes: dict[str, _NewPart | None] = {}

    def close(self) -> None:
        self._zip.close()

    def __enter__(self) -> Package:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def names(self) -> list[str]:
        return list(self._infos)

    def has(self, name: str) -> bool:
        return name in self._infos

    def read(self, name: str) -> bytes:
        change = self._changes.get(name)
        if change is not None and change.data is not None:
            return change.data
        if change is not None and change.deflated is not None:
            return zlib.decompress(change.deflated.body, -15)
        try:
            info = self._infos[name]
        except KeyError as exc:
            raise ArbookError(f"{self.path.name}: part {name} is missing") from exc
        try:
            if info.compress_type == zipfile.ZIP_DEFLATED and info.flag_bits & 1 == 0:
                data = fast_zlib.decompress(self._raw(info), -15)
                if fast_zlib.crc32(data) != info.CRC:
                    raise zlib.error("checksum mismatch")
                return data
            return self._zip.read(name)
        except (zlib.error, fast_zlib.error, zipfile.BadZipFile, OSError) as exc:
            raise self._damaged(name, exc) from exc

    def source(self, name: str) -> PartSource:
        """A part as a ``PartSource``: for large sheets, so their XML is never held whole."""
        change = self._changes.get(name)
        info = self._infos.get(name)
        if change is not None and change.deflated is not None:
            return PartSource(change.deflated.body, True, change.deflated.size)
        if (change is None and info is not None and info.compress_type == zipfile.ZIP_DEFLATED
                and info.flag_bits & 1 == 0):
            try:
                body = self._raw(info)
            except OSError as exc:
                raise self._damaged(name, exc) from exc
            return PartSource(body, True, info.file_size, info.CRC,
                              lambda exc: self._damaged(name, exc))
        data = self.read(name)
        return PartSource(data, False, len(data))

    def _damaged(self, name: str, exc: Exception) -> ArbookError:
        return ArbookError(
            f"{self.path.name} is damaged ({name}: {exc}); nothing was written. "
            f"Restore it from {backup_path(self.path).name} or your last backup."
        )

    def _raw(self, info: zipfile.ZipInfo) -> bytes:
        fp = self._zip.fp
        fp.seek(info.header_offset)
        header = fp.read(_LOCAL.size)
        if header[:4] != b"PK\x03\x04":
            raise ArbookError(f"{self.path.name}: damaged ZIP entry {info.filename}")
        name_len, extra_len = struct.unpack("<HH", header[26:30])
        fp.seek(info.header_offset + _LOCAL.size + name_len + extra_len)
        return fp.read(info.compress_size)

    def replace(self, name: str, data: bytes) -> None:
        if len(data) > MAX_PART:
            raise ArbookError(f"{name} would be larger than 2 GB; split the ledger")
        self._changes[name] = _NewPart(data=data)

    def replace_deflated(self, name: str, part: Deflated) -> None:
        """Replace a part by content compressed already (see ``DeflateStream``)."""
        if part.size > MAX_PART:
            raise ArbookError(f"{name} would be larger than 2 GB; split the ledger")
        self._changes[name] = _NewPart(deflated=part)

    def changed(self) -> list[str]:
        return list(self._changes)

    def write_to(self, target: Path) -> None:
        """Write the package with the replaced parts to ``target`` (a new file)."""
        entries: list[tuple[bytes, int, int, int, int, int, int, int, int, int]] = []
        added = [name for name in self._changes if name not in self._infos]
        members = [*self._infos.items(), *((name, zipfile.ZipInfo(name)) for name in added)]
        with open(target, "wb") as out:
            for name, info in members:
                offset = out.tell()
                encoded = name.encode("utf-8")
                flags = info.flag_bits & 0x0800  # keep only the UTF-8 name flag
                if not encoded.isascii():
                    flags |= 0x0800
                change = self._changes.get(name)
                if change is None:
                    body = self._raw(info)
                    method, crc = info.compress_type, info.CRC
                    size, csize = info.file_size, info.compress_size
                    dostime = (info.date_time[3] << 11) | (info.date_time[4] << 5) | (
                        info.date_time[5] // 2
                    )
                    dosdate = ((info.date_time[0] - 1980) << 9) | (info.date_time[1] << 5) | (
                        info.date_time[2]
                    )
                else:
                    part = change.deflated or deflate_parallel(change.data)
                    body, method, crc = part.body, zipfile.ZIP_DEFLATED, part.crc
                    size, csize = part.size, len(part.body)
                    dostime, dosdate = _dos_time(time.time())
                out.write(_LOCAL.pack(0x04034B50, 20, flags, method, dostime, dosdate,
                                      crc, csize, size, len(encoded), 0))
                out.write(encoded)
                out.write(body)
                entries.append((encoded, flags, method, dostime, dosdate, crc, csize, size,
                                offset, info.external_attr or (0o644 << 16)))
            cd_start = out.tell()
            for encoded, flags, method, dostime, dosdate, crc, csize, size, offset, ext in entries:
                out.write(_CENTRAL.pack(0x02014B50, 20, 20, flags, method, dostime, dosdate,
                                        crc, csize, size, len(encoded), 0, 0, 0, 0, ext, offset))
                out.write(encoded)
            cd_size = out.tell() - cd_start
            out.write(_END.pack(0x06054B50, 0, 0, len(entries), len(entries), cd_size,
                                cd_start, 0))
            out.flush()
            os.fsync(out.fileno())


def lock_file_for(path: Path) -> Path | None:
    """Excel's owner file (``~$Book.xlsx``) if Excel has the workbook open."""
    for name in (f"~${path.name}", f"~${path.name[2:]}"):
        candidate = path.with_name(name)
        if candidate.exists():
            return candidate
    return None


def check_writable(path: Path) -> None:
    """Refuse, with the reason and the fix, when the workbook must not be written now."""
    lock = lock_file_for(path)
    if lock is not None:
        raise ArbookError(
            f"{path.name} is open in Excel (lock file {lock.name} exists), so nothing was "
            "written. Close the workbook in Excel and run the command again; if Excel is not "
            f"running, delete {lock.name}."
        )
    mode = path.stat().st_mode
    if not mode & stat.S_IWUSR or not os.access(path, os.W_OK):
        raise ArbookError(
            f"{path.name} is read-only, so nothing was written. Remove the read-only flag "
            "(file properties) and run the command again."
        )
    if not os.access(path.parent, os.W_OK):
        raise ArbookError(
            f"The folder {path.parent} is not writable, so {path.name} cannot be replaced safely."
        )


def backup_path(path: Path) -> Path:
    return path.with_name(f"{path.stem}.backup{path.suffix}")


def replace_atomically(path: Path, write: Callable[[Path], None]) -> None:
    """Write via ``write(tmp)``, keep the previous file as one backup, then rename into place.

    At every moment either the old or the new workbook is complete at ``path``.
    """
    tmp = path.with_name(f".{path.name}.arbook-tmp")
    backup = backup_path(path)
    staging = path.with_name(f".{backup.name}.arbook-tmp")
    try:
        write(tmp)
        _fsync_file(tmp)  # the new workbook is on disk before it replaces the old one
        os.chmod(tmp, stat.S_IMODE(path.stat().st_mode))
        staging.unlink(missing_ok=True)  # left by a run that died here: never blocks a save
        try:
            os.link(path, staging)
        except OSError:  # no hard links here (e.g. some network drives): copy instead
            shutil.copy2(path, staging)
        os.replace(staging, backup)
        os.replace(tmp, path)
        _fsync_dir(path.parent)
    finally:
        tmp.unlink(missing_ok=True)
        staging.unlink(missing_ok=True)


def _fsync_file(path: Path) -> None:
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
