"""The one reader of input files: every file the command line reads comes through here.

Experiment, scenario and parameter files (TOML), network files (CSV) and the JSON files of
a results folder are read with :func:`read_text` (then :func:`read_toml` / :func:`read_json`),
so every one of them fails the same way, in one line naming the file and what is wrong:

- missing, a folder, not a regular file (``/dev/zero``, a pipe), unreadable, too large;
- not UTF-8: the message names the encoding the bytes look like (UTF-16 with or without a
  byte-order mark, UTF-32, Windows-1252, Shift-JIS, ...; guessed by ``charset-normalizer``
  for 8-bit text) and how to convert the file; a UTF-8 byte-order mark is accepted;
- binary (NUL bytes without a UTF-16/32 pattern, or no text encoding fits);
- malformed TOML or JSON, with the line and column of the parser's complaint.

Layer 0: imports only :mod:`sim.errors`.
"""

from __future__ import annotations

import codecs
import contextlib
import errno
import json
import os
import stat
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from sim.errors import UserError

#: Largest input read into memory. TOML and JSON files are hand-written and small; a
#: network file of 600,000 teachers (the largest district the parameters allow) is ~40 MB.
MAX_BYTES = {"toml": 16 * 2**20, "json": 256 * 2**20, "csv": 512 * 2**20}
#: 8-bit encodings worth naming when a file is not UTF-8: what spreadsheet programs and
#: editors on Windows and East-Asian systems write. Restricting the guess to these keeps a
#: short file from being named after an exotic code page. (UTF-16 and UTF-32 are told by
#: their byte-order mark or their NUL bytes, before any guess.)
CANDIDATES = ("cp1252", "cp1251", "shift_jis", "euc_jp", "gb18030", "big5", "euc_kr")
_BOMS = ((codecs.BOM_UTF32_LE, "UTF-32LE"), (codecs.BOM_UTF32_BE, "UTF-32BE"),
         (codecs.BOM_UTF16_LE, "UTF-16"), (codecs.BOM_UTF16_BE, "UTF-16"))
_NAMES = {"utf_16": "UTF-16", "utf_16_le": "UTF-16LE", "utf_16_be": "UTF-16BE",
          "utf_32": "UTF-32", "cp1252": "CP1252", "cp1251": "CP1251",
          "shift_jis": "SHIFT_JIS", "euc_jp": "EUC-JP", "gb18030": "GB18030",
          "big5": "BIG5", "euc_kr": "EUC-KR"}
_LABELS = {"CP1252": "Windows-1252 (Western European, often called ANSI or Latin-1)",
           "CP1251": "Windows-1251 (Cyrillic)"}


class InputFileError(UserError, ValueError):
    """An input file that cannot be used; the message says which file, where and why.

    Attributes:
        path: the file, as given.
        line: 1-based line number, or None for the whole file.
        problem: what is wrong, in words.
    """

    def __init__(self, path: str | os.PathLike, problem: str, line: int | None = None) -> None:
        self.path = str(path)
        self.line = line
        self.problem = problem
        where = f"{self.path}, line {line}" if line is not None else self.path
        super().__init__(f"{where}: {problem}")


def read_bytes(path: str | os.PathLike, what: str, kind: str = "toml") -> bytes:
    """The bytes of a regular file of at most ``MAX_BYTES[kind]``.

    Args:
        path: the file.
        what: what the file is, for messages ("experiment file", "node table", ...).
        kind: ``toml``, ``json`` or ``csv`` (chooses the size limit).

    Raises:
        InputFileError: missing, a folder or device, unreadable or too large.
    """
    path = Path(path)
    try:
        info = path.stat()
    except FileNotFoundError:
        raise InputFileError(path, f"{what} does not exist") from None
    except OSError as exc:
        raise InputFileError(path, f"cannot read the {what} ({_reason(exc)})") from None
    if stat.S_ISDIR(info.st_mode):
        raise InputFileError(path, f"is a folder; expected {_a(what)} ({kind.upper()})")
    if not stat.S_ISREG(info.st_mode):
        raise InputFileError(path, f"is not a regular file (a device, pipe or socket); "
                                   f"expected {_a(what)} ({kind.upper()})")
    limit = MAX_BYTES[kind]
    if info.st_size > limit:
        raise InputFileError(path, f"{info.st_size / 2**20:.0f} MB is too large for {_a(what)}; "
                                   f"at most {limit // 2**20} MB is read")
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputFileError(path, f"cannot read the {what} ({_reason(exc)})") from None


#: A caller's own error class (taking the one-line message) instead of InputFileError.
ErrorClass = Callable[[str], Exception] | None


@contextlib.contextmanager
def _raising(error: ErrorClass) -> Iterator[None]:
    try:
        yield
    except InputFileError as exc:
        if error is None:
            raise
        raise error(str(exc)) from None


def read_text(path: str | os.PathLike, what: str, kind: str = "toml",
              error: ErrorClass = None) -> str:
    """The text of a UTF-8 file (a UTF-8 byte-order mark is dropped).

    Args:
        path: the file.
        what: what the file is, for messages.
        kind: ``toml``, ``json`` or ``csv`` (size limit and the format named in messages).
        error: raise this class with the message instead of InputFileError.

    Raises:
        InputFileError: as :func:`read_bytes`, or the bytes are not UTF-8 text.
    """
    with _raising(error):
        return decode(read_bytes(path, what, kind), path, what)


