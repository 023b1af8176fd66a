"""Write messages as .eml drafts into a dated outbox folder (Outlook opens them ready to send).

File names come from workbook data (customer id, stage), so they are sanitised for every
operating system the workbook travels to: no path separators or "..", no control characters,
no Windows device names (CON, NUL, COM1 ...), no trailing dot or space, length-limited. A file
is never overwritten: a second draft with the same name gets a suffix.
"""

from __future__ import annotations

import os
import re
import tempfile
import unicodedata
from datetime import date
from email.generator import BytesGenerator
from email.message import EmailMessage
from email.policy import SMTP
from io import BytesIO
from pathlib import Path

MAX_NAME_BYTES = 120  # well below every file system's 255, leaves room for suffix and path
WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(10)),
                    *(f"LPT{i}" for i in range(10)), "COM¹", "COM²", "COM³", "LPT¹", "LPT²",
                    "LPT³", "CONIN$", "CONOUT$"}


def safe_name(hint: str) -> str:
    """A file name stem that is harmless on Windows, macOS and Linux; never empty."""
    text = unicodedata.normalize("NFC", str(hint))
    text = re.sub(r"[^\w.-]", "_", text)  # \w keeps letters with umlauts, drops / \ : * ? etc.
    text = re.sub(r"\.{2,}", ".", text)
    text = re.sub(r"_{2,}", "_", text).strip("._- ")
    while len(text.encode("utf-8")) > MAX_NAME_BYTES:
        text = text[:-1]
    text = text.rstrip("._- ")
    if not text:
        return "message"
    if text.split(".")[0].upper() in WINDOWS_RESERVED:
        text = f"_{text}"
    return text


def write_draft(message: EmailMessage, outbox_dir: Path, day: date, name_hint: str) -> Path:
    """Write <outbox>/<YYYY-MM-DD>/<safe name>.eml with X-Unsent: 1; returns the new file."""
    folder = Path(outbox_dir) / day.isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    data = message_bytes(message)
    if message.get("X-Unsent") is None:
        data = b"X-Unsent: 1\r\n" + data
    stem = safe_name(name_hint)
    fd, tmp = tempfile.mkstemp(prefix=".draft-", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        target = _claim(folder, stem)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


class _WholeBodyGenerator(BytesGenerator):
    """``BytesGenerator`` that writes a part's body with one write instead of one per line:
    a long letter's attached list is some 30,000 lines of base64. Same bytes (tested)."""

    def _write_lines(self, lines: str) -> None:
        if lines:
            self.write(self._NL.join(_LINE_BREAK.split(lines)))


_LINE_BREAK = re.compile(r"\r\n|\r|\n")  # what the email package splits lines at


def message_bytes(message: EmailMessage) -> bytes:
    """``message.as_bytes(policy=SMTP)``, written faster for messages with large parts."""
    out = BytesIO()
    _WholeBodyGenerator(out, mangle_from_=False, policy=SMTP).flatten(message)
    return out.getvalue()


def _claim(folder: Path, stem: str) -> Path:
    """Reserve a free name (exclusive create), so no existing draft is ever replaced."""
    for n in range(1, 10_000):
        target = folder / (f"{stem}.eml" if n == 1 else f"{stem}-{n}.eml")
        try:
            os.close(os.open(target, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
        except FileExistsError:
            continue
        return target
    raise FileExistsError(f"too many drafts named {stem} in {folder}")
