"""Reading back a PDF the app made, in memory: its text (pdfminer) and its embedded images."""
from __future__ import annotations

import io
import re


def pdf_text(data: bytes) -> str:
    from pdfminer.converter import TextConverter
    from pdfminer.layout import LAParams
    from pdfminer.pdfinterp import PDFPageInterpreter, PDFResourceManager
    from pdfminer.pdfpage import PDFPage

    out = io.StringIO()
    manager = PDFResourceManager()
    device = TextConverter(manager, out, laparams=LAParams())
    interpreter = PDFPageInterpreter(manager, device)
    for page in PDFPage.get_pages(io.BytesIO(data)):
        interpreter.process_page(page)
    device.close()
    return out.getvalue()


def image_count(data: bytes) -> int:
    """Image XObjects in the file (fpdf2 writes their dictionaries uncompressed)."""
    return len(re.findall(rb"/Subtype\s*/Image", data))


def page_count(data: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page\b", data))
