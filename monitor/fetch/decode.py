"""bytes -> text: ``decode_html`` and the charset logic (BOM, UTF-8, declarations, detection).

The same bytes always give the same text: each family of Japanese charsets has one decoder
whatever name a page or the detector gives it. Every Shift_JIS name (``Shift_JIS``,
``shift_jis_2004``, ``Shift_JISX0213``, ``MS_Kanji``, ``Windows-31J``…) decodes as cp932 (what
browsers do: 0x8160 is ～ U+FF5E, never 〜 U+301C on one fetch and ～ on the next), and only a
character cp932 lacks is read as Shift_JIS-2004; EUC-JP likewise, as euc_jp with
EUC-JIS-2004 for what euc_jp lacks. The fallback is per character, so one rare character
elsewhere on the page never changes how the rest of it reads.
"""

from __future__ import annotations

import codecs
import logging
import re

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
    "shift_jis_2004": "cp932",
    "shift_jisx0213": "cp932",
    "euc_jis_2004": "euc_jp",
    "euc_jisx0213": "euc_jp",
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
            return _decode(content, codec), codec
        except (UnicodeError, LookupError):
            log.debug("declared charset %s does not fit the bytes", codec)
    if content.isascii():
        return content.decode("ascii"), "ascii"
    return (
        _detect(content)
        or _japanese(content)
        or (content.decode("utf-8", errors="replace"), "utf-8")
    )


def _japanese(content: bytes) -> tuple[str, str] | None:
    """When nothing is declared and detection finds nothing (a short page): the Japanese
    charset the bytes fit, if one does (Japanese pages are the first target)."""
    for codec in ("cp932", "euc_jp"):
        try:
            return _decode(content, codec), codec
        except UnicodeDecodeError:
            continue
    return None


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
    return (_SUPERSETS.get(codec, codec),)


#: Decoders whose missing characters are read, one by one, with a superset.
_FALLBACKS = {"cp932": "shift_jis_2004", "euc_jp": "euc_jis_2004"}


def _fallback_handler(fallback: str) -> str:
    """Register (once) and name a decoding error handler that reads the bytes the decoder
    failed on with ``fallback`` (1 to 4 bytes: one character), or fails as strict does."""
    name = f"monitor-{fallback}"

    def handler(exc: UnicodeError) -> tuple[str, int]:
        if not isinstance(exc, UnicodeDecodeError):
            raise exc
        data = exc.object
        for width in (2, 1, 3, 4):
            try:
                return data[exc.start : exc.start + width].decode(fallback), exc.start + width
            except UnicodeDecodeError:
                continue
        raise exc

    try:
        codecs.lookup_error(name)
    except LookupError:
        codecs.register_error(name, handler)
    return name


_ERROR_HANDLERS = {codec: _fallback_handler(fallback) for codec, fallback in _FALLBACKS.items()}


def _decode(content: bytes, codec: str) -> str:
    """``content`` in ``codec``, strictly (UnicodeError if it does not fit), but for the
    characters a Japanese codec lacks and its superset has (see the module doc)."""
    return content.decode(codec, _ERROR_HANDLERS.get(codec, "strict"))


def _detect(content: bytes) -> tuple[str, str] | None:
    """Decode with the charset that charset-normalizer finds most likely, if any fits
    (imported here: few pages need it, and its tables cost a process 2.5 MB)."""
    import charset_normalizer

    best = charset_normalizer.from_bytes(content).best()
    if best is None:
        return None
    for codec in _codecs_for(best.encoding):
        try:
            return _decode(content, codec), codec
        except (UnicodeError, LookupError):
            continue
    return None
