"""A visitor's uploaded files → (name, bytes) pairs held in memory, or a DataError saying what to fix.

Uploads come from any web visitor, so every bound is checked before the work it bounds: a zip's directory
(member count, declared sizes, compression ratio, nested archives, encryption) before one byte is inflated,
then each member is inflated as a stream with a cap (a member that lies about its size stops at the cap).
Nothing is ever extracted to disk: archive names are only shown in messages (shortened), never used as paths,
so "../../etc/passwd" inside a zip is just a name. No gradio here.
"""
from __future__ import annotations

import io
import os
import zipfile
from collections.abc import Iterable

from .datasets import DataError

MAX_IMAGES = 2000  # images in one data set
MIN_IMAGES = 20  # fewer cannot be split into training and held-out images worth the name
MAX_FILE_BYTES = 5 << 20  # one uploaded file or one zip (Gradio's own max_file_size is the same 5 MB)
MAX_TOTAL_BYTES = 64 << 20  # all image bytes of one upload, after unzipping
MAX_RATIO = 50  # a zip member inflating more than 50x is a bomb: PNG / JPEG barely compress further
MAX_MEMBERS = 2 * MAX_IMAGES  # zip entries of any kind (folders included) we are willing to list
SKIPPED = ("__MACOSX/", ".DS_Store", "Thumbs.db", "desktop.ini")  # what file managers add to a zip on their own
ARCHIVE_MAGIC = (b"PK\x03\x04", b"PK\x05\x06", b"\x1f\x8b", b"7z\xbc\xaf", b"Rar!", b"BZh", b"\xfd7zXZ")


def shown_name(name: str) -> str:
    """A file name as a message may show it: the last path part, printable, at most 40 characters."""
    base = str(name).replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]
    base = "".join(c if c.isprintable() else "?" for c in base) or "?"
    return base if len(base) <= 40 else base[:37] + "…"


def _too_many(n: int) -> DataError:
    return DataError(f"too many images ({n:,}): upload at most {MAX_IMAGES:,}", "own_err_too_many", n=f"{n:,}",
                     max=f"{MAX_IMAGES:,}")


def is_archive(head: bytes) -> bool:
    return any(head.startswith(m) for m in ARCHIVE_MAGIC)


def _read_file(path_or_bytes) -> tuple[str, bytes]:
    """(name, bytes) of one upload: a path (Gradio's temp copy) or raw bytes; bounded before it is read."""
    if isinstance(path_or_bytes, (bytes, bytearray)):
        name, data = "upload", bytes(path_or_bytes)
    elif isinstance(path_or_bytes, (str, os.PathLike)):
        name = os.fspath(path_or_bytes)
        try:
            with open(name, "rb") as f:
                data = f.read(MAX_FILE_BYTES + 1)
        except OSError:
            raise DataError("an uploaded file could not be read: upload it again", "own_err_unreadable_upload") from None
    else:
        raise DataError("not a file: upload PNG or JPEG images or one zip", "own_err_not_file")
    if len(data) > MAX_FILE_BYTES:
        raise DataError(f"{shown_name(name)} is larger than {MAX_FILE_BYTES >> 20} MB", "own_err_file_big",
                        name=shown_name(name), mb=MAX_FILE_BYTES >> 20)
    return name, data


def _zip_members(name: str, data: bytes, budget: list[int]) -> list[tuple[str, bytes]]:
    """The image members of one zip, inflated in memory; budget[0] is the uncompressed bytes still allowed."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        raise DataError(f"{shown_name(name)} is not a readable zip", "own_err_bad_zip", name=shown_name(name)) from None
    if len(infos) > MAX_MEMBERS:
        raise _too_many(len(infos))
    files = [i for i in infos if not i.is_dir() and not any(s in i.filename for s in SKIPPED)
             and not shown_name(i.filename).startswith("._")]
    if len(files) > MAX_IMAGES:
        raise _too_many(len(files))
    declared = sum(i.file_size for i in files)
    for i in files:  # the directory is checked whole before anything is inflated
        if i.flag_bits & 0x1:
            raise DataError(f"{shown_name(i.filename)} is encrypted: zip without a password", "own_err_encrypted",
                            name=shown_name(i.filename))
        if i.file_size > MAX_FILE_BYTES or i.file_size > MAX_RATIO * max(i.compress_size, 1):
            raise DataError("the zip expands far more than images do (a zip bomb?): upload the images themselves",
                            "own_err_bomb")
    if declared > budget[0]:
        raise DataError(f"the images add up to more than {MAX_TOTAL_BYTES >> 20} MB unpacked: upload fewer or smaller ones",
                        "own_err_total_big", mb=MAX_TOTAL_BYTES >> 20)
    out = []
    for i in files:
        try:
            with zf.open(i) as f:  # inflated as a stream, capped: a member lying about its size stops here
                raw = f.read(min(i.file_size, MAX_FILE_BYTES) + 1)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError, RuntimeError):
            raise DataError(f"{shown_name(i.filename)} inside the zip is damaged", "own_err_member",
                            name=shown_name(i.filename)) from None
        if len(raw) > i.file_size:
            raise DataError("the zip expands far more than images do (a zip bomb?): upload the images themselves",
                            "own_err_bomb")
        if is_archive(raw[:8]):
            raise DataError(f"{shown_name(i.filename)} is an archive inside the zip: put the images in one zip",
                            "own_err_nested", name=shown_name(i.filename))
        budget[0] -= len(raw)
        out.append((i.filename, raw))
    return out


def read_uploads(uploads: Iterable) -> list[tuple[str, bytes]]:
    """Paths or bytes of uploaded files (images and at most a few zips) → [(name, image bytes)], MAX_IMAGES at most.

    Raises DataError (one sentence, catalogue key own_err_*) for too many files, a bomb, a nested archive, an
    encrypted or broken zip, a file over MAX_FILE_BYTES or an upload over MAX_TOTAL_BYTES unpacked."""
    if isinstance(uploads, (str, bytes, bytearray, os.PathLike)) or not isinstance(uploads, Iterable):
        uploads = [uploads]
    uploads = list(uploads)[:MAX_IMAGES + 1]
    if len(uploads) > MAX_IMAGES:
        raise _too_many(len(uploads))
    budget, out = [MAX_TOTAL_BYTES], []
    for u in uploads:
        name, data = _read_file(u)
        if data[:4] == b"PK\x03\x04" or data[:4] == b"PK\x05\x06":
            out += _zip_members(name, data, budget)
        elif is_archive(data[:8]):
            raise DataError(f"{shown_name(name)} is an archive this app does not open: use a zip",
                            "own_err_archive_kind", name=shown_name(name))
        else:
            budget[0] -= len(data)
            out.append((name, data))
        if budget[0] < 0:
            raise DataError(f"the images add up to more than {MAX_TOTAL_BYTES >> 20} MB unpacked: upload fewer or smaller ones",
                            "own_err_total_big", mb=MAX_TOTAL_BYTES >> 20)
        if len(out) > MAX_IMAGES:
            raise _too_many(len(out))
    return out
