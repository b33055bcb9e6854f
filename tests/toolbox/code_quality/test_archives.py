import io
import stat
import tarfile
import zipfile
from pathlib import Path

import pytest

from dlnuf.toolbox.code_quality.archives import Limits, project_root, unpack_archive
from dlnuf.toolbox.jobs import ToolError


def make_zip(path: Path, members: dict[str, bytes], *, links: dict[str, str] | None = None) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as bundle:
        for name, data in members.items():
            bundle.writestr(name, data)
        for name, target in (links or {}).items():
            info = zipfile.ZipInfo(name)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            bundle.writestr(info, target)
    return path


def make_tar(path: Path, members: list[tarfile.TarInfo], data: dict[str, bytes]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for member in members:
            content = data.get(member.name)
            if content is not None:
                member.size = len(content)
                tar.addfile(member, io.BytesIO(content))
            else:
                tar.addfile(member)
    return path


def tar_member(name: str, kind: bytes = tarfile.REGTYPE, linkname: str = "") -> tarfile.TarInfo:
    member = tarfile.TarInfo(name)
    member.type = kind
    member.linkname = linkname
    return member


def test_a_plain_zip_and_tar_unpack(tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "a.zip", {"src/app.py": b"x = 1\n", "README": b"hi"})
    unpacked = unpack_archive(archive, tmp_path / "out")
    assert (tmp_path / "out" / "src" / "app.py").read_text() == "x = 1\n"
    assert (unpacked.files, unpacked.bytes_written) == (2, 8)

    archive = make_tar(tmp_path / "a.tgz", [tar_member("p/app.py")], {"p/app.py": b"y = 2\n"})
    unpack_archive(archive, tmp_path / "tar-out")
    assert (tmp_path / "tar-out" / "p" / "app.py").read_text() == "y = 2\n"


@pytest.mark.parametrize(
    "name", ["../evil.py", "a/../../evil.py", "/etc/evil", "C:/evil", "..\\evil"]
)
def test_zip_members_leaving_the_target_are_refused(tmp_path: Path, name: str) -> None:
    archive = make_zip(tmp_path / "slip.zip", {name: b"boom"})
    with pytest.raises(ToolError, match="Archive refusée"):
        unpack_archive(archive, tmp_path / "out")
    assert not (tmp_path / "evil.py").exists()


@pytest.mark.parametrize("name", ["../evil.py", "/var/evil.py"])
def test_tar_members_leaving_the_target_are_refused(tmp_path: Path, name: str) -> None:
    archive = make_tar(tmp_path / "slip.tgz", [tar_member(name)], {name: b"boom"})
    with pytest.raises(ToolError, match="Archive refusée"):
        unpack_archive(archive, tmp_path / "out")
    assert not (tmp_path / "evil.py").exists()


def test_links_are_listed_never_created(tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "l.zip", {"ok.py": b"1"}, links={"passwd": "/etc/passwd"})
    unpacked = unpack_archive(archive, tmp_path / "zip-out")
    assert not (tmp_path / "zip-out" / "passwd").exists()
    assert unpacked.skipped == ["passwd (lien symbolique, ignoré)"]

    members = [
        tar_member("ok.py"),
        tar_member("shadow", tarfile.SYMTYPE, "/etc/shadow"),
        tar_member("hard", tarfile.LNKTYPE, "/etc/passwd"),
        tar_member("null", tarfile.CHRTYPE),
    ]
    archive = make_tar(tmp_path / "l.tgz", members, {"ok.py": b"1"})
    unpacked = unpack_archive(archive, tmp_path / "tar-out")
    assert sorted(path.name for path in (tmp_path / "tar-out").iterdir()) == ["ok.py"]
    assert unpacked.skipped == [
        "shadow (lien symbolique, ignoré)",
        "hard (lien physique, ignoré)",
        "null (fichier spécial, ignoré)",
    ]


def test_a_zip_bomb_is_refused_by_its_ratio(tmp_path: Path) -> None:
    # 20 MB of zeros deflate to about 20 KB: a ratio near 1 000, above the limit of 100.
    archive = make_zip(tmp_path / "bomb.zip", {"zeros.txt": b"\0" * (20 * 1024 * 1024)})
    with pytest.raises(ToolError, match="bombe de décompression"):
        unpack_archive(archive, tmp_path / "out")
    assert not (tmp_path / "out" / "zeros.txt").exists()


def test_the_total_size_is_limited_for_zip_and_tar(tmp_path: Path) -> None:
    # Three files of 4 KB against a 10 KB limit: the third goes over.
    members = {f"f{n}.txt": bytes(range(256)) * 16 for n in range(3)}
    limits = Limits(total_bytes=10 * 1024)
    with pytest.raises(ToolError, match="dépasse"):
        unpack_archive(make_zip(tmp_path / "big.zip", members), tmp_path / "o1", limits=limits)
    tar = make_tar(tmp_path / "big.tgz", [tar_member(name) for name in members], members)
    with pytest.raises(ToolError, match="dépasse"):
        unpack_archive(tar, tmp_path / "o2", limits=limits)


def test_a_member_bigger_than_declared_is_refused(tmp_path: Path) -> None:
    # The header says 10 bytes, the data are 100: the bytes written are counted, not trusted.
    archive = make_zip(tmp_path / "liar.zip", {"f.txt": b"a" * 100})
    data = bytearray(archive.read_bytes())
    with zipfile.ZipFile(archive) as bundle:
        info = bundle.infolist()[0]
    # Patch the uncompressed size in the central directory (offset 24 of the entry).
    central = data.rfind(b"PK\x01\x02")
    data[central + 24 : central + 28] = (10).to_bytes(4, "little")
    archive.write_bytes(bytes(data))
    assert info.file_size == 100
    with pytest.raises(ToolError):
        unpack_archive(archive, tmp_path / "out")


def test_too_many_files_are_refused(tmp_path: Path) -> None:
    members = {f"f{n}.txt": b"x" for n in range(6)}
    with pytest.raises(ToolError, match="plus de 5 éléments"):
        unpack_archive(
            make_zip(tmp_path / "m.zip", members), tmp_path / "o1", limits=Limits(entries=5)
        )
    tar = make_tar(tmp_path / "m.tgz", [tar_member(name) for name in members], members)
    with pytest.raises(ToolError, match="plus de 5 éléments"):
        unpack_archive(tar, tmp_path / "o2", limits=Limits(entries=5))


def test_nested_archives_stay_packed(tmp_path: Path) -> None:
    inner = make_zip(tmp_path / "inner.zip", {"deep.py": b"1"})
    archive = make_zip(tmp_path / "outer.zip", {"lib/inner.zip": inner.read_bytes()})
    unpacked = unpack_archive(archive, tmp_path / "out")
    assert unpacked.nested_archives == ["lib/inner.zip"]
    assert not (tmp_path / "out" / "lib" / "deep.py").exists()
    assert zipfile.is_zipfile(tmp_path / "out" / "lib" / "inner.zip")


def test_a_file_that_is_not_an_archive_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "notes.zip"
    path.write_text("just some text, not an archive\n")
    with pytest.raises(ToolError, match="pas une archive"):
        unpack_archive(path, tmp_path / "out")


def _tar_of_many(path: Path, count: int, kind: bytes) -> Path:
    """A small gzipped tar of ``count`` entries of one kind, none of them a regular file."""
    with tarfile.open(path, "w:gz") as tar:
        for number in range(count):
            # A hundred distinct names are enough: each entry counts, repeated or not, and the
            # test does not spend its time creating 50 000 folders.
            tar.addfile(tar_member(f"d{number % 100}", kind, "/etc/passwd"))
    return path


@pytest.mark.parametrize(
    "kind", [tarfile.DIRTYPE, tarfile.SYMTYPE], ids=["directories", "symlinks"]
)
def test_every_kind_of_entry_counts_against_the_limit(tmp_path: Path, kind: bytes) -> None:
    # 60 001 directories or symbolic links, and not one file: refused all the same.
    archive = _tar_of_many(tmp_path / "many.tgz", 60_001, kind)
    assert archive.stat().st_size < 2 * 1024 * 1024
    with pytest.raises(ToolError, match="plus de 50000 éléments"):
        unpack_archive(archive, tmp_path / "out")


def test_zip_entries_of_every_kind_count_too(tmp_path: Path) -> None:
    archive = make_zip(
        tmp_path / "dirs.zip",
        {f"d{number}/": b"" for number in range(6)},
        links={"link": "/etc/passwd"},
    )
    with pytest.raises(ToolError, match="plus de 5 éléments"):
        unpack_archive(archive, tmp_path / "out", limits=Limits(entries=5))


def test_what_is_left_aside_is_listed_up_to_a_cap_and_counted(tmp_path: Path) -> None:
    archive = _tar_of_many(tmp_path / "links.tgz", 500, tarfile.SYMTYPE)
    unpacked = unpack_archive(archive, tmp_path / "out")
    assert len(unpacked.skipped) == 200
    assert unpacked.skipped_more == 300
    assert unpacked.entries == 500


def test_many_members_each_below_the_member_check_are_a_bomb_together(tmp_path: Path) -> None:
    # 100 members just under 1 MiB deflate to about 1 KiB each: ~930 to 1 overall.
    just_under = b"\0" * (1024 * 1024 - 1)
    archive = make_zip(tmp_path / "spread.zip", {f"f{n}.txt": just_under for n in range(100)})
    assert archive.stat().st_size < 200 * 1024
    with pytest.raises(ToolError, match="bombe de décompression"):
        unpack_archive(archive, tmp_path / "out")
    # Refused from the sizes the archive declares, before a byte was written.
    assert not any((tmp_path / "out").rglob("*.txt"))


def test_a_compressed_tar_is_stopped_by_its_ratio_while_it_streams(tmp_path: Path) -> None:
    megabyte = bytes(1024 * 1024)
    archive = tmp_path / "bomb.tgz"
    with tarfile.open(archive, "w:gz") as tar:
        for number in range(60):
            member = tar_member(f"f{number}.txt")
            member.size = len(megabyte)
            tar.addfile(member, io.BytesIO(megabyte))
    bound = 100 * archive.stat().st_size
    with pytest.raises(ToolError, match="bombe de décompression"):
        unpack_archive(archive, tmp_path / "out")
    written = sum(path.stat().st_size for path in (tmp_path / "out").rglob("*.txt"))
    assert written <= max(bound, 1024 * 1024)


def test_a_file_and_a_directory_of_the_same_name_get_a_clear_refusal(tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "clash.zip", {"a": b"file", "a/b": b"inside"})
    with pytest.raises(ToolError, match="un fichier et un dossier portent le même nom"):
        unpack_archive(archive, tmp_path / "out")
    archive = make_zip(tmp_path / "clash2.zip", {"a/b": b"inside", "a": b"file"})
    with pytest.raises(ToolError, match="déjà présent comme dossier"):
        unpack_archive(archive, tmp_path / "out2")
    tar = make_tar(
        tmp_path / "clash.tgz",
        [tar_member("a"), tar_member("a/b")],
        {"a": b"file", "a/b": b"inside"},
    )
    with pytest.raises(ToolError, match="un fichier et un dossier portent le même nom"):
        unpack_archive(tar, tmp_path / "out3")


@pytest.mark.parametrize("name", ["x" * 300 + ".py", "src/" + "é" * 200 + ".py"])
def test_a_name_too_long_for_the_file_system_gets_a_clear_refusal(
    tmp_path: Path, name: str
) -> None:
    archive = make_zip(tmp_path / "long.zip", {name: b"1"})
    with pytest.raises(ToolError, match="plus de 255 caractères"):
        unpack_archive(archive, tmp_path / "out")
    tar = make_tar(tmp_path / "long.tgz", [tar_member(name)], {name: b"1"})
    with pytest.raises(ToolError, match="plus de 255 caractères"):
        unpack_archive(tar, tmp_path / "out2")


def test_a_git_directory_in_the_archive_is_never_unpacked(tmp_path: Path) -> None:
    archive = make_zip(
        tmp_path / "git.zip",
        {
            "app.py": b"x = 1\n",
            ".git/HEAD": b"ref: refs/heads/main\n",
            ".git/objects/info/alternates": b"/srv/other/.git/objects\n",
            "vendor/lib/.git": b"gitdir: /srv/other/.git\n",
        },
    )
    unpacked = unpack_archive(archive, tmp_path / "out")
    assert not (tmp_path / "out" / ".git").exists()
    assert not (tmp_path / "out" / "vendor" / "lib" / ".git").exists()
    assert (tmp_path / "out" / "app.py").exists()
    assert unpacked.skipped == [
        ".git (historique Git de l'archive, non lu)",
        "vendor/lib/.git (historique Git de l'archive, non lu)",
    ]


@pytest.mark.parametrize(
    ("members", "root"),
    [
        # A forge's download: one folder holds the project.
        ({"app-main/LICENSE": b"MIT", "app-main/src/a.py": b"x = 1\n"}, "app-main"),
        # The same zipped on macOS: Finder's metadata folder beside it does not count.
        (
            {"app-main/LICENSE": b"MIT", "__MACOSX/app-main/._LICENSE": b"\0", ".DS_Store": b"\0"},
            "app-main",
        ),
        # Files at the top: the archive's root is the project's.
        ({"LICENSE": b"MIT", "src/a.py": b"x = 1\n"}, "."),
        # Two folders at the top: no single project folder.
        ({"front/a.js": b"1", "back/a.py": b"1"}, "."),
        # A single file at the top is not a folder to descend into.
        ({"README.md": b"# Projet"}, "."),
    ],
)
def test_the_project_root_is_the_single_top_folder(
    tmp_path: Path, members: dict[str, bytes], root: str
) -> None:
    target = tmp_path / "out"
    target.mkdir()
    unpack_archive(make_zip(tmp_path / "a.zip", members), target)
    assert project_root(target) == target / root
