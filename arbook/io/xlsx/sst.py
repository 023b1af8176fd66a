"""The shared-strings part: index -> text."""

from __future__ import annotations

import html
import re

import numpy as np

_SIMPLE = re.compile(
    r'<si><t(?: xml:space="preserve")?>([^<]*)</t></si>|<si>(.*?)</si>|<si/>', re.S
)
_RUN_TEXT = re.compile(rb"<t(?:\s[^>]*)?>([^<]*)</t>|<t\s*/>")
_RUN_TEXT_STR = re.compile(r"<t(?:\s[^>]*)?>([^<]*)</t>|<t\s*/>")
_PHONETIC = re.compile(rb"<rPh\b.*?</rPh>", re.S)
_PHONETIC_STR = re.compile(r"<rPh\b.*?</rPh>", re.S)
_ESCAPED = re.compile(r"_x([0-9A-Fa-f]{4})_")


def _unescape(text: str) -> str:
    if "&" in text:
        text = html.unescape(text)
    if "_x" in text:
        text = _ESCAPED.sub(lambda m: chr(int(m.group(1), 16)), text)
    return text


def decode_xml_text(raw: bytes) -> str:
    """XML character data to str: entities, and OOXML's _xHHHH_ escapes for control chars."""
    if b"&" not in raw and b"_x" not in raw:
        return raw.decode("utf-8")
    return _unescape(raw.decode("utf-8"))


def parse_shared_strings(xml: bytes) -> np.ndarray:
    """All strings of sharedStrings.xml as an object array (rich text flattened).

    Most entries are ``<si><t>text</t></si>``: those are cut out by slicing; only the others
    (rich text, phonetic runs, empty entries) go through the regular expressions.
    """
    text = xml.decode("utf-8")
    start = text.find("<si")
    if start == -1:
        return np.zeros(0, dtype=object)
    body = text[start : text.rfind("</sst>") if "</sst>" in text else len(text)]
    body = body.replace('<t xml:space="preserve">', "<t>")
    plain = body.startswith("<si><t>") and body.endswith("</t></si>") and not any(
        mark in body for mark in ("<r>", "<r ", "<rPh", "<si/>", "<t/>", "<t ", "<phonetic"))
    if plain:  # one split in C; entries cannot contain '<', so the separator is unambiguous
        out = body[len("<si><t>") : -len("</t></si>")].split("</t></si><si><t>")
    else:  # rich text, phonetic runs, empty entries: done properly
        out = []
        for simple, rich in _SIMPLE.findall(body):
            if rich:
                rich = _PHONETIC_STR.sub("", rich)
                out.append("".join(_RUN_TEXT_STR.findall(rich)))  # unescaped below, once
            else:
                out.append(simple)
    strings = np.array(out, dtype=object)
    if "&" in body or "_x" in body:
        for i in [i for i, t in enumerate(out) if "&" in t or "_x" in t]:
            strings[i] = _unescape(out[i])
    return strings


def inline_text(cell_xml: bytes) -> str:
    """Text of an inline-string cell ``<c t="inlineStr"><is>...</is></c>``."""
    body = _PHONETIC.sub(b"", cell_xml)
    return "".join(decode_xml_text(t) for t in _RUN_TEXT.findall(body))


_SST_OPEN = re.compile(rb"<sst\b[^>]*>")
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_text(value: str) -> str:
    """Escape text for element content; drop characters XML 1.0 cannot carry (NUL among them,
    which ``patch.render_run`` relies on)."""
    if _INVALID_XML.search(value):
        value = _INVALID_XML.sub("", value)
    if "&" in value or "<" in value or ">" in value:
        value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return value

_UNIQUE_COUNT = re.compile(rb'uniqueCount="\d*"')
_EMPTY_SST = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
              b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
              b'count="0" uniqueCount="0"></sst>')


FULL_INDEX_AFTER = 64  # texts looked up by a scan each before the table is indexed


