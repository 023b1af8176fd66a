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
    """All strings of sharedStrings.xml as an object array (rich text flattened)."""
    out = []
    for simple, rich in _SIMPLE.findall(xml.decode("utf-8")):
        if rich:
            rich = _PHONETIC_STR.sub("", rich)
            out.append("".join(_RUN_TEXT_STR.findall(rich)))  # unescaped below, once
        else:
            out.append(simple)
    strings = np.array(out, dtype=object)
    needs = [i for i, text in enumerate(out) if "&" in text or "_x" in text]
    for i in needs:
        strings[i] = _unescape(out[i])
    return strings


def inline_text(cell_xml: bytes) -> str:
    """Text of an inline-string cell ``<c t="inlineStr"><is>...</is></c>``."""
    body = _PHONETIC.sub(b"", cell_xml)
    return "".join(decode_xml_text(t) for t in _RUN_TEXT.findall(body))
