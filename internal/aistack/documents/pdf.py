"""PDF documents whose text is set in Noto Sans CJK (an installed font package), so Chinese
renders in any viewer: the one place that knows the font."""

from functools import cache

from cvttf_NotoSansCJK_Regular import get_TTF_path
from fpdf import FPDF

CJK_FONT = "NotoSansCJK"


@cache
def cjk_font_path() -> str:
    return get_TTF_path()


def new_cjk_pdf() -> FPDF:
    """An A4 document with automatic page breaks, the CJK font registered and a first page."""
    pdf = FPDF()
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_font(CJK_FONT, fname=cjk_font_path())
    pdf.add_page()
    return pdf