class SharedStrings:
    """The workbook's shared-string table, to which arbook only ever appends.

    Existing entries keep their index and their bytes, so every cell that refers to them
    still shows the same text. Entries are decoded only when asked for (``texts_at``): a
    refresh needs perhaps half of a million-entry table, and decoding all of it would cost
    a second and some 150 MB.
    """

    def __init__(self, xml: bytes | None):
        self.xml = xml if xml is not None else _EMPTY_SST
        self._entries: _Entries | None = None
        self._strings: np.ndarray | None = None
        self._decoded: np.ndarray | None = None  # entries decoded so far (None: not yet)
        self._index: dict[str, int] = {}
        self._added: list[str] = []
        self._finds = 0  # texts looked up by a scan so far (see index_of)

    @property
    def entries(self) -> _Entries:
        if self._entries is None:
            self._entries = _Entries(self.xml)
        return self._entries

    @property
    def strings(self) -> np.ndarray:
        """Every stored entry's text (decodes the whole table: for small tables and tests)."""
        if self._strings is None:
            decoded = self._decoded_so_far()
            todo = np.flatnonzero(np.equal(decoded, None))
            if len(todo):
                decoded[todo] = self.entries.decode(todo)
            self._strings = decoded
        return self._strings

    def __len__(self) -> int:
        """Entries in the table, with those appended in this session."""
        return len(self.entries.text_start) + len(self._added)

    def texts_at(self, indices: np.ndarray) -> np.ndarray:
        """The texts of the entries at ``indices`` (all within the table), as an object array.

        Each distinct entry is decoded once; repeated indices share one str object. Entries
        appended in this session are found too (a table just written is read back).
        """
        indices = np.asarray(indices, dtype=np.int64)
        base = len(self.entries.text_start)
        if self._added and (indices >= base).any():
            out = np.empty(len(indices), dtype=object)
            old = indices < base
            out[old] = self.texts_at(indices[old])
            out[~old] = np.array(self._added, dtype=object)[indices[~old] - base]
            return out
        if self._strings is not None:
            return self._strings[indices]
        decoded = self._decoded_so_far()
        out = decoded[indices]
        missing = np.equal(out, None)
        if missing.any():  # each entry is decoded once per session, however often it is read
            todo = np.unique(indices[missing])
            decoded[todo] = self.entries.decode(todo)
            out[missing] = decoded[indices[missing]]
        return out

    def _decoded_so_far(self) -> np.ndarray:
        """Each entry's text where it was decoded in this session, else None."""
        if self._decoded is None:
            self._decoded = np.full(len(self.entries.text_start), None, dtype=object)
        return self._decoded

    def index_of(self, texts: list[str]) -> list[int]:
        """Index of each text, appending the ones the table does not have yet.

        A text is found in the raw bytes, never by decoding the table: a refresh looks up a
        handful of labels in a table of perhaps a million strings, each by a vectorised scan;
        more lookups than ``FULL_INDEX_AFTER`` (an import writing thousands of new texts) go
        through a fingerprint index of the table built once (``_Entries.find_many``).
        """
        missing = list(dict.fromkeys(t for t in texts if t not in self._index))
        if missing:
            if self._finds + len(missing) <= FULL_INDEX_AFTER:
                self._finds += len(missing)
                found = [self.entries.find(t) for t in missing]
            else:
                self._finds = FULL_INDEX_AFTER
                found = self.entries.find_many(missing)
            for text, i in zip(missing, found, strict=True):
                if i is None:
                    i = len(self)
                    self._added.append(text)
                self._index[text] = i
        return [self._index[t] for t in texts]

    @property
    def changed(self) -> bool:
        return bool(self._added)

    @property
    def texts(self) -> np.ndarray:
        """Every string by index, with those appended in this session (new cells use them)."""
        if not self._added:
            return self.strings
        return np.concatenate([self.strings, np.array(self._added, dtype=object)])

    def to_xml(self) -> bytes:
        items = "".join(
            f'<si><t xml:space="preserve">{xml_text(t)}</t></si>' if t != t.strip()
            else f"<si><t>{xml_text(t)}</t></si>" for t in self._added
        ).encode("utf-8")
        xml = self.xml
        if b"</sst>" not in xml:  # an empty table written as <sst .../>
            head = _SST_OPEN.search(xml)
            xml = xml[: head.end() - 2] + b"></sst>" + xml[head.end():]
        close = xml.rindex(b"</sst>")
        xml = xml[:close] + items + xml[close:]
        total = len(self)
        head = _SST_OPEN.search(xml)
        tag = head.group(0)
        if _UNIQUE_COUNT.search(tag):
            new_tag = _UNIQUE_COUNT.sub(f'uniqueCount="{total}"'.encode(), tag)
        else:
            new_tag = tag[:-1] + f' uniqueCount="{total}">'.encode()
        return xml[: head.start()] + new_tag + xml[head.end():]


