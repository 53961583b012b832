"""Bad input is refused whole, with a message naming the entry, before anything is written."""

import stat
import zipfile

import pytest

from rsemigrate.errors import InputError, UnsafeInputError
from rsemigrate.export import sources
from rsemigrate.export.sources import SourceLimits, open_source


def make_zip(path, entries):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            if isinstance(name, zipfile.ZipInfo):
                zf.writestr(name, data)
            else:
                zf.writestr(name, data)
    return path


@pytest.mark.parametrize("name",
                         ["../evil.csv", "a/../../evil.csv", "/etc/passwd", "C:/x.csv", "..\\evil.csv"])
def test_entries_that_escape_are_refused(tmp_path, name):
    z = make_zip(tmp_path / "x.zip", {"Messages.csv": "id\n", name: "x"})
    with pytest.raises(UnsafeInputError, match="escape"):
        open_source(z)


def test_symlink_entries_are_refused(tmp_path):
    link = zipfile.ZipInfo("Files/link")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    z = make_zip(tmp_path / "x.zip", {link: "/etc/passwd"})
    with pytest.raises(UnsafeInputError, match="symbolic link"):
        open_source(z)


def test_a_zip_bomb_is_refused_by_ratio(tmp_path):
    z = make_zip(tmp_path / "bomb.zip", {"Messages.csv": b"\0" * (80 * 1024 * 1024)})
    with pytest.raises(UnsafeInputError, match="zip bomb"):
        open_source(z)


def test_a_zip_bomb_of_many_small_entries_is_refused(tmp_path):
    """Each entry under the old per-entry floor of 1 MiB; together 100 MiB from ~100 KB."""
    z = make_zip(tmp_path / "bomb.zip", {f"Files/{i}.bin": b"\0" * (1024 * 1024 - 1) for i in range(100)})
    refusal = r"entries expand \d+x together \(100 entries, .*cap 100x, --max-ratio\).*zip bomb"
    with pytest.raises(UnsafeInputError, match=refusal):
        open_source(z)
    open_source(z, SourceLimits(max_ratio=2000)).close()  # the cap can be raised for a trusted export


def test_one_long_repetitive_field_is_no_bomb(tmp_path):
    """A 30 MB field compresses ~1000x: the ratio is measured over the zip, which stays small."""
    field = "Quarterly numbers attached. " * (30_000_000 // 28)
    z = make_zip(tmp_path / "x.zip", {"Messages.csv": f'id,body\n1,"{field}"\n', "Users.csv": "id\n1\n"})
    with open_source(z) as tree:
        assert tree.size("Messages.csv") > 29_000_000


@pytest.mark.parametrize("twin", ["MESSAGES.CSV", "messages.csv", "Messages.CSV"])
def test_entries_equal_but_for_case_are_refused_naming_both(tmp_path, twin):
    z = make_zip(tmp_path / "x.zip", {"Messages.csv": "id,body\n1,hi\n", twin: "id,body\n"})
    with pytest.raises(UnsafeInputError, match=f"'Messages.csv' and '{twin}' differ only in case"):
        open_source(z)


def test_folder_entries_equal_but_for_case_are_refused(tmp_path):
    src = tmp_path / "export"
    (src / "Files").mkdir(parents=True)
    (src / "files").mkdir()
    (src / "Files" / "999.pdf").write_bytes(b"%PDF one")
    (src / "files" / "999.PDF").write_bytes(b"%PDF two")
    with pytest.raises(UnsafeInputError, match="'Files/999.pdf' and 'files/999.PDF' differ only in case"):
        open_source(src)


def test_a_zip_bomb_is_refused_by_total_size(tmp_path):
    z = make_zip(tmp_path / "big.zip", {f"f{i}.bin": bytes(range(256)) * 40 for i in range(5)})
    with pytest.raises(UnsafeInputError, match="zip bomb cap"):
        open_source(z, SourceLimits(max_total_bytes=30_000))


def test_a_truncated_zip_is_refused(tmp_path):
    z = make_zip(tmp_path / "x.zip", {"Messages.csv": "id,body\n" + "1,hello\n" * 1000})
    data = z.read_bytes()
    z.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match="corrupt or truncated|neither a folder nor"):
        open_source(z)


def test_corrupt_entry_data_fails_on_read_naming_the_entry(tmp_path):
    z = make_zip(
        tmp_path / "x.zip", {"Messages.csv": "id,body\n" + "".join(f"{i},text {i}\n" for i in range(5000))}
    )
    data = bytearray(z.read_bytes())
    data[200:260] = b"\x00" * 60  # flip compressed bytes inside the entry
    z.write_bytes(bytes(data))
    tree = open_source(z)
    with pytest.raises(UnsafeInputError, match="Messages.csv"):
        tree.open("Messages.csv").read()


@pytest.fixture
def read_ahead(monkeypatch):
    """Every entry inflated ahead by a thread, in small blocks, as a large Messages.csv is."""
    monkeypatch.setattr(sources, "_READ_AHEAD_FROM", 0)
    monkeypatch.setattr(sources, "_CHUNK", 1000)


