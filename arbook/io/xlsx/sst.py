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


class SharedStrings:
    """The workbook's shared-string table, to which arbook only ever appends.

    Existing entries keep their index and their bytes, so every cell that refers to them
    still shows the same text.
    """

    def __init__(self, xml: bytes | None):
        self.xml = xml if xml is not None else _EMPTY_SST
        self.strings = parse_shared_strings(self.xml)
        self._index: dict[str, int] | None = None
        self._added: list[str] = []

    def index_of(self, texts: list[str]) -> list[int]:
        """Index of each text, appending the ones the table does not have yet.

        arbook looks up a handful of labels in a table of perhaps a million strings, so each
        is found by one vectorised comparison instead of hashing the whole table.
        """
        if self._index is None:
            self._index = {}
        out = []
        for text in texts:
            i = self._index.get(text)
            if i is None:
                hits = np.flatnonzero(self.strings == text) if len(self.strings) else []
                if len(hits):
                    i = int(hits[0])
                else:
                    i = len(self.strings) + len(self._added)
                    self._added.append(text)
                self._index[text] = i
            out.append(i)
        return out

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
        total = len(self.strings) + len(self._added)
        head = _SST_OPEN.search(xml)
        tag = head.group(0)
        if _UNIQUE_COUNT.search(tag):
            new_tag = _UNIQUE_COUNT.sub(f'uniqueCount="{total}"'.encode(), tag)
        else:
            new_tag = tag[:-1] + f' uniqueCount="{total}">'.encode()
        return xml[: head.start()] + new_tag + xml[head.end():]
