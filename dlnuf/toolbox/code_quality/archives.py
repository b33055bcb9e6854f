"""Unpacking an uploaded archive without trusting it.

Every member must land inside the target directory (no absolute path, no ``..``, no drive
letter, no name the file system would refuse); links and device files are never created, only
listed; a ``.git`` directory is never unpacked (its history, configuration or alternates could
point anywhere on the server). Every entry of every kind counts against the entry limit, sizes are
checked against what the archive declares and against the bytes actually written, and the whole
archive's decompression ratio is watched while it streams, so that neither a lying header nor a
flood of tiny entries gets past the limits (zip and tar bombs). Archives inside the archive stay
packed.
"""

import bz2
import gzip
import io
import lzma
import re
import stat
import tarfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO

from dlnuf.toolbox.jobs import ToolError

MAX_TOTAL_BYTES = 500 * 1024 * 1024
MAX_ENTRIES = 50_000
# A text file rarely compresses more than 20 to 1; beyond this ratio the archive is a bomb.
MAX_RATIO = 100
# Below this size a high ratio is harmless (a file of blank lines), so it is not checked.
RATIO_CHECKED_FROM = 1024 * 1024
# The decompressed tar stream holds headers besides the data: 512 bytes per entry, more for long
# names. This room on top of the data limit is far more than MAX_ENTRIES headers need.
TAR_HEADERS_ROOM = 64 * 1024 * 1024
# Linux refuses longer names (bytes) and paths; checked first so the refusal can say why.
MAX_NAME_BYTES = 255
MAX_PATH_BYTES = 1024
# What a report keeps of the entries left aside; the rest is only counted.
MAX_LISTED = 200
CHUNK = 64 * 1024
NESTED_ARCHIVES = (".zip", ".tar", ".tar.gz", ".tgz", ".gz", ".bz2", ".xz", ".7z", ".rar", ".jar")
GIT_DIRECTORY = ".git"
_DRIVE = re.compile(r"^[A-Za-z]:")


@dataclass
class Limits:
    total_bytes: int = MAX_TOTAL_BYTES
    entries: int = MAX_ENTRIES
    ratio: int = MAX_RATIO


@dataclass
class Unpacked:
    files: int = 0
    entries: int = 0
    bytes_written: int = 0
    # Links, devices and Git directories: listed (the first MAX_LISTED), never created.
    skipped: list[str] = field(default_factory=list)
    skipped_more: int = 0
    nested_archives: list[str] = field(default_factory=list)
    nested_archives_more: int = 0

    def skip(self, description: str) -> None:
        if len(self.skipped) < MAX_LISTED:
            self.skipped.append(description)
        else:
            self.skipped_more += 1

    def nested(self, path: str) -> None:
        if len(self.nested_archives) < MAX_LISTED:
            self.nested_archives.append(path)
        else:
            self.nested_archives_more += 1


def _shown(name: str) -> str:
    return name if len(name) <= 120 else name[:120] + "…"


def safe_member_path(name: str) -> PurePosixPath:
    """The relative path a member may be written to; ToolError when it would leave the target or
    could not be created."""
    unified = name.replace("\\", "/")
    if unified.startswith("/") or _DRIVE.match(unified):
        raise ToolError(
            f"Archive refusée : l'élément « {_shown(name)} » a un chemin absolu, ce qui "
            "permettrait d'écrire hors du dossier d'analyse."
        )
    parts = [part for part in PurePosixPath(unified).parts if part not in ("", ".")]
    if ".." in parts:
        raise ToolError(
            f"Archive refusée : l'élément « {_shown(name)} » remonte l'arborescence (« .. »), ce "
            "qui permettrait d'écrire hors du dossier d'analyse."
        )
    if any(len(part.encode("utf-8", "surrogateescape")) > MAX_NAME_BYTES for part in parts):
        raise ToolError(
            f"Archive refusée : l'élément « {_shown(name)} » a un nom de plus de {MAX_NAME_BYTES} "
            "caractères, que le système de fichiers n'accepte pas. Raccourcissez ce nom."
        )
    if len("/".join(parts).encode("utf-8", "surrogateescape")) > MAX_PATH_BYTES:
        raise ToolError(
            f"Archive refusée : le chemin de l'élément « {_shown(name)} » dépasse "
            f"{MAX_PATH_BYTES} caractères."
        )
    return PurePosixPath(*parts) if parts else PurePosixPath(".")


