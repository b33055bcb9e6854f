"""Unpacking an uploaded archive without trusting it.

Every member must land inside the target directory (no absolute path, no ``..``, no drive
letter); links and device files are never created, only listed; sizes are checked against what
the archive declares and against the bytes actually written, so that a lying header cannot get
past the limits (zip bombs). Archives inside the archive stay packed.
"""

import re
import stat
import tarfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO

from dlnuf.toolbox.jobs import ToolError

MAX_TOTAL_BYTES = 500 * 1024 * 1024
MAX_FILES = 50_000
# A text file rarely compresses more than 20 to 1; a member beyond this ratio is a bomb.
MAX_RATIO = 100
# Below this size a high ratio is harmless (a file of blank lines), so it is not checked.
RATIO_CHECKED_FROM = 1024 * 1024
CHUNK = 64 * 1024
NESTED_ARCHIVES = (".zip", ".tar", ".tar.gz", ".tgz", ".gz", ".bz2", ".xz", ".7z", ".rar", ".jar")
_DRIVE = re.compile(r"^[A-Za-z]:")


@dataclass
class Limits:
    total_bytes: int = MAX_TOTAL_BYTES
    files: int = MAX_FILES
    ratio: int = MAX_RATIO


@dataclass
class Unpacked:
    files: int = 0
    bytes_written: int = 0
    skipped: list[str] = field(default_factory=list)  # links, devices: listed, never created
    nested_archives: list[str] = field(default_factory=list)


def safe_member_path(name: str) -> PurePosixPath:
    """The relative path a member may be written to; ToolError when it would leave the target."""
    unified = name.replace("\\", "/")
    if unified.startswith("/") or _DRIVE.match(unified):
        raise ToolError(
            f"Archive refusée : l'élément « {name[:120]} » a un chemin absolu, ce qui permettrait "
            "d'écrire hors du dossier d'analyse."
        )
    parts = [part for part in PurePosixPath(unified).parts if part not in ("", ".")]
    if ".." in parts:
        raise ToolError(
            f"Archive refusée : l'élément « {name[:120]} » remonte l'arborescence (« .. »), ce qui "
            "permettrait d'écrire hors du dossier d'analyse."
        )
    return PurePosixPath(*parts) if parts else PurePosixPath(".")


def unpack_archive(archive: Path, target: Path, *, limits: Limits | None = None) -> Unpacked:
    """Unpack ``archive`` (zip, tar, tar.gz) into ``target``; ToolError explains any refusal."""
    limits = limits or Limits()
    if zipfile.is_zipfile(archive):
        return _unpack_zip(archive, target, limits)
    if _is_tar(archive):
        return _unpack_tar(archive, target, limits)
    raise ToolError(
        "Ce fichier n'est pas une archive lisible : déposez un fichier .zip, .tar, .tar.gz ou .tgz."
    )


def _is_tar(archive: Path) -> bool:
    try:
        with tarfile.open(archive, "r:*") as tar:
            return tar.next() is not None
    except (tarfile.TarError, OSError, EOFError):
        return False


