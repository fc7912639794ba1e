"""picture_file: what phones do not show as a status becomes a JPEG; what
they do is passed through untouched."""

from __future__ import annotations

import struct
import threading
import warnings
import zlib
from pathlib import Path

import pytest
from PIL import Image

from greenstatus.media._pictures import picture_file
from greenstatus.media._prepared import Cancelled, PreparedFile, Unreadable

RED = (220, 20, 30)


def _go(source: Path, workdir: Path, fit: str | None = None) -> PreparedFile:
    return picture_file(source, workdir, threading.Event(), fit=fit)


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    path = tmp_path / "work"
    path.mkdir()
    return path


def _assert_jpeg(prepared: PreparedFile, workdir: Path, size: tuple[int, int]) -> Image.Image:
    assert prepared.converted
    assert prepared.temporary
    assert prepared.path.parent == workdir
    assert prepared.file_name == prepared.path.name
    assert prepared.path.suffix == ".jpg"
    assert prepared.content_type == "image/jpeg"
    assert prepared.duration is None
    assert prepared.size == prepared.path.stat().st_size
    image = Image.open(prepared.path)
    assert image.format == "JPEG"
    assert image.mode == "RGB"
    assert image.size == size
    assert not image.getexif()  # metadata never copied
    image.load()
    return image


def _close(pixel: object, expected: tuple[int, int, int], tolerance: int = 24) -> bool:
    assert isinstance(pixel, tuple)
    return all(abs(int(a) - b) <= tolerance for a, b in zip(pixel, expected, strict=True))


def test_webp_becomes_jpeg(tmp_path: Path, workdir: Path) -> None:
    source = tmp_path / "photo.webp"
    Image.new("RGB", (40, 30), RED).save(source, "WEBP")
    prepared = _go(source, workdir)
    assert prepared.path == workdir / "photo.jpg"
    image = _assert_jpeg(prepared, workdir, (40, 30))
    assert _close(image.getpixel((20, 15)), RED)
    assert source.exists()


def test_bmp_passes_through(tmp_path: Path, workdir: Path) -> None:
    source = tmp_path / "scan.bmp"
    Image.new("RGB", (40, 30), RED).save(source, "BMP")
    prepared = _go(source, workdir)
    assert prepared.path == source
    assert prepared.file_name == "scan.bmp"
    assert prepared.content_type == "image/bmp"
    assert not prepared.converted
    assert not prepared.temporary
    assert prepared.size == source.stat().st_size
    assert list(workdir.iterdir()) == []


def test_bmp_with_fit_is_converted(tmp_path: Path, workdir: Path) -> None:
    source = tmp_path / "scan.bmp"
    Image.new("RGB", (90, 160), RED).save(source, "BMP")
    _assert_jpeg(_go(source, workdir, fit="9:16"), workdir, (90, 160))


def test_png_transparency_is_flattened_onto_white(tmp_path: Path, workdir: Path) -> None:
    source = tmp_path / "logo.png"
    image = Image.new("RGBA", (40, 30), (0, 0, 0, 0))
    image.paste((*RED, 255), (0, 0, 20, 30))
    image.save(source)
    prepared = _go(source, workdir)
    out = _assert_jpeg(prepared, workdir, (40, 30))
    assert _close(out.getpixel((35, 15)), (255, 255, 255), 4)
    assert _close(out.getpixel((5, 15)), RED)
    assert any("white" in note for note in prepared.notes)


def test_cmyk_jpeg_becomes_rgb(tmp_path: Path, workdir: Path) -> None:
    source = tmp_path / "print.jpg"
    Image.new("CMYK", (40, 30), (0, 255, 255, 0)).save(source, "JPEG")
    out = _assert_jpeg(_go(source, workdir), workdir, (40, 30))
    assert _close(out.getpixel((20, 15)), (255, 0, 0), 30)


def test_exif_orientation_is_applied(tmp_path: Path, workdir: Path) -> None:
    source = tmp_path / "phone.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to show
    exif[0x010F] = "Maker"
    Image.new("RGB", (40, 30), RED).save(source, "JPEG", exif=exif)
    prepared = _go(source, workdir)
    _assert_jpeg(prepared, workdir, (30, 40))
    assert any("metadata" in note for note in prepared.notes)


