"""Shipping labels made here, for carriers (the sandbox) that do not send their own:
a one-page A6 PDF for an office printer, ZPL for a thermal one. Plain text and a
Code 128 barcode in ZPL; the PDF is written by hand (a few hundred bytes, no library)."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from omnichannel.fulfillment.carriers.rules import CONTENT_TYPES, LabelFormat

# Letters the PDF base fonts lack and NFKD does not take apart.
_ASCII = str.maketrans({"ł": "l", "Ł": "L", "đ": "d", "ø": "o", "ß": "ss"})
_A6 = (298, 420)  # points


def _ascii(text: str) -> str:
    """Text the built-in fonts of PDF and ZPL print: "Łódź" → "Lodz"."""
    folded = unicodedata.normalize("NFKD", text.translate(_ASCII))
    return "".join(c for c in folded if c.isascii() and (c.isprintable() or c == " "))


def pdf(lines: Sequence[str]) -> bytes:
    """An A6 page with the lines in Helvetica, the first one large."""
    ops = []
    y = _A6[1] - 40
    for i, line in enumerate(lines):
        size = 16 if i == 0 else 10
        text = _ascii(line).replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        ops.append(f"BT /F1 {size} Tf 20 {y} Td ({text}) Tj ET")
        y -= size + 8
    stream = "\n".join(ops).encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] " % _A6
        + b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\n" % (len(objects) + 1)
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def zpl(lines: Sequence[str], barcode: str) -> bytes:
    """A 4 × 6 inch label at 203 dpi: the lines, then the barcode of `barcode`."""
    out = ["^XA", "^CI28"]
    y = 40
    for i, line in enumerate(lines):
        height = 48 if i == 0 else 30
        text = _ascii(line).replace("^", " ").replace("~", " ")
        out.append(f"^FO40,{y}^A0N,{height},{height}^FD{text}^FS")
        y += height + 16
    out.append(f"^FO40,{y + 20}^BY3^BCN,160,Y,N,N^FD{_ascii(barcode)}^FS")
    out.append("^XZ")
    return ("\n".join(out) + "\n").encode("ascii")


def render(format: LabelFormat, lines: Sequence[str], barcode: str) -> tuple[bytes, str]:
    """The label's bytes and content type."""
    body = pdf([*lines, barcode]) if format is LabelFormat.PDF else zpl(lines, barcode)
    return body, CONTENT_TYPES[format]
