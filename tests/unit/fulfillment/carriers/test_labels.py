"""Labels made here open in any PDF reader and print on a thermal printer: the PDF's
cross-reference points at its objects, and text is folded to what the fonts hold."""

from __future__ import annotations

import re

from omnichannel.fulfillment.carriers import labels
from omnichannel.fulfillment.carriers.rules import LabelFormat

LINES = ["SANDBOX LOCKER", "Zażółć Gęślą (Jaźń)", "Paczkomat KRA01M", "Size A"]


def test_a_pdf_labels_cross_reference_points_at_each_of_its_objects() -> None:
    body = labels.pdf(LINES)
    start = re.search(rb"startxref\n(\d+)\n%%EOF\n$", body)
    assert start is not None
    assert body[int(start.group(1)) :].startswith(b"xref")
    offsets = [int(o) for o in re.findall(rb"(\d{10}) 00000 n", body)]
    assert len(offsets) == 5
    for n, offset in enumerate(offsets, start=1):
        assert body[offset:].startswith(b"%d 0 obj" % n)
    length = re.search(rb"/Length (\d+) >>\nstream\n", body)
    assert length is not None
    end = length.end() + int(length.group(1))
    assert body[end:].startswith(b"\nendstream")


def test_polish_letters_are_folded_and_brackets_escaped_for_the_base_font() -> None:
    body = labels.pdf(LINES)
    assert b"(Zazolc Gesla \\(Jazn\\)) Tj" in body
    assert body.isascii()


def test_a_zpl_label_carries_its_barcode_and_no_field_breaking_characters() -> None:
    body, content_type = labels.render(LabelFormat.ZPL, ["^caret~tilde"], "123456")
    assert content_type == "application/zpl"
    assert b"^FD caret tilde^FS" in body
    assert b"^BCN,160,Y,N,N^FD123456^FS" in body