def test_one_frame_gif_becomes_jpeg(tmp_path: Path, workdir: Path) -> None:
    source = tmp_path / "still.gif"
    Image.new("RGB", (40, 30), RED).convert("P").save(source, "GIF")
    out = _assert_jpeg(_go(source, workdir), workdir, (40, 30))
    assert _close(out.getpixel((20, 15)), RED, 40)


def test_fit_pads_to_nine_by_sixteen(tmp_path: Path, workdir: Path) -> None:
    source = tmp_path / "square.png"
    Image.new("RGB", (90, 90), RED).save(source)
    out = _assert_jpeg(_go(source, workdir, fit="9:16"), workdir, (90, 160))
    assert _close(out.getpixel((45, 80)), RED)  # centred
    assert _close(out.getpixel((45, 80 - 44)), RED)
    assert _close(out.getpixel((45, 80 + 43)), RED)
    assert _close(out.getpixel((45, 5)), (0, 0, 0), 8)  # padded, not cropped
    assert _close(out.getpixel((45, 154)), (0, 0, 0), 8)


def test_fit_pads_a_tall_picture_sideways(tmp_path: Path, workdir: Path) -> None:
    source = tmp_path / "tall.png"
    Image.new("RGB", (40, 160), RED).save(source)
    out = _assert_jpeg(_go(source, workdir, fit="9:16"), workdir, (90, 160))
    assert _close(out.getpixel((45, 80)), RED)
    assert _close(out.getpixel((3, 80)), (0, 0, 0), 8)


def test_fine_jpeg_passes_through(tmp_path: Path, workdir: Path) -> None:
    source = tmp_path / "fine.jpeg"
    Image.new("RGB", (40, 30), RED).save(source, "JPEG")
    prepared = _go(source, workdir)
    assert prepared == PreparedFile(
        path=source,
        file_name="fine.jpeg",
        content_type="image/jpeg",
        duration=None,
        size=source.stat().st_size,
        converted=False,
        temporary=False,
    )
    assert list(workdir.iterdir()) == []


def test_png_named_jpg_is_converted(tmp_path: Path, workdir: Path) -> None:
    source = tmp_path / "odd.jpg"
    Image.new("RGB", (40, 30), RED).save(source, "PNG")
    prepared = _go(source, workdir)
    assert prepared.path == workdir / "odd.jpg"
    _assert_jpeg(prepared, workdir, (40, 30))


def test_output_never_overwrites_the_input(workdir: Path) -> None:
    source = workdir / "inside.jpg"
    Image.new("CMYK", (40, 30), (0, 255, 255, 0)).save(source, "JPEG")
    prepared = _go(source, workdir)
    assert prepared.path != source
    with Image.open(source) as image:
        assert image.mode == "CMYK"


def test_corrupt_file_is_unreadable(tmp_path: Path, workdir: Path) -> None:
    source = tmp_path / "broken.png"
    source.write_bytes(b"\x89PNG\r\n\x1a\n not really")
    with pytest.raises(Unreadable):
        _go(source, workdir)
    assert list(workdir.iterdir()) == []


def test_truncated_file_is_unreadable_and_leaves_nothing(tmp_path: Path, workdir: Path) -> None:
    source = tmp_path / "cut.webp"
    Image.effect_noise((200, 200), 60).convert("RGB").save(source, "WEBP")
    source.write_bytes(source.read_bytes()[:300])
    with pytest.raises(Unreadable):
        _go(source, workdir)
    assert list(workdir.iterdir()) == []


def test_huge_picture_is_refused_before_decoding(tmp_path: Path, workdir: Path) -> None:
    source = tmp_path / "bomb.png"
    Image.new("L", (1, 1)).save(source)
    data = bytearray(source.read_bytes())
    ihdr = struct.pack(">II", 10_000, 6_000) + bytes(data[24:29])
    data[16:29] = ihdr
    data[29:33] = struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    source.write_bytes(bytes(data))
    with pytest.raises(Unreadable, match="megapixels"):
        _go(source, workdir)


def test_bad_fit_is_a_value_error(tmp_path: Path, workdir: Path) -> None:
    with pytest.raises(ValueError, match="fit"):
        _go(tmp_path / "missing.jpg", workdir, fit="4:5")