class _Writer:
    """Counts files and bytes across the archive and writes members inside the target."""

    def __init__(self, target: Path, limits: Limits, unpacked: Unpacked) -> None:
        self.target = target.resolve()
        self.limits = limits
        self.unpacked = unpacked

    def count_member(self) -> None:
        self.unpacked.files += 1
        if self.unpacked.files > self.limits.files:
            raise ToolError(
                f"Archive refusée : elle contient plus de {self.limits.files} fichiers."
            )

    def check_declared(self, declared: int) -> None:
        if self.unpacked.bytes_written + declared > self.limits.total_bytes:
            raise self._too_big()

    def _too_big(self) -> ToolError:
        megabytes = self.limits.total_bytes // (1024 * 1024)
        return ToolError(f"Archive refusée : une fois décompressée, elle dépasse {megabytes} Mo.")

    def destination(self, relative: PurePosixPath) -> Path:
        destination = (self.target / relative).resolve()
        if not destination.is_relative_to(self.target):
            raise ToolError(
                f"Archive refusée : l'élément « {relative} » sort du dossier d'analyse."
            )
        return destination

    def write(self, relative: PurePosixPath, source: IO[bytes], *, max_bytes: int | None) -> None:
        destination = self.destination(relative)
        destination.parent.mkdir(parents=True, exist_ok=True)
        if relative.name.lower().endswith(NESTED_ARCHIVES):
            self.unpacked.nested_archives.append(str(relative))
        written = 0
        try:
            out = destination.open("xb")
        except FileExistsError as error:
            raise ToolError(
                f"Archive refusée : le fichier « {relative} » y figure deux fois."
            ) from error
        with out:
            while chunk := source.read(CHUNK):
                written += len(chunk)
                self.unpacked.bytes_written += len(chunk)
                if self.unpacked.bytes_written > self.limits.total_bytes:
                    raise self._too_big()
                if max_bytes is not None and written > max_bytes:
                    raise ToolError(
                        f"Archive refusée : l'élément « {relative} » est plus gros que ce que "
                        "l'archive annonce (archive piégée)."
                    )
                out.write(chunk)


def _unpack_zip(archive: Path, target: Path, limits: Limits) -> Unpacked:
    unpacked = Unpacked()
    writer = _Writer(target, limits, unpacked)
    try:
        with zipfile.ZipFile(archive) as bundle:
            members = bundle.infolist()
            if len(members) > limits.files:
                raise ToolError(f"Archive refusée : elle contient plus de {limits.files} fichiers.")
            for info in members:
                relative = safe_member_path(info.filename)
                mode = info.external_attr >> 16
                if stat.S_ISLNK(mode):
                    unpacked.skipped.append(f"{info.filename} (lien symbolique, ignoré)")
                    continue
                if info.is_dir():
                    writer.destination(relative).mkdir(parents=True, exist_ok=True)
                    continue
                # Archives made on Windows carry no file type: only a declared non-regular
                # type is refused.
                if stat.S_IFMT(mode) not in (0, stat.S_IFREG):
                    unpacked.skipped.append(f"{info.filename} (fichier spécial, ignoré)")
                    continue
                writer.count_member()
                writer.check_declared(info.file_size)
                if info.file_size >= RATIO_CHECKED_FROM and info.file_size > limits.ratio * max(
                    info.compress_size, 1
                ):
                    raise ToolError(
                        f"Archive refusée : l'élément « {info.filename[:120]} » se décompresse "
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
    writer = _Writer(target, limits, unpacked)
    resolved_target = str(target.resolve())
    try:
        with tarfile.open(archive, "r:*") as tar:
            # Iterating reads members one by one: the whole index is never held in memory.
            for member in tar:
                relative = safe_member_path(member.name)
                if member.issym() or member.islnk():
                    kind = "lien symbolique" if member.issym() else "lien physique"
                    unpacked.skipped.append(f"{member.name} ({kind}, ignoré)")
                    continue
                if member.isdir():
                    writer.destination(relative).mkdir(parents=True, exist_ok=True)
                    continue
                if not member.isfile():
                    unpacked.skipped.append(f"{member.name} (fichier spécial, ignoré)")
                    continue
                try:
                    tarfile.data_filter(member, resolved_target)
                except tarfile.FilterError as error:
                    raise ToolError(
                        f"Archive refusée : l'élément « {member.name[:120]} » n'est pas un simple "
                        "fichier de données."
                    ) from error
                writer.count_member()
                writer.check_declared(member.size)
                source = tar.extractfile(member)
                if source is None:
                    continue
                with source:
                    writer.write(relative, source, max_bytes=member.size)
    except (tarfile.TarError, EOFError, OSError) as error:
        raise ToolError("Archive tar illisible ou tronquée.") from error
    return unpacked
