"""Files sent to the guichet: checked by size and by their first bytes, stored under random names.

The same rules apply to the form and to e-mail. A file refused from an e-mail is not lost: the raw
message stays in ``InboundMail`` and the request's history says which file was set aside and why.
"""

import hashlib
from dataclasses import dataclass
from pathlib import PurePath

from django.core.files.base import ContentFile

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
MAX_ATTACHMENTS = 10

# Extension → (media type, accepted leading bytes). Office documents are ZIP containers.
_ZIP = (b"PK\x03\x04",)
ACCEPTED_TYPES: dict[str, tuple[str, tuple[bytes, ...]]] = {
    ".pdf": ("application/pdf", (b"%PDF-",)),
    ".png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    ".jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".odt": ("application/vnd.oasis.opendocument.text", _ZIP),
    ".ods": ("application/vnd.oasis.opendocument.spreadsheet", _ZIP),
    ".odp": ("application/vnd.oasis.opendocument.presentation", _ZIP),
    ".docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        _ZIP,
    ),
    ".xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", _ZIP),
    ".pptx": (
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        _ZIP,
    ),
    ".txt": ("text/plain", ()),
    ".csv": ("text/csv", ()),
    ".md": ("text/markdown", ()),
}
ACCEPTED_LABEL = "PDF, PNG, JPEG, OpenDocument, Word, Excel, PowerPoint, texte ou CSV"


@dataclass(frozen=True)
class IncomingFile:
    """A file as it arrives, before it is checked (from a form upload or an e-mail part)."""

    name: str
    data: bytes


def display_name(name: str) -> str:
    """The name shown to people: no directories, no control characters, at most 255 characters."""
    base = PurePath(name.replace("\\", "/")).name
    cleaned = "".join(char for char in base if char.isprintable()).strip()
    return (cleaned or "piece-jointe")[:255]


def media_type(incoming: IncomingFile) -> str:
    """The media type of an accepted file, from its extension (checked against its bytes)."""
    return ACCEPTED_TYPES[PurePath(display_name(incoming.name).lower()).suffix][0]


def size_refusal(name: str, size: int) -> str | None:
    """Why a file of ``size`` bytes is refused, or None; checked before its content is read."""
    if size <= 0:
        return f"« {display_name(name)} » est vide."
    if size > MAX_ATTACHMENT_BYTES:
        return f"« {display_name(name)} » dépasse {MAX_ATTACHMENT_BYTES // (1024 * 1024)} Mo."
    return None


def refusal(incoming: IncomingFile) -> str | None:
    """Why the file is refused, in French, or None when it is accepted."""
    name = display_name(incoming.name)
    by_size = size_refusal(incoming.name, len(incoming.data))
    if by_size is not None:
        return by_size
    suffix = PurePath(name.lower()).suffix
    if suffix not in ACCEPTED_TYPES:
        return f"« {name} » : ce type de fichier n'est pas accepté ({ACCEPTED_LABEL})."
    _, signatures = ACCEPTED_TYPES[suffix]
    if signatures and not incoming.data.startswith(signatures):
        return f"« {name} » : son contenu ne correspond pas à son extension."
    if not signatures:
        try:
            incoming.data.decode("utf-8")
        except UnicodeDecodeError:
            try:
                incoming.data.decode("cp1252")
            except UnicodeDecodeError:
                return f"« {name} » n'est pas un fichier texte lisible."
        if b"\x00" in incoming.data:
            return f"« {name} » n'est pas un fichier texte lisible."
    return None


def stored_content(incoming: IncomingFile) -> tuple[ContentFile, str]:
    """The file to save and its SHA-256."""
    return ContentFile(incoming.data, name="piece"), hashlib.sha256(incoming.data).hexdigest()