def test_cancelled_before_work(tmp_path: Path, workdir: Path) -> None:
    source = tmp_path / "photo.webp"
    Image.new("RGB", (40, 30), RED).save(source, "WEBP")
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(Cancelled):
        picture_file(source, workdir, cancel)
    assert list(workdir.iterdir()) == []


def test_heic_when_pillow_heif_is_installed(tmp_path: Path, workdir: Path) -> None:
    pillow_heif = pytest.importorskip("pillow_heif")
    pillow_heif.register_heif_opener()
    source = tmp_path / "iphone.heic"
    Image.new("RGB", (40, 30), RED).save(source, "HEIF")
    _assert_jpeg(_go(source, workdir), workdir, (40, 30))


def _half(source: Path) -> None:
    source.write_bytes(source.read_bytes()[: source.stat().st_size // 2])


@pytest.mark.parametrize(
    ("name", "fmt"), [("cut.png", "PNG"), ("cut.jpg", "JPEG"), ("cut.bmp", "BMP")]
)
def test_half_a_passing_format_is_unreadable(
    tmp_path: Path, workdir: Path, name: str, fmt: str
) -> None:
    # Each would pass through whole: cut in half it must not be sent, nor
    # raise Pillow's own OSError ("image file is truncated").
    source = tmp_path / name
    Image.effect_noise((200, 200), 60).convert("RGB").save(source, fmt)
    _half(source)
    with pytest.raises(Unreadable):
        _go(source, workdir)
    assert list(workdir.iterdir()) == []


def test_jpeg_with_gps_is_reencoded_without_exif(tmp_path: Path, workdir: Path) -> None:
    source = tmp_path / "phone.jpg"
    exif = Image.Exif()
    exif[0x0112] = 1  # upright
    exif[0x010F] = "PhoneMaker"
    exif[0x8825] = {1: "N", 2: (48.0, 51.0, 30.0), 3: "E", 4: (2.0, 17.0, 40.0)}
    Image.new("RGB", (40, 30), RED).save(source, "JPEG", exif=exif)
    with Image.open(source) as check:
        assert check.getexif().get_ifd(0x8825)  # the input does carry a location
    prepared = _go(source, workdir)
    assert prepared.path == workdir / "phone.jpg"
    image = _assert_jpeg(prepared, workdir, (40, 30))  # no EXIF left
    assert _close(image.getpixel((20, 15)), RED)
    assert prepared.notes[0] == "removed its EXIF metadata (a location among it)"
    assert not any("converted from" in note for note in prepared.notes)
    assert source.read_bytes()[:2] == b"\xff\xd8"  # the input is left as it was


def test_jpeg_with_only_upright_orientation_passes_through(tmp_path: Path, workdir: Path) -> None:
    source = tmp_path / "upright.jpg"
    exif = Image.Exif()
    exif[0x0112] = 1
    Image.new("RGB", (40, 30), RED).save(source, "JPEG", exif=exif)
    prepared = _go(source, workdir)
    assert prepared.converted is False
    assert prepared.path == source


def test_long_name_is_shortened(tmp_path: Path, workdir: Path) -> None:
    stem = "p" * 250
    source = tmp_path / stem  # no extension: converted, so an output is written
    Image.new("RGB", (40, 30), RED).save(source, "PNG")
    prepared = _go(source, workdir)
    assert prepared.path == workdir / f"{'p' * 100}.jpg"
    _assert_jpeg(prepared, workdir, (40, 30))


def test_long_multibyte_name_is_cut_on_a_character(tmp_path: Path, workdir: Path) -> None:
    source = tmp_path / ("фото" * 30 + ".webp")  # 240 bytes of stem
    Image.new("RGB", (40, 30), RED).save(source, "WEBP")
    prepared = _go(source, workdir)
    assert len(prepared.file_name.encode()) <= 104
    assert prepared.file_name.startswith("фото")
    _assert_jpeg(prepared, workdir, (40, 30))


def test_bomb_warning_is_silenced(
    tmp_path: Path, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "big.webp"
    Image.new("RGB", (60, 60), RED).save(source, "WEBP")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 2000)  # warns over 2000, errors over 4000
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        prepared = _go(source, workdir)
    monkeypatch.undo()
    _assert_jpeg(prepared, workdir, (60, 60))
