"""What counts as a text to classify, for files, the command line and the HTTP service alike."""

from __future__ import annotations


def utf8_error_position(data: bytes) -> tuple[int, int] | None:
    """(line, byte offset) of the first byte of `data` that is not valid UTF-8, or None if all of it is."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as err:
        return data.count(b"\n", 0, err.start) + 1, err.start
    return None


def text_problem(text: object) -> str | None:
    """Why `text` cannot be classified (not a string, empty, a NUL byte, broken Unicode), or None when it can."""
    if not isinstance(text, str):
        return "not text"
    if not text.strip():
        return "empty text"
    if "\x00" in text:
        return "not text (contains a NUL byte)"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "not valid Unicode (a lone surrogate)"
    return None