def git_directory_of(relative: PurePosixPath) -> str | None:
    """The ``.git`` directory (or file) ``relative`` lies in, or None."""
    for index, part in enumerate(relative.parts):
        if part.lower() == GIT_DIRECTORY:
            return "/".join(relative.parts[: index + 1])
    return None


# What an archiving tool adds beside the project's folder (macOS Finder, Windows Explorer).
ARCHIVER_LEFTOVERS = {"__MACOSX", ".DS_Store", "Thumbs.db", "desktop.ini"}


def project_root(unpacked: Path) -> Path:
    """The folder holding the project: the archive's single top-level folder when it has one
    (a forge's download wraps the project in ``<name>-<branch>/``), the unpacked folder
    otherwise. The licence, the README and the manifests are looked for there."""
    entries = [entry for entry in unpacked.iterdir() if entry.name not in ARCHIVER_LEFTOVERS]
    if len(entries) == 1 and entries[0].is_dir() and not entries[0].is_symlink():
        return entries[0]
    return unpacked


def unpack_archive(archive: Path, target: Path, *, limits: Limits | None = None) -> Unpacked:
    """Unpack ``archive`` (zip, tar, tar.gz, tar.bz2, tar.xz) into ``target``; ToolError explains
    any refusal."""
    limits = limits or Limits()
    if zipfile.is_zipfile(archive):
        return _unpack_zip(archive, target, limits)
    if _is_tar(archive):
        return _unpack_tar(archive, target, limits)
    raise ToolError(
        "Ce fichier n'est pas une archive lisible : déposez un fichier .zip, .tar, .tar.gz ou .tgz."
    )


def _ratio_bound(archive: Path, limits: Limits) -> int:
    """How many bytes the archive may expand to before it counts as a bomb."""
    return max(RATIO_CHECKED_FROM, limits.ratio * max(archive.stat().st_size, 1))


def _bomb(limits: Limits) -> ToolError:
    return ToolError(
        f"Archive refusée : son contenu se décompresse plus de {limits.ratio} fois (bombe de "
        "décompression)."
    )


class _BoundedStream:
    """The decompressed bytes of a tar, read no further than ``bound``: a bomb is stopped while
    it streams, headers included, never after."""

    def __init__(self, inner: io.BufferedIOBase, bound: int, refusal: ToolError) -> None:
        self.inner = inner
        self.bound = bound
        self.refusal = refusal

    def _check(self) -> None:
        if self.inner.tell() > self.bound:
            raise self.refusal

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            size = self.bound + 1
        data = self.inner.read(min(size, self.bound + 1))
        self._check()
        return data

    def seek(self, offset: int, whence: int = 0) -> int:
        if whence == 0 and offset > self.bound:
            raise self.refusal
        position = self.inner.seek(offset, whence)
        self._check()
        return position

    def tell(self) -> int:
        return self.inner.tell()


def _decompressed(archive: Path) -> io.BufferedIOBase:
    with archive.open("rb") as raw:
        magic = raw.read(6)
    if magic.startswith(b"\x1f\x8b"):
        return gzip.open(archive, "rb")
    if magic.startswith(b"BZh"):
        return bz2.open(archive, "rb")
    if magic.startswith(b"\xfd7zXZ\x00"):
        return lzma.open(archive, "rb")
    return archive.open("rb")


@contextmanager
def _open_tar(archive: Path, bound: int, refusal: ToolError) -> Iterator[tarfile.TarFile]:
    # A tar opened on a file object leaves it open: it is closed here, whatever happens.
    with _decompressed(archive) as decompressed:
        stream = _BoundedStream(decompressed, bound, refusal)
        with tarfile.open(fileobj=stream, mode="r:") as tar:  # type: ignore[call-overload]
            yield tar


def _is_tar(archive: Path) -> bool:
    try:
        with _open_tar(archive, TAR_HEADERS_ROOM, _bomb(Limits())) as tar:
            return tar.next() is not None
    except (tarfile.TarError, OSError, EOFError, lzma.LZMAError, ToolError):
        return False


