"""The shared-string table decodes only the entries asked for, and agrees with a full parse."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arbook.io.xlsx import sst as sst_module
from arbook.io.xlsx.sst import SharedStrings, parse_shared_strings

ENTRIES = [
    b"<si><t>RE-1</t></si>",
    b'<si><t xml:space="preserve"> K 1 </t></si>',
    b"<si><t>a &amp; b</t></si>",
    b"<si><r><t>ri</t></r><r><t>ch</t></r></si>",
    b"<si/>",
    b"<si><t/></si>",
    b"<si><t>line_x000D_</t></si>",
    b"<si><t>Gr\xc3\xbc\xc3\x9fe &lt;x&gt;</t></si>",
    b"<si><t>a>b</t></si>",
    b"<si><t>RE-1</t><rPh sb=\"0\" eb=\"1\"><t>x</t></rPh></si>",
    b"<si><t>offen</t></si>",
    b"<si><t>rich</t></si>",
    b"<si><t>a &amp; b</t></si>",
    b"<si><t></t></si>",
]


def table(separator: bytes = b"") -> bytes:
    return (b'<?xml version="1.0"?><sst xmlns="x" uniqueCount="%d">' % len(ENTRIES)
            + separator.join(ENTRIES) + b"</sst>")


@pytest.mark.parametrize("separator", [b"", b"\n  "], ids=["compact", "indented"])
def test_entries_decoded_on_demand_equal_the_full_parse(separator):
    xml = table(separator)
    expected = parse_shared_strings(xml)
    sst = SharedStrings(xml)
    assert len(sst) == len(ENTRIES) == len(expected)
    picked = np.array([10, 3, 0, 0, 7, 2, 4, 13, 6, 9, 8, 5, 1, 10])
    assert sst.texts_at(picked).tolist() == expected[picked].tolist()
    assert sst.strings.tolist() == expected.tolist()


@pytest.mark.parametrize("separator", [b"", b"\n  "], ids=["compact", "indented"])
def test_index_of_finds_the_first_entry_with_that_text(separator):
    sst = SharedStrings(table(separator))
    expected = parse_shared_strings(table(separator)).tolist()
    labels = ["RE-1", "rich", "a & b", "", "Grüße <x>", "a>b", "line\r", "offen", "neu"]
    found = sst.index_of(labels)
    first = [expected.index(t) if t in expected else None for t in labels]
    assert found[:-1] == first[:-1]
    assert found[-1] == len(ENTRIES) and sst.changed  # appended at the end
    assert sst.texts_at(np.array(found[:-1])).tolist() == labels[:-1]


def test_an_empty_table_has_no_entries():
    sst = SharedStrings(None)
    assert len(sst) == 0 and sst.texts_at(np.zeros(0, np.int64)).tolist() == []
    assert sst.index_of(["x", "x"]) == [0, 0]


# -- many lookups at once: the fingerprint index agrees with the scan, one text at a time ------

# Entry bodies as a table may hold them: entities, _xHHHH_ escapes, spaces kept or not, rich
# text in runs, phonetic runs, and texts that repeat (the first entry must win).
PIECES = ["RE-1", "a", " ", "&amp;", "&lt;x&gt;", "a>b", "_x000D_", "_x", "Grüße", "offen",
          "0123456789", "NEU-0000001", "\u20ac"]


def entry_xml(parts: list[str], form: str) -> bytes:
    body = "".join(parts)
    match form:
        case "plain":
            xml = f"<si><t>{body}</t></si>"
        case "preserve":
            xml = f'<si><t xml:space="preserve">{body}</t></si>'
        case "rich":
            xml = "<si>" + "".join(f"<r><t>{p}</t></r>" for p in parts) + "</si>"
        case _:  # phonetic
            xml = f'<si><t>{body}</t><rPh sb="0" eb="1"><t>ph</t></rPh></si>'
    return xml.encode("utf-8")


def sst_of(entries: list[bytes]) -> bytes:
    return (b'<?xml version="1.0"?><sst xmlns="x" uniqueCount="%d">' % len(entries)
            + b"".join(entries) + b"</sst>")


def reference(stored: list[str], texts: list[str]) -> list[int]:
    """The first entry with each text from a full parse; others numbered on from the end."""
    new: dict[str, int] = {}
    return [stored.index(t) if t in stored else new.setdefault(t, len(stored) + len(new))
            for t in texts]


def one_by_one(xml: bytes, texts: list[str], monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The reference: each text looked up on its own by scanning the raw bytes."""
    monkeypatch.setattr(sst_module, "FULL_INDEX_AFTER", 10**9)
    sst = SharedStrings(xml)
    out = [sst.index_of([t])[0] for t in texts]
    monkeypatch.undo()
    return out


@pytest.mark.parametrize("fingerprint", ["real", "length only"])
def test_many_lookups_agree_with_one_by_one_and_the_full_parse(monkeypatch, fingerprint):
    entries = [entry_xml(["NEU-", f"{i:07d}"], "plain") for i in range(200)]
    entries += [entry_xml(p, f) for p, f in [
        ([" ", "K 1", " "], "preserve"), ([" ", "K 1", " "], "plain"), (["a ", "&amp;", " b"],
         "plain"), (["ri", "ch"], "rich"), (["NEU-", "0000007"], "rich"), (["line", "_x000D_"],
         "plain"), (["RE-1"], "phonetic"), (["RE-1"], "plain"), (["a>b"], "plain"),
        (["a&gt;b"], "plain"), ([], "plain"), (["Grüße ", "&lt;x&gt;"], "plain")]]
    xml = sst_of(entries)
    stored = parse_shared_strings(xml).tolist()
    texts = stored[::-1] + [f"NEU-{i:07d}" for i in range(190, 260)] + [" K 1", "rich "]
    batch = SharedStrings(xml)
    with monkeypatch.context() as patch:
        if fingerprint != "real":  # entries of one length collide: the bytes must decide
            patch.setattr(sst_module, "_fingerprint", lambda _b, _s, width: width.astype(
                np.uint64))
        found = batch.index_of(texts)
    assert found == reference(stored, texts) == one_by_one(xml, texts, monkeypatch)
    new = [t for t in dict.fromkeys(texts) if t not in stored]
    assert new and SharedStrings(batch.to_xml()).strings.tolist() == stored + new


def test_texts_appended_earlier_in_the_session_are_found_again():
    sst = SharedStrings(sst_of([entry_xml(["offen"], "plain")]))
    early = sst.index_of(["neu 1", "offen"])
    many = sst.index_of([f"x{i}" for i in range(100)] + ["neu 1", "offen"])
    assert early == [1, 0] and many[-2:] == early
    assert len(sst) == 2 + 100


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.lists(st.sampled_from(PIECES), max_size=4),
                          st.sampled_from(["plain", "preserve", "rich", "phonetic"])),
                max_size=30),
       st.lists(st.lists(st.sampled_from(PIECES), max_size=4), max_size=20),
       st.integers(0, 3))
def test_batch_lookup_equals_lookups_one_at_a_time(entries, queries, threshold):
    xml = sst_of([entry_xml(parts, form) for parts, form in entries])
    stored = parse_shared_strings(xml).tolist()
    # texts of the table (decoded, so escapes and entities are real characters) and others
    texts = stored + [sst_module._unescape("".join(q)) for q in queries]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sst_module, "FULL_INDEX_AFTER", threshold)  # 0: always the index
        found = SharedStrings(xml).index_of(texts)
    assert found == reference(stored, texts)
    with pytest.MonkeyPatch.context() as patch:
        assert found == one_by_one(xml, texts, patch)