def test_an_entry_read_ahead_reads_the_same_whole_or_line_by_line(tmp_path, read_ahead):
    text = "".join(f"{i},texte {i} é\n" for i in range(20000)).encode()
    tree = open_source(make_zip(tmp_path / "x.zip", {"Messages.csv": text}))
    with tree.open("Messages.csv") as stream:
        assert isinstance(stream.raw, sources._ReadAhead)
        assert stream.read() == text and stream.read() == b""
    with tree.open("Messages.csv") as stream:
        assert b"".join(stream) == text


def test_a_corrupt_entry_read_ahead_fails_on_read_naming_the_entry_every_time(tmp_path, read_ahead):
    z = make_zip(tmp_path / "x.zip", {"Messages.csv": "".join(f"{i},text {i}\n" for i in range(50000))})
    data = bytearray(z.read_bytes())
    data[5000:5060] = b"\x00" * 60
    z.write_bytes(bytes(data))
    with open_source(z).open("Messages.csv") as stream:
        for _ in range(2):
            with pytest.raises(UnsafeInputError, match="Messages.csv' is corrupt or truncated"):
                stream.read()


def _lie_in_the_directory(z, offset, value):
    """Overwrite a 4-byte field of the entry's central directory record (APPNOTE 4.3.12)."""
    data = bytearray(z.read_bytes())
    at = data.index(b"PK\x01\x02") + offset
    data[at:at + 4] = value.to_bytes(4, "little")
    z.write_bytes(bytes(data))


@pytest.mark.parametrize(("field", "offset", "value"), [("CRC-32", 16, 0x12345678), ("size", 24, 1000)])
def test_an_entry_read_ahead_that_lies_about_its_crc_or_size_is_refused(tmp_path, read_ahead, field,
                                                                         offset, value):
    """ISA-L inflates large entries; the checks zipfile makes still hold: a wrong CRC, or data that
    inflates past the declared size (a bomb that passed the size caps by lying), is refused."""
    text = "".join(f"{i},texte {i}\n" for i in range(20000))
    z = make_zip(tmp_path / "x.zip", {"Messages.csv": text})
    _lie_in_the_directory(z, offset, value)
    with open_source(z).open("Messages.csv") as stream, \
            pytest.raises(UnsafeInputError, match="Messages.csv' is corrupt or truncated"):
        stream.read()


def test_a_stored_entry_read_ahead_reads_through_zipfile(tmp_path, read_ahead):
    text = "".join(f"{i},texte {i}\n" for i in range(20000)).encode()
    z = tmp_path / "x.zip"
    with zipfile.ZipFile(z, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("Messages.csv", text)
    with open_source(z).open("Messages.csv") as stream:
        assert isinstance(stream.raw, sources._ReadAhead) and stream.read() == text


@pytest.mark.parametrize("export", ["slackdump-source-export/source_export.zip",
                                    "slack-export-viewer-testarchive/testarchive.zip"])
def test_real_zips_read_ahead_by_isal_as_zipfile_reads_them(real_data, read_ahead, export):
    """Zips other tools wrote (shared/real-data): every deflated entry, inflated by ISA-L, holds
    the bytes zipfile gives."""
    path = real_data / export
    with zipfile.ZipFile(path) as zf, open_source(path) as tree:
        deflated = [i for i in zf.infolist() if i.compress_type == zipfile.ZIP_DEFLATED and not i.is_dir()]
        assert deflated
        for info in deflated:
            with tree.open(info.filename.replace("\\", "/")) as stream:
                assert isinstance(stream.raw, sources._ReadAhead) and stream.read() == zf.read(info)


def test_closing_an_entry_half_read_ahead_stops_its_thread(tmp_path, read_ahead):
    tree = open_source(make_zip(tmp_path / "x.zip", {"big.csv": b"x\n" * 500_000}))
    stream = tree.open("big.csv")
    assert stream.read(10) == b"x\nx\nx\nx\nx\n"
    thread = stream.raw._thread
    stream.close()
    assert not thread.is_alive()


def test_duplicate_entry_names_are_refused(tmp_path):
    z = tmp_path / "dup.zip"
    with zipfile.ZipFile(z, "w") as zf, pytest.warns(UserWarning):
        zf.writestr("Messages.csv", "a")
        zf.writestr("Messages.csv", "b")
    with pytest.raises(UnsafeInputError, match="twice"):
        open_source(z)


def test_a_folder_link_pointing_outside_is_refused(tmp_path):
    src = tmp_path / "export"
    src.mkdir()
    (src / "Messages.csv").write_text("id\n")
    (src / "Files").symlink_to("/etc")
    with pytest.raises(UnsafeInputError, match="outside"):
        open_source(src)


def test_not_a_zip_nor_a_folder(tmp_path):
    f = tmp_path / "export.zip"
    f.write_text("this is not a zip")
    with pytest.raises(InputError, match="neither a folder nor a readable .zip"):
        open_source(f)


def test_zip_and_folder_read_the_same_and_find_ignores_case_and_depth(tmp_path):
    entries = {"export-1/messages.CSV": "id\n1\n", "export-1/Files/1.txt": "one"}
    z = make_zip(tmp_path / "x.zip", entries)
    folder = tmp_path / "folder"
    for name, data in entries.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(data)
    for tree in (open_source(z), open_source(folder)):
        assert tree.find("Messages.csv") == "export-1/messages.CSV"
        assert tree.open("export-1/Files/1.txt").read() == b"one"
        assert len(tree.digest()) == 64
    assert open_source(folder).digest() == open_source(folder).digest()