_SI_PLAIN = b"<si><t>"
_SI_PRESERVE = b'<si><t xml:space="preserve">'
_SI_CLOSE = b"</t></si>"


class _Entries:
    """Where each ``<si>`` entry's text is in the table's bytes, found with numpy.

    Most entries are ``<si><t>text</t></si>`` ("plain"): their text is a slice of the bytes.
    Others (rich text, phonetic runs, empty entries, odd spacing) are decoded from the whole
    entry with the regular expressions of ``parse_shared_strings``.
    """

    def __init__(self, xml: bytes):
        self.xml = xml
        a = np.frombuffer(xml, dtype=np.uint8)
        lt = np.flatnonzero(a == ord("<"))
        limit = len(a) - 1
        is_open = a[np.minimum(lt + 1, limit)] == ord("s")
        is_open[is_open] = (a[np.minimum(lt[is_open] + 2, limit)] == ord("i")) & np.isin(
            a[np.minimum(lt[is_open] + 3, limit)], (ord(">"), ord("/")))
        at = np.flatnonzero(is_open)  # the entries' '<si' among all '<'
        opens = lt[at]
        end = xml.rfind(b"</sst>")
        self.entry_start = opens
        self.entry_end = np.append(opens[1:], end if end > 0 else len(xml))
        # <si><t>text</t></si> holds exactly four '<'; its text ends at the third.
        next_at = np.append(at[1:], np.searchsorted(lt, self.entry_end[-1:]))
        four = next_at - at == 4
        stop = lt[np.minimum(at + 2, len(lt) - 1)] if len(lt) else at
        start = np.where(_starts_with(a, opens, _SI_PLAIN), opens + len(_SI_PLAIN), -1)
        maybe = np.flatnonzero(four & (start < 0))
        start[maybe[_starts_with(a, opens[maybe], _SI_PRESERVE)]] = -2  # marked, set below
        start = np.where(start == -2, opens + len(_SI_PRESERVE), start)
        plain = four & (start >= 0) & (stop + len(_SI_CLOSE) == self.entry_end) & _starts_with(
            a, stop, _SI_CLOSE)
        self.plain = plain
        self.text_start = np.where(plain, start, 0)
        self.text_stop = np.where(plain, stop, 0)
        # Plain entries whose bytes are their text: no entity, no _xHHHH_ escape.
        escaped = np.zeros(len(opens), dtype=bool)
        for mark in (b"&", b"_x"):
            if mark not in xml:  # the usual case: no pass over the bytes needed
                continue
            marks = a == mark[0] if len(mark) == 1 else (a[:-1] == mark[0]) & (a[1:] == mark[1])
            owner = np.searchsorted(opens, np.flatnonzero(marks), side="right") - 1
            escaped[owner[owner >= 0]] = True
        self.verbatim = plain & ~escaped
        self._special: dict[str, int] | None = None
        self._sorted: tuple[np.ndarray, np.ndarray] | None = None

    def decode(self, indices: np.ndarray) -> np.ndarray:
        """Texts of the entries at sorted, distinct ``indices``."""
        out = np.empty(len(indices), dtype=object)
        plain = self.plain[indices]
        picked = indices[plain]
        if len(picked):
            # One join and one decode for all plain texts: entries cannot contain NUL.
            joined = b"\0".join(map(self.xml.__getitem__, map(
                slice, self.text_start[picked].tolist(), self.text_stop[picked].tolist())))
            decoded = joined.decode("utf-8")
            texts = decoded.split("\0")
            if "&" in decoded or "_x" in decoded:
                texts = [_unescape(t) for t in texts]
            out[plain] = texts
        for j in np.flatnonzero(~plain).tolist():
            out[j] = self._entry_text(int(indices[j]))
        return out

    def _entry_text(self, i: int) -> str:
        return parse_shared_strings(self.xml[self.entry_start[i] : self.entry_end[i]])[0]

    def find(self, text: str) -> int | None:
        """Index of the first entry whose text is ``text``, or None."""
        raw = text.encode("utf-8")
        width = self.text_stop - self.text_start
        candidates = np.flatnonzero(self.verbatim & (width == len(raw)))
        a = np.frombuffer(self.xml, dtype=np.uint8)
        for k, byte in enumerate(raw):
            if not len(candidates):
                break
            candidates = candidates[a[self.text_start[candidates] + k] == byte]
        return _first(int(candidates[0]) if len(candidates) else None,
                      self.special().get(text))

    def find_many(self, texts: list[str]) -> list[int | None]:
        """``find`` for many texts at once: verbatim entries are looked up by a fingerprint
        of their bytes, computed for the whole table in a few array operations, so a lookup
        costs a binary search, not a pass over the table or decoding it."""
        hashes, order = self._fingerprints()
        raws = [t.encode("utf-8") for t in texts]
        wanted = _fingerprint(*_packed(raws))
        low = np.searchsorted(hashes, wanted, side="left").tolist()
        high = np.searchsorted(hashes, wanted, side="right").tolist()
        special = self.special()
        out = []
        for text, raw, lo, hi in zip(texts, raws, low, high, strict=True):
            found = None
            for i in order[lo:hi].tolist():  # in table order: the first that matches wins
                if self.xml[self.text_start[i] : self.text_stop[i]] == raw:
                    found = i
                    break
            out.append(_first(found, special.get(text)))
        return out

    def special(self) -> dict[str, int]:
        """Entries whose bytes differ from their text (rich text, entities, escapes), decoded
        once: the first index of each text."""
        if self._special is None:
            others = np.flatnonzero(~self.verbatim)
            self._special = {}
            for i, decoded in zip(others.tolist(), self.decode(others).tolist(), strict=True):
                self._special.setdefault(decoded, i)
        return self._special

    def _fingerprints(self) -> tuple[np.ndarray, np.ndarray]:
        """Each verbatim entry's fingerprint, sorted, and the entry of each (stable: equal
        fingerprints in table order)."""
        if self._sorted is None:
            at = np.flatnonzero(self.verbatim)
            hashes = _fingerprint(self.xml, self.text_start[at],
                                  self.text_stop[at] - self.text_start[at])
            order = np.argsort(hashes, kind="stable")
            self._sorted = hashes[order], at[order]
        return self._sorted


