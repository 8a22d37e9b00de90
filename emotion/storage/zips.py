"""What reading a damaged zip archive (a torch checkpoint, a numpy .npz) raises.

`zipfile` reports a broken directory as BadZipFile, but a flipped bit in a member's header fields reaches other
errors: a compression method it cannot read (NotImplementedError), an "encrypted" flag (RuntimeError), a stream the
decompressor rejects (zlib.error, lzma.LZMAError, OSError for bz2), a header that does not unpack (struct.error),
a member name that is no longer UTF-8 (UnicodeDecodeError). torch's own reader, stricter than zipfile about the
directory, raises RuntimeError ("PytorchStreamReader failed ...").
"""

from __future__ import annotations

import lzma
import struct
import zipfile
import zlib

ZIP_READ_ERRORS: tuple[type[BaseException], ...] = (
    zipfile.BadZipFile,
    OSError,
    EOFError,
    NotImplementedError,
    RuntimeError,
    zlib.error,
    lzma.LZMAError,
    struct.error,
    UnicodeDecodeError,
)
