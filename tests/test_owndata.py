"""Own data, gradio-free: reading uploads (zips read in memory, hostile ones refused before inflating), converting
images (crop / invert / threshold), own text (UTF-8, lines, vocabulary, held-out split) and the per-visitor store."""
from __future__ import annotations

import zipfile

import numpy as np
import pytest
import torch

from genai_demo.data import own_archive, own_images, own_store, own_text
from genai_demo.data.datasets import DataError, load_dataset
from genai_demo.data.own_images import Options
from genai_demo.data.text import CorpusError, corpus_info, load_text_dataset, novelty
from genai_demo.training import factory
from genai_demo.training.settings import checked
from tests.helpers.own_files import huge_png, jpeg_bytes, png_bytes, pngs, stroke_image, zip_bomb, zip_of


def key_of(fn) -> str:
    with pytest.raises(DataError) as e:
        fn()
    assert "\n" not in str(e.value) and len(str(e.value)) < 200
    return e.value.key


# ---- conversion ---------------------------------------------------------------------------------
def test_convert_gives_white_ink_on_black_in_a_20px_box():
    x = own_images.convert(pngs(20))
    assert x.shape == (20, 28, 28) and x.dtype == np.uint8
    ink = x > 25
    assert not ink[:, :4].any() and not ink[:, 24:].any()  # the crop puts every stroke inside the 20 px box
    assert not ink[:, :, :4].any() and not ink[:, :, 24:].any()
    assert ink[:, 4:24, 4:24].sum(axis=(1, 2)).min() > 20  # and each has ink: dark-on-light paper was inverted


def test_invert_options_and_threshold():
    light_ink = [(f"{i}.png", png_bytes(stroke_image(i, dark_ink=False))) for i in range(20)]  # already MNIST-like
    auto = own_images.convert(light_ink)
    never = own_images.convert(light_ink, Options(invert="off"))
    assert np.array_equal(auto, never)  # auto leaves dark paper alone
    always = own_images.convert(light_ink, Options(invert="on", crop=False))
    assert always.mean() > 128  # inverted: mostly white now
    grey = own_images.convert(pngs(20), Options(crop=False))
    binary = own_images.convert(pngs(20), Options(crop=False, threshold=0.5))
    assert set(np.unique(binary)) <= {0, 255} and len(np.unique(grey)) > 2


def test_no_crop_keeps_the_whole_picture_padded_to_a_square():
    x = own_images.convert(pngs(20, size=(20, 80)), Options(crop=False))  # a tall 20 x 80 picture
    assert not (x[:, :, :8] > 0).any()  # padded left and right: the picture is 7 px wide in 28
    assert (x[:, :, 10:18] > 0).any()


def test_jpeg_and_rgba_are_read():
    files = [(f"{i}.jpg", jpeg_bytes(stroke_image(i))) for i in range(10)] + pngs(10)
    x = own_images.convert(files)
    assert (x.reshape(20, -1).max(1) > 200).all()


@pytest.mark.parametrize("opt", [Options(invert="sideways"), Options(threshold=2.0), Options(crop="yes"),
                                 Options(threshold=float("nan")), Options(threshold=True)])
def test_bad_options_are_one_sentence(opt):
    assert key_of(lambda: own_images.convert(pngs(20), opt)) == "own_err_options"


def test_counts_and_non_images():
    assert key_of(lambda: own_images.convert(pngs(19))) == "own_err_too_few"
    assert key_of(lambda: own_archive.read_uploads([b"x"] * 2001)) == "own_err_too_many"
    files = pngs(20) + [("notes.txt", b"hello, not an image")]
    assert key_of(lambda: own_images.convert(files)) == "own_err_not_image"
    gif = (b"GIF89a" + b"\x01\x00\x01\x00\x00\x00\x00" + b"\x2c" + bytes(9) + b"\x02\x02\x44\x01\x00\x3b")
    assert key_of(lambda: own_images.convert(pngs(20) + [("a.gif", gif)])) == "own_err_not_image"


