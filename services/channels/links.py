"""Where a district's citizens are sent: the vote page's URL, its QR code, and the LINE route."""

from __future__ import annotations

import io
from urllib.parse import quote

import segno

LINE_CODE_PREFIX = "โหวต"


def page_url(base_url: str, code: str) -> str:
    return f"{base_url.rstrip('/')}/d/{code}"


def qr_code(url: str) -> segno.QRCode:
    """Error level M: survives a scuffed poster while the code stays coarse enough for cheap cameras."""
    return segno.make_qr(url, error="m", boost_error=False)


def qr_svg(url: str, *, scale: int = 8, title: str | None = None) -> bytes:
    out = io.BytesIO()
    qr_code(url).save(out, kind="svg", scale=scale, border=4, xmldecl=False, title=title, svgclass=None,
                      lineclass=None, dark="#000", light="#fff")
    return out.getvalue()


def qr_png(url: str, *, scale: int = 8) -> bytes:
    out = io.BytesIO()
    qr_code(url).save(out, kind="png", scale=scale, border=4)
    return out.getvalue()


def line_message(code: str) -> str:
    """The text the poster's LINE route pre-fills; the bot recognises the code in it."""
    return f"{LINE_CODE_PREFIX} {code}"


def line_chat_url(account_id: str, code: str) -> str:
    """LINE's URL scheme that opens the account's chat with the district's message typed in."""
    return f"https://line.me/R/oaMessage/{quote(account_id)}/?{quote(line_message(code))}"
