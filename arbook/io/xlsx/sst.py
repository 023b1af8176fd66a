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


FULL_INDEX_AFTER = 64  # raw-byte lookups before the whole table is decoded into a dict


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
        self._finds = 0  # raw-byte lookups so far (see _find)
        self._full: dict[str, int] | None = None

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

        arbook looks up a handful of labels in a table of perhaps a million strings, so each
        is found by a vectorised comparison of the raw bytes instead of decoding the table.
        """
        out = []
        for text in texts:
            i = self._index.get(text)
            if i is None:
                i = self._find(text)
                if i is None:
                    i = len(self)
                    self._added.append(text)
                self._index[text] = i
            out.append(i)
        return out

    def _find(self, text: str) -> int | None:
        """A stored entry's index. The first lookups scan the raw bytes; a caller that asks
        for many (an import writing hundreds of new texts) gets the table decoded once."""
        if self._full is None and self._finds < FULL_INDEX_AFTER:
            self._finds += 1
            return self.entries.find(text)
        if self._full is None:
            self._full = {}
            for index, stored in enumerate(self.strings.tolist()):
                self._full.setdefault(stored, index)
        return self._full.get(text)

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
        self._special: dict[int, str] | None = None

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
        best = int(candidates[0]) if len(candidates) else None
        if self._special is None:  # entries whose bytes differ from their text, decoded once
            others = np.flatnonzero(~self.verbatim)
            self._special = dict(zip(others.tolist(), self.decode(others).tolist(),
                                     strict=True))
        for i, decoded in self._special.items():
            if best is not None and i > best:
                break
            if decoded == text:
                return i
        return best


def _starts_with(a: np.ndarray, pos: np.ndarray, pattern: bytes) -> np.ndarray:
    ok = pos >= 0
    limit = len(a) - 1
    for k, byte in enumerate(pattern):
        ok &= a[np.clip(pos + k, 0, limit)] == byte
    return ok