def test_decompression_bombs_are_refused_from_the_header():
    big = huge_png(own_images.MAX_SIDE + 1, 10)  # wider than allowed: refused before decoding
    assert key_of(lambda: own_images.convert(pngs(19) + [("wide.png", big)])) == "own_err_image_big"
    # many allowed-size images whose pixels add up beyond the budget: refused before they are decoded
    side = 4000
    one = huge_png(side, side)
    n = own_images.MAX_PIXELS // (side * side) + 1
    assert key_of(lambda: own_images.convert([(f"{i}.png", one) for i in range(max(n, 20))])) == "own_err_pixels"


# ---- archives -------------------------------------------------------------------------------------
def test_zip_is_read_in_memory_and_traversal_names_are_only_names(tmp_path):
    files = [(f"../../../{tmp_path.name}/evil{i}.png", d) for i, (_, d) in enumerate(pngs(20))]
    files += [("__MACOSX/._img000.png", b"junk"), (".DS_Store", b"junk")]  # what a Mac adds: skipped
    before = set(tmp_path.parent.iterdir())
    got = own_archive.read_uploads([zip_of(files)])
    assert len(got) == 20 and set(tmp_path.parent.iterdir()) == before  # nothing written anywhere
    assert own_archive.shown_name(files[0][0]) == "evil0.png"
    assert own_images.convert(got).shape == (20, 28, 28)


def test_hostile_archives():
    assert key_of(lambda: own_archive.read_uploads([zip_bomb(20)])) == "own_err_bomb"
    nested = zip_of(pngs(20) + [("more.zip", zip_of(pngs(2)))], method=zipfile.ZIP_STORED)
    assert key_of(lambda: own_archive.read_uploads([nested])) == "own_err_nested"
    many = zip_of([(f"{i}.png", b"x") for i in range(2001)], method=zipfile.ZIP_STORED)
    assert key_of(lambda: own_archive.read_uploads([many])) == "own_err_too_many"
    assert key_of(lambda: own_archive.read_uploads([b"PK\x03\x04 broken"])) == "own_err_bad_zip"
    assert key_of(lambda: own_archive.read_uploads([b"\x1f\x8b\x08 gzip"])) == "own_err_archive_kind"
    assert key_of(lambda: own_archive.read_uploads([b"\0" * (own_archive.MAX_FILE_BYTES + 1)])) == "own_err_file_big"
    assert key_of(lambda: own_archive.read_uploads([12])) == "own_err_not_file"