def _first(a: int | None, b: int | None) -> int | None:
    return b if a is None else a if b is None else min(a, b)


_MIX = np.array([0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0x27D4EB2F165667C5],
                dtype=np.uint64)


def _fingerprint(buffer: bytes, start: np.ndarray, width: np.ndarray) -> np.ndarray:
    """A 64-bit fingerprint of each ``buffer[start:start + width]``: its length and three
    8-byte windows (head, middle, tail; bytes past the end masked out). Equal bytes give equal
    fingerprints; unequal ones rarely do, and a match is confirmed byte by byte anyway.
    ``buffer`` must hold at least 8 bytes after each start."""
    if not len(start):
        return np.zeros(0, dtype=np.uint64)
    words = np.ndarray((len(buffer) - 7,), dtype="<u8", buffer=buffer, strides=(1,))
    start = start.astype(np.int64)
    width = width.astype(np.int64)
    spare = np.maximum(width - 8, 0)
    shift = (8 * np.minimum(width, 8)).astype(np.uint64)
    full = width >= 8
    mask = np.where(full, np.uint64(2**64 - 1),
                    (np.uint64(1) << np.where(full, 0, shift).astype(np.uint64)) - np.uint64(1))
    out = width.astype(np.uint64) * _MIX[3]
    for k, offset in enumerate((0, spare // 2, spare)):
        out ^= (words[start + offset] & mask) * _MIX[k]
        out = (out << np.uint64(31)) | (out >> np.uint64(33))
    return out


def _packed(raws: list[bytes]) -> tuple[bytes, np.ndarray, np.ndarray]:
    """Byte strings in one buffer, each followed by 8 zero bytes (see ``_fingerprint``)."""
    width = np.array([len(r) for r in raws], dtype=np.int64)
    start = np.concatenate([[0], np.cumsum(width + 8)[:-1]]).astype(np.int64)
    return b"".join(r + bytes(8) for r in raws), start, width


def _starts_with(a: np.ndarray, pos: np.ndarray, pattern: bytes) -> np.ndarray:
    ok = pos >= 0
    limit = len(a) - 1
    for k, byte in enumerate(pattern):
        ok &= a[np.clip(pos + k, 0, limit)] == byte
    return ok
