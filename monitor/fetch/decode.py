"""bytes -> text: ``decode_html`` and the charset logic (BOM, UTF-8, declarations, detection)."""

from __future__ import annotations

import codecs
import logging
import re

import charset_normalizer

log = logging.getLogger(__name__)

_PRESCAN_BYTES = 4096
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# Names Python does not know, and the codecs real pages mean by them.
_ALIASES = {"x-sjis": "cp932", "windows-31j": "cp932", "x-euc-jp": "euc_jp", "x-gbk": "gb18030"}
# Python codecs -> the supersets that real pages (and browsers) use.
_SUPERSETS = {
    "shift_jis": "cp932",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "euc_kr": "cp949",
    "iso8859-1": "cp1252",
    "ascii": "cp1252",
}
_NOT_CHARSETS = frozenset({"idna", "punycode", "raw-unicode-escape", "unicode-escape", "undefined"})
_HEADER_CHARSET = re.compile(r"""charset\s*=\s*["']?([^\s;"',]+)""", re.IGNORECASE)
_DOCUMENT_CHARSET = re.compile(
    rb"""<meta\s[^>]*?charset\s*=\s*["']?\s*([a-z0-9_.:-]+)"""
    rb"""|<\?xml\s[^>]*?encoding\s*=\s*["']([a-z0-9_.:-]+)""",
    re.IGNORECASE,
)


def decode_html(content: bytes, content_type: str | None) -> tuple[str, str]:
    """Decode a page: BOM, valid UTF-8, declared charsets that fit the bytes, detection."""
    for bom, codec in _BOMS:
        if content.startswith(bom):
            return content[len(bom) :].decode(codec, errors="replace"), codec
    if not content.isascii():
        try:
            return content.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            if _mostly_utf8(content):
                return content.decode("utf-8", errors="replace"), "utf-8"
    for codec in _declared_codecs(content, content_type):
        try:
            return content.decode(codec), codec
        except (UnicodeError, LookupError):
            log.debug("declared charset %s does not fit the bytes", codec)
    if content.isascii():
        return content.decode("ascii"), "ascii"
    return _detect(content) or (content.decode("utf-8", errors="replace"), "utf-8")


def _mostly_utf8(content: bytes) -> bool:
    """UTF-8 with a few broken bytes (a truncated character, a stray byte): still UTF-8, not
    a page in another charset, which would break on most of its non-ASCII bytes."""
    text = content.decode("utf-8", errors="replace")
    errors = text.count("\ufffd")
    wide = sum(1 for char in text if ord(char) > 0x7F) - errors
    return wide >= 10 and errors <= max(3, wide // 100)


_WEAK_CODECS = frozenset({"cp1252", "latin-1", "iso8859-1", "ascii"})


def _declared_codecs(content: bytes, content_type: str | None) -> list[str]:
    """Codecs to try, in order: the HTTP charset, then those the document declares."""
    names = []
    if content_type and (header := _HEADER_CHARSET.search(content_type)):
        names.append(header.group(1))
    for declaration in _DOCUMENT_CHARSET.finditer(content[:_PRESCAN_BYTES]):
        name = (declaration.group(1) or declaration.group(2)).decode("ascii")
        # A declaration readable as ASCII proves the page is not UTF-16/32 (as browsers reason).
        names.append("utf-8" if name.lower().startswith(("utf-16", "utf-32")) else name)
    codecs_to_try: list[str] = []
    for name in names:
        codecs_to_try += [c for c in _codecs_for(name) if c not in codecs_to_try]
    # A single-byte Western charset decodes any bytes, so it proves nothing: an HTTP header
    # saying ISO-8859-1 (an old server default) must not beat the page's own <meta>.
    return sorted(codecs_to_try, key=lambda codec: codec in _WEAK_CODECS)


def _codecs_for(name: str) -> tuple[str, ...]:
    """Python codecs for a charset name (aliases resolved to supersets); () if unknown."""
    key = name.strip().strip("\"'").lower()
    try:
        codec = codecs.lookup(_ALIASES.get(key, key)).name
    except LookupError:
        return ()
    if codec in _NOT_CHARSETS:
        return ()
    codec = _SUPERSETS.get(codec, codec)
    return (codec, "euc_jis_2004") if codec == "euc_jp" else (codec,)


def _detect(content: bytes) -> tuple[str, str] | None:
    """Decode with the charset that charset-normalizer finds most likely, if any fits."""
    best = charset_normalizer.from_bytes(content).best()
    if best is None:
        return None
    for codec in _codecs_for(best.encoding):
        try:
            return content.decode(codec), codec
        except (UnicodeError, LookupError):
            continue
    return None
