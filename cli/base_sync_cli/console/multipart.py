"""A ``multipart/form-data`` body (the CSV upload form) read with the standard library's email parser.

Text parts become form fields (UTF-8), file parts :class:`Upload` (bytes as sent: the CSV's own
encoding is decided later by the CLI's shipments parsing).
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import Message
from email.parser import BytesParser
from email.policy import HTTP
from typing import Final

MAX_UPLOAD_BYTES: Final = 2 * 1024 * 1024
"""The largest upload the console reads: the API takes 1,000 rows / 512 KB per request, the CLI's
loader splits a larger file; 2 MB is several thousand lines of a carrier's export."""


@dataclass(frozen=True)
class Upload:
    filename: str
    data: bytes


def parse_multipart(content_type: str, body: bytes) -> tuple[dict[str, list[str]], dict[str, Upload]]:
    """The form's text fields and files; a body that is not multipart gives nothing."""
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode("latin-1", "replace")
    message = BytesParser(policy=HTTP).parsebytes(head + body)
    fields: dict[str, list[str]] = {}
    files: dict[str, Upload] = {}
    if not message.is_multipart():
        return fields, files
    for part in message.iter_parts():
        name = _param(part, "name")
        if not name:
            continue
        payload = part.get_payload(decode=True) or b""
        filename = _param(part, "filename")
        if filename is not None:
            files[name] = Upload(filename, bytes(payload))
        else:
            fields.setdefault(name, []).append(bytes(payload).decode("utf-8", errors="replace"))
    return fields, files


def _param(part: Message, key: str) -> str | None:
    value = part.get_param(key, header="content-disposition")
    if value is None:
        return None
    if isinstance(value, tuple):  # RFC 2231 encoded
        return str(value[2])
    return str(value)