def decode(data: bytes, path: str | os.PathLike, what: str) -> str:
    """Decode the bytes of an input file as UTF-8, or explain what they are instead."""
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    for bom, name in _BOMS:
        if data.startswith(bom):
            raise _not_utf8(path, what, name, "it starts with a byte-order mark")
    if b"\x00" in data:
        name = _wide_without_bom(data)
        if name is None:
            raise InputFileError(path, f"is a binary file (it contains NUL bytes), not "
                                       f"{_a(what)}; expected UTF-8 text")
        raise _not_utf8(path, what, name, "every other byte is NUL")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        where = f"line {line} has the byte 0x{data[exc.start]:02X}"
        guess = _guess(data)
        if guess is None:
            raise InputFileError(path, f"is not text in any common encoding ({where}); "
                                       f"expected {_a(what)} in UTF-8") from None
        raise _not_utf8(path, what, guess, where) from None


def _wide_without_bom(data: bytes) -> str | None:
    """UTF-16LE/BE for text whose every other byte is NUL (ASCII written as UTF-16)."""
    even, odd = data[0::2], data[1::2]
    if len(data) >= 2 and len(data) % 2 == 0:
        if odd.count(0) >= 0.9 * len(odd) and even.count(0) <= 0.1 * len(even):
            return "UTF-16LE"
        if even.count(0) >= 0.9 * len(even) and odd.count(0) <= 0.1 * len(odd):
            return "UTF-16BE"
    return None


def _guess(data: bytes) -> str | None:
    """The likeliest common encoding of 8-bit text (None: not text)."""
    from charset_normalizer import from_bytes  # a well-kept detector; imported on demand

    matches = sorted(from_bytes(data, cp_isolation=list(CANDIDATES)),
                     key=lambda m: (m.chaos, -m.coherence, _rank(m.encoding)))
    if not matches:
        return None
    name = matches[0].encoding
    if name == "cp1251" and _mostly_ascii_letters(data):
        # Short Western text decodes as Cyrillic too; Cyrillic text has mostly 8-bit letters.
        name = "cp1252"
    return _NAMES.get(name, name.upper().replace("_", "-"))


def _rank(encoding: str) -> int:
    return CANDIDATES.index(encoding) if encoding in CANDIDATES else len(CANDIDATES)


def _mostly_ascii_letters(data: bytes) -> bool:
    """True when 8-bit letters are a small share of the letters (accents in Latin words)."""
    ascii_letters = sum(65 <= b <= 90 or 97 <= b <= 122 for b in data)
    high = sum(b >= 0xC0 for b in data)
    return high < 0.3 * (ascii_letters + high)


def _not_utf8(path: str | os.PathLike, what: str, name: str, evidence: str) -> InputFileError:
    label = _LABELS.get(name, name)
    source = Path(path)
    target = source.with_name(f"{source.stem}-utf8{source.suffix}")
    return InputFileError(
        path, f"is not UTF-8 text ({evidence}; it looks like {label}); save the {what} as "
              f"UTF-8 (an editor's 'Save as' / encoding menu) or convert it: iconv -f "
              f"{name} -t UTF-8 {source} > {target}")


def read_toml(path: str | os.PathLike, what: str, error: ErrorClass = None) -> dict[str, Any]:
    """Read and parse a TOML file (see :func:`read_text` and :func:`parse_toml`)."""
    return parse_toml(read_text(path, what, "toml", error), path, error)


def parse_toml(text: str, path: str | os.PathLike, error: ErrorClass = None) -> dict[str, Any]:
    """Parse TOML text; ``path`` names the file in the one-line error.

    Raises:
        InputFileError: (or ``error``) the text is not valid TOML; the parser's message
            gives the line and column.
    """
    if text.startswith("\ufeff"):  # a byte-order mark kept in stored text
        text = text[1:]
    with _raising(error):
        try:
            return tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise InputFileError(path, f"not valid TOML: {exc}") from None
        except RecursionError:  # thousands of nested arrays
            raise InputFileError(path, "not valid TOML: nested too deeply") from None


def read_json(path: str | os.PathLike, what: str) -> Any:
    """Read and parse a JSON file (a results folder's manifest, ...).

    Raises:
        InputFileError: unreadable, not UTF-8 or not valid JSON.
    """
    text = read_text(path, what, "json")
    try:
        return json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise InputFileError(path, f"not valid JSON ({exc}); was the {what} edited or cut "
                                   "short?") from None


def _a(what: str) -> str:
    """``what`` with its indefinite article."""
    return f"{'an' if what[:1] in 'aeiou' else 'a'} {what}"


def _reason(exc: OSError) -> str:
    """An OSError's reason in words ("permission denied", ...)."""
    if exc.errno is not None:
        text = os.strerror(exc.errno)
        name = errno.errorcode.get(exc.errno)
        return f"{text[0].lower()}{text[1:]}" + (f", {name}" if name else "")
    return str(exc)
