"""The shared-string table decodes only the entries asked for, and agrees with a full parse."""

import numpy as np
import pytest

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
