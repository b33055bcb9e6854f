"""Reading the PDF reports back in tests: rendered to an image, so a blank page cannot pass."""

from dataclasses import dataclass
from io import BytesIO

import pypdfium2


@dataclass(frozen=True)
class RenderedPdf:
    pages: int
    # Pixels darker than mid-grey in the top fifth of page 1 (where the title is drawn).
    dark_pixels_in_title: int
    text: str


def render_pdf(content: bytes) -> RenderedPdf:
    assert content.startswith(b"%PDF-"), content[:20]
    document = pypdfium2.PdfDocument(BytesIO(content))
    try:
        image = document[0].render(scale=1).to_pil().convert("L")
        width, height = image.size
        dark = sum(image.crop((0, 0, width, height // 5)).histogram()[:128])
        text = "".join(page.get_textpage().get_text_range() for page in document)
        return RenderedPdf(len(document), dark, text)
    finally:
        document.close()