class _Writer:
    """Counts entries and bytes across the archive and writes members inside the target."""

    def __init__(self, target: Path, limits: Limits, unpacked: Unpacked, ratio_bound: int) -> None:
        self.target = target.resolve()
        self.limits = limits
        self.unpacked = unpacked
        self.ratio_bound = ratio_bound

    def count_entry(self) -> None:
        self.unpacked.entries += 1
        if self.unpacked.entries > self.limits.entries:
            raise self.too_many()

    def too_many(self) -> ToolError:
        return ToolError(
            f"Archive refusée : elle contient plus de {self.limits.entries} éléments (fichiers, "
            "dossiers, liens et autres entrées comptent tous)."
        )

    def check_declared(self, declared: int) -> None:
        if self.unpacked.bytes_written + declared > self.limits.total_bytes:
            raise self.too_big()
        if self.unpacked.bytes_written + declared > self.ratio_bound:
            raise _bomb(self.limits)

    def too_big(self) -> ToolError:
        megabytes = self.limits.total_bytes // (1024 * 1024)
        return ToolError(f"Archive refusée : une fois décompressée, elle dépasse {megabytes} Mo.")

    def destination(self, relative: PurePosixPath) -> Path:
        destination = (self.target / relative).resolve()
        if not destination.is_relative_to(self.target):
            raise ToolError(
                f"Archive refusée : l'élément « {_shown(str(relative))} » sort du dossier "
                "d'analyse."
            )
        return destination

    def make_directory(self, relative: PurePosixPath) -> None:
        self._make_directories(self.destination(relative), relative)

    def _make_directories(self, directory: Path, relative: PurePosixPath) -> None:
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except (FileExistsError, NotADirectoryError) as error:
            raise ToolError(
                f"Archive refusée : « {_shown(str(relative))} » ne peut pas être créé, car une "
                "partie de son chemin figure déjà dans l'archive comme fichier (un fichier et un "
                "dossier portent le même nom)."
            ) from error
        except OSError as error:
            raise _unwritable(relative, error) from error

    def write(self, relative: PurePosixPath, source: IO[bytes], *, max_bytes: int | None) -> None:
        destination = self.destination(relative)
        self._make_directories(destination.parent, relative)
        if relative.name.lower().endswith(NESTED_ARCHIVES):
            self.unpacked.nested(str(relative))
        written = 0
        try:
            out = destination.open("xb")
        except FileExistsError as error:
            kind = "dossier" if destination.is_dir() else "fichier"
            raise ToolError(
                f"Archive refusée : le fichier « {_shown(str(relative))} » y figure deux fois "
                f"(déjà présent comme {kind})."
            ) from error
        except OSError as error:
            raise _unwritable(relative, error) from error
        self.unpacked.files += 1
        with out:
            while chunk := source.read(CHUNK):
                written += len(chunk)
                self.unpacked.bytes_written += len(chunk)
                if self.unpacked.bytes_written > self.limits.total_bytes:
                    raise self.too_big()
                if self.unpacked.bytes_written > self.ratio_bound:
                    raise _bomb(self.limits)
                if max_bytes is not None and written > max_bytes:
                    raise ToolError(
                        f"Archive refusée : l'élément « {_shown(str(relative))} » est plus gros "
                        "que ce que l'archive annonce (archive piégée)."
                    )
                out.write(chunk)


def _unwritable(relative: PurePosixPath, error: OSError) -> ToolError:
    return ToolError(
        f"Archive refusée : l'élément « {_shown(str(relative))} » n'a pas pu être écrit "
        f"({error.strerror or type(error).__name__})."
    )


class _GitDirectories:
    """Lists each ``.git`` found once, however many entries it holds."""

    def __init__(self, unpacked: Unpacked) -> None:
        self.unpacked = unpacked
        self.seen: set[str] = set()

    def leave_aside(self, relative: PurePosixPath) -> bool:
        git_directory = git_directory_of(relative)
        if git_directory is None:
            return False
        if git_directory not in self.seen:
            self.seen.add(git_directory)
            self.unpacked.skip(f"{git_directory} (historique Git de l'archive, non lu)")
        return True