def test_a_member_lying_about_its_size_is_refused():
    data = bytearray(zip_of(pngs(20), method=zipfile.ZIP_STORED))
    # shrink the declared size of the first member in its central directory entry: it then holds more than it says
    cd = data.rfind(b"PK\x01\x02", 0, len(data))
    first = data.find(b"PK\x01\x02")
    assert 0 <= first <= cd
    size = int.from_bytes(data[first + 24:first + 28], "little")
    data[first + 24:first + 28] = (size // 2).to_bytes(4, "little")
    key = key_of(lambda: own_archive.read_uploads([bytes(data)]))
    assert key in ("own_err_bomb", "own_err_member")


# ---- text -----------------------------------------------------------------------------------------
def test_text_lines_vocab_and_split():
    text = "\n".join(f"name{i}" for i in range(100)) + "\n\n\t\n" + "x" * 200
    p = own_text.prepare(own_text.decode(text.encode()))
    assert len(p.lines) == 100 + 4 and max(map(len, p.lines)) <= own_text.MAX_LINE  # the 200 x's cut into 4
    assert p.vocab[0] == "\n" and set(p.vocab[1:]) == set("".join(p.lines))
    train, test = own_text.split(p.lines)
    assert len(test) == len(p.lines) // 10 and not set(train) & set(test) - {"x" * 64}


def test_text_bounds():
    with pytest.raises(CorpusError) as e:
        own_text.decode(b"\xff\xfe\x00bad")
    assert e.value.key == "own_err_text_utf8"
    with pytest.raises(CorpusError) as e:
        own_text.decode(b"abc\x00def\n" * 30)
    assert e.value.key == "own_err_text_binary"
    with pytest.raises(CorpusError) as e:
        own_text.decode(b"a" * (own_text.MAX_BYTES + 1))
    assert e.value.key == "own_err_text_big"
    with pytest.raises(CorpusError) as e:
        own_text.prepare("one\ntwo\n")
    assert e.value.key == "own_err_text_few"
    many = "".join(chr(0x4E00 + i) for i in range(own_text.MAX_VOCAB + 500))  # 3,500 distinct characters
    p = own_text.prepare("\n".join(many[i:i + 20] for i in range(0, len(many), 20)) + "\n" + many[:40] * 3)
    assert len(p.vocab) <= own_text.MAX_VOCAB and p.replaced > 0 and own_text.UNKNOWN in p.vocab


# ---- the store ------------------------------------------------------------------------------------
def test_store_resolves_handles_per_owner_and_frees_them():
    store = own_store.STORE
    x = own_images.convert(pngs(30))
    e = store.put_images("alice-own", x)
    assert load_dataset(e.name, "train").x.shape == (27, 28, 28) and load_dataset(e.name, "test").x.shape == (3, 28, 28)
    assert store.names("alice-own") == [e.name] and store.names("bob-own") == []
    # settings accept the handle only where it is offered (the Train tab offers each visitor their own)
    s = checked({"model": "vae", "data": e.name, "steps": 5}, datasets=["mnist5k", *store.names("alice-own")])
    with pytest.raises(ValueError):
        checked({"model": "vae", "data": e.name, "steps": 5}, datasets=["mnist5k", *store.names("bob-own")])
    with pytest.raises(ValueError):  # no labels: not for the conditional families
        checked({"model": "cgan", "data": e.name, "steps": 5}, datasets=["mnist5k", e.name])
    with pytest.raises(DataError):  # the factory finds it for its owner only
        factory.make_own_trainer(s, owner="bob-own")
    trainer = factory.make_own_trainer(s, owner="alice-own")
    assert len(trainer.data) == 27 and len(trainer.test_data) == 3
    t = store.put_text("alice-own", "\n".join(f"line {i} of my text" for i in range(40)))
    assert corpus_info(t.name).unit == "line" and novelty("line 0 of my text", t.name) == "memorised"
    assert novelty("line 9 of my text", t.name) == "held-out" and novelty("zzz", t.name) == "new"
    assert isinstance(load_text_dataset(t.name, "train").tokens, torch.Tensor)
    e2 = store.put_images("alice-own", x[:20])  # a new upload replaces the old one
    assert store.get(e.name) is None and store.names("alice-own") == [e2.name, t.name]
    assert store.release("alice-own") == 2 and store.get(e2.name) is None and store.get(t.name) is None
    assert corpus_info(t.name) is None  # gone: the display code says "unknown", nothing crashes


def test_store_reaps_idle_visitors_and_bounds_sessions():
    store = own_store.OwnStore(max_sessions=2, idle_s=100, reclaim_s=50)
    x = own_images.convert(pngs(20))
    a = store.put_images("a", x)
    store.put_images("b", x)
    with pytest.raises(DataError) as e:  # full, and nobody idle long enough to give their place up
        store.put_images("c", x)
    assert e.value.key == "run_full"
    store._seen["a"] -= 60  # a has not used its data for a minute: its place goes to a newcomer
    store.put_images("c", x)
    assert store.get(a.name) is None and len(store) == 2
    assert store.reap(now=store._seen["c"] + 101) == 2 and len(store) == 0


def test_phone_photos_stand_as_taken():
    import io

    from PIL import Image

    a = np.full((64, 48), 255, np.uint8)
    a[10:14, 5:43] = 0  # a horizontal bar, dark on white
    img = Image.fromarray(a)
    exif = img.getexif()
    exif[0x0112] = 6  # EXIF orientation 6: shown turned 90° clockwise, as phones save portrait photos
    b = io.BytesIO()
    img.convert("RGB").save(b, "JPEG", exif=exif.tobytes())
    x = own_images.convert([("photo.jpg", b.getvalue())] * 20, Options(crop=False))[0]
    ink = x > 128
    assert ink.any(0).sum() <= 3 < ink.any(1).sum()  # upright as shown: the bar stands vertical
