"""Inputs: a person's TOML or JSON text (a scenario or experiment file, a `--set` value) read and
parsed within the limits, or one InputError saying what is wrong with it.

A file must be a regular file (not a folder, a device such as /dev/zero or a pipe) of at most
MAX_FILE_BYTES, in UTF-8; a UTF-8 byte-order mark, as some Windows editors write, is ignored,
and a UTF-16 or UTF-32 one is named. Parsed data may nest tables and arrays at most MAX_NESTING
deep. The file's kind and size are checked before it is read, the nesting while the text is
parsed (a parser that recurses past Python's limit is stopped) and again before the data go
anywhere, so bad input costs at most the limits, whatever it is.
"""

from __future__ import annotations

import json
import os
import stat
import sys
import tomllib
from pathlib import Path
from typing import Any

from flexsim.limits import MAX_FILE_BYTES, MAX_NESTING, MAX_QUOTED_CHARS

MAX_DIGITS = sys.get_int_max_str_digits()  # Python's own limit on reading an integer
UTF8_BOM = b"\xef\xbb\xbf"
OTHER_BOMS = {  # longest first: UTF-32 LE starts with the UTF-16 LE mark
    b"\xff\xfe\x00\x00": "UTF-32",
    b"\x00\x00\xfe\xff": "UTF-32",
    b"\xff\xfe": "UTF-16",
    b"\xfe\xff": "UTF-16",
}
FILE_KINDS = {
    stat.S_IFDIR: "a folder",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFIFO: "a pipe",
    stat.S_IFSOCK: "a socket",
}


class InputError(Exception):
    """Input that cannot be read or parsed; the message says why, without naming the source
    (the caller puts the file or option in front)."""


class Malformed(InputError):
    """Text that is not valid TOML or JSON."""


class Unreadable(InputError):
    """A file the system would not read (absent, no permission); `reason` says why."""

    def __init__(self, error: OSError) -> None:
        self.reason = error.strerror or str(error)
        super().__init__(f"cannot read the file ({self.reason})")


def read_bytes(path: str | os.PathLike[str]) -> bytes:
    """The bytes of a regular file of at most MAX_FILE_BYTES.

    The file is opened without blocking (a pipe would wait for a writer) and checked on the
    open descriptor; at most one byte more than the limit is read, so a file that grows or
    whose size the system does not report cannot make it read more.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as error:
        raise Unreadable(error) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            kind = FILE_KINDS.get(stat.S_IFMT(info.st_mode), "not a regular file")
            raise InputError(f"is {kind}, not a regular file")
        if info.st_size > MAX_FILE_BYTES:
            raise InputError(_too_big(info.st_size))
        raw = os.read(fd, MAX_FILE_BYTES + 1)
        while len(raw) <= MAX_FILE_BYTES and (more := os.read(fd, MAX_FILE_BYTES + 1 - len(raw))):
            raw += more  # a short read (a file still being written, a network disk)
    except OSError as error:
        raise Unreadable(error) from None
    finally:
        os.close(fd)
    if len(raw) > MAX_FILE_BYTES:
        raise InputError(_too_big(len(raw)))
    return raw


def _too_big(size: int) -> str:
    return f"holds {size:,} bytes or more; an input file may hold at most {MAX_FILE_BYTES:,}"


def decode(raw: bytes) -> str:
    """UTF-8 text, without a leading byte-order mark."""
    for mark, encoding in OTHER_BOMS.items():
        if raw.startswith(mark):
            raise InputError(
                f"is {encoding} text (it starts with a {encoding} byte-order mark); "
                "save it as UTF-8"
            )
    try:
        return raw.removeprefix(UTF8_BOM).decode("utf-8")
    except UnicodeDecodeError as error:
        raise InputError(f"not a UTF-8 text file ({error.reason} at byte {error.start})") from None


def read_text(path: str | os.PathLike[str]) -> str:
    """A regular file's UTF-8 text, within the limits."""
    return decode(read_bytes(path))


def parse(text: str, kind: str) -> dict[str, Any]:
    """TOML or JSON text (`kind` "TOML" or "JSON") as data nested at most MAX_NESTING deep."""
    try:
        data = json.loads(text) if kind == "JSON" else tomllib.loads(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as error:
        raise Malformed(f"not valid {kind}: {error}") from None
    except ValueError:  # Python reads integers of at most 4,300 digits (sys.int_info)
        raise Malformed(
            f"not valid {kind}: an integer has more than {MAX_DIGITS:,} digits"
        ) from None
    except RecursionError:  # the parsers recurse once per level: far deeper than allowed
        raise InputError(_too_deep()) from None
    if not isinstance(data, dict):
        raise InputError(f"not a {kind} table of keys and values")
    check_nesting(data)
    return data


def kind_of(path: str | os.PathLike[str]) -> str:
    """The format a file's name says it is in: JSON for `.json`, TOML otherwise."""
    return "JSON" if Path(path).suffix == ".json" else "TOML"


def check_nesting(data: Any) -> None:
    """Raise InputError when tables and arrays nest more than MAX_NESTING deep (walked with a
    stack, not recursion, so any depth is safe to look at)."""
    stack = [(data, 1)]
    while stack:
        node, depth = stack.pop()
        children = node.values() if isinstance(node, dict) else node
        for child in children:
            if isinstance(child, dict | list):
                if depth + 1 > MAX_NESTING:
                    raise InputError(_too_deep())
                stack.append((child, depth + 1))


def _too_deep() -> str:
    return f"tables and arrays nest more than {MAX_NESTING} deep"


def shortened(text: str, limit: int = MAX_QUOTED_CHARS) -> str:
    """`text`, cut to `limit` characters with an ellipsis when longer."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def quoted(text: str) -> str:
    """A person's text quoted back in a message (repr), shortened: a key or name read from a
    file may be megabytes long."""
    return repr(shortened(text))


def listing(names: list[str], limit: int = 10) -> str:
    """Names joined by commas, at most `limit` of them, each shortened, then how many more."""
    shown = ", ".join(shortened(name) for name in names[:limit])
    more = len(names) - limit
    return f"{shown} and {more:,} more" if more > 0 else shown