def _unpack_zip(archive: Path, target: Path, limits: Limits) -> Unpacked:
    unpacked = Unpacked()
    writer = _Writer(target, limits, unpacked, _ratio_bound(archive, limits))
    git = _GitDirectories(unpacked)
    try:
        with zipfile.ZipFile(archive) as bundle:
            members = bundle.infolist()
            if len(members) > limits.entries:
                raise writer.too_many()
            # The central directory declares every size: a bomb is refused before any byte is
            # written; the bytes actually written are checked again below.
            declared = sum(info.file_size for info in members)
            if declared > limits.total_bytes:
                raise writer.too_big()
            if declared > writer.ratio_bound:
                raise _bomb(limits)
            for info in members:
                writer.count_entry()
                relative = safe_member_path(info.filename)
                if git.leave_aside(relative):
                    continue
                mode = info.external_attr >> 16
                if stat.S_ISLNK(mode):
                    unpacked.skip(f"{info.filename} (lien symbolique, ignoré)")
                    continue
                if info.is_dir():
                    writer.make_directory(relative)
                    continue
                # Archives made on Windows carry no file type: only a declared non-regular
                # type is refused.
                if stat.S_IFMT(mode) not in (0, stat.S_IFREG):
                    unpacked.skip(f"{info.filename} (fichier spécial, ignoré)")
                    continue
                writer.check_declared(info.file_size)
                if info.file_size >= RATIO_CHECKED_FROM and info.file_size > limits.ratio * max(
                    info.compress_size, 1
                ):
                    raise ToolError(
                        f"Archive refusée : l'élément « {_shown(info.filename)} » se décompresse "
                        f"plus de {limits.ratio} fois (bombe de décompression)."
                    )
                with bundle.open(info) as source:
                    writer.write(relative, source, max_bytes=info.file_size)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError) as error:
        raise ToolError("Archive zip illisible ou chiffrée.") from error
    return unpacked


def _unpack_tar(archive: Path, target: Path, limits: Limits) -> Unpacked:
    if not hasattr(tarfile, "data_filter"):
        # Without the standard filter, member metadata cannot be vetted the way Python intends.
        raise ToolError(
            "Les archives tar ne sont pas acceptées sur ce serveur (Python trop ancien) : "
            "déposez une archive zip."
        )
    unpacked = Unpacked()
    ratio_bound = _ratio_bound(archive, limits)
    writer = _Writer(target, limits, unpacked, ratio_bound)
    git = _GitDirectories(unpacked)
    resolved_target = str(target.resolve())
    stream_bound = min(ratio_bound, limits.total_bytes + TAR_HEADERS_ROOM)
    refusal = _bomb(limits) if stream_bound == ratio_bound else writer.too_big()
    try:
        with _open_tar(archive, stream_bound, refusal) as tar:
            # Iterating reads the headers one by one: every limit applies before the next one
            # is read, so the entry limit also bounds what tarfile keeps of them.
            for member in tar:
                writer.count_entry()
                relative = safe_member_path(member.name)
                if git.leave_aside(relative):
                    continue
                if member.issym() or member.islnk():
                    kind = "lien symbolique" if member.issym() else "lien physique"
                    unpacked.skip(f"{member.name} ({kind}, ignoré)")
                    continue
                if member.isdir():
                    writer.make_directory(relative)
                    continue
                if not member.isfile():
                    unpacked.skip(f"{member.name} (fichier spécial, ignoré)")
                    continue
                try:
                    tarfile.data_filter(member, resolved_target)
                except tarfile.FilterError as error:
                    raise ToolError(
                        f"Archive refusée : l'élément « {_shown(member.name)} » n'est pas un "
                        "simple fichier de données."
                    ) from error
                writer.check_declared(member.size)
                source = tar.extractfile(member)
                if source is None:
                    continue
                with source:
                    writer.write(relative, source, max_bytes=member.size)
    except (tarfile.TarError, EOFError, lzma.LZMAError, OSError) as error:
        raise ToolError("Archive tar illisible ou tronquée.") from error
    return unpacked
