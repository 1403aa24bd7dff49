"""Data layer: embedded MNIST-5k, IDX reading, Fashion-MNIST, the MNIST download (against a local HTTP server).
Users' drawings and uploads as digits: test_user_image.py."""
from __future__ import annotations

import functools
import gzip
import hashlib
import http.server
import socket
import struct
import threading

import numpy as np
import pytest
import torch

from genai_demo.data import datasets as D
from genai_demo.data.datasets import DataError, ImageData, load_dataset, read_idx


def idx_bytes(arr: np.ndarray, code: int = 0x08) -> bytes:
    """Hand-made IDX: magic (0, 0, dtype code, ndim), big-endian uint32 dims, then big-endian data."""
    dtype = {0x08: ">u1", 0x0B: ">i2", 0x0D: ">f4"}[code]
    return bytes([0, 0, code, arr.ndim]) + struct.pack(f">{arr.ndim}I", *arr.shape) + arr.astype(dtype).tobytes()


def write_mnist_like(folder, n_train=12, n_test=6, seed=0, gz=True) -> dict[str, bytes]:
    """Four tiny MNIST-format files in `folder`; returns {file name: bytes written}."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    written = {}
    for split, n in (("train", n_train), ("test", n_test)):
        x, y = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8), np.arange(n, dtype=np.uint8) % 10
        for fname, arr in zip(D.IDX_FILES[split], (x, y), strict=True):
            raw = idx_bytes(arr)
            written[fname] = gzip.compress(raw) if gz else raw
            (folder / (fname if gz else fname.removesuffix(".gz"))).write_bytes(written[fname])
    return written


# ---- mnist5k -----------------------------------------------------------------------------------------------------
def test_mnist5k_shapes_split_and_stratification():
    tr, te = load_dataset("mnist5k", "train"), load_dataset("mnist5k", "test")
    assert (len(tr), len(te)) == (4500, 500)
    assert tr.x.shape == (4500, 28, 28) and tr.x.dtype == torch.uint8 and tr.y.dtype == torch.int64
    assert tr.classes == [str(d) for d in range(10)] and tr.modality == "image"
    assert torch.bincount(te.y).tolist() == [50] * 10 and torch.bincount(tr.y).tolist() == [450] * 10
    # Disjoint and together the whole file: every image of the asset is in exactly one split.
    with np.load(D.MNIST5K_PATH) as z:
        allx = z["images"]
    held = D.mnist5k_held_out(np.load(D.MNIST5K_PATH)["labels"])
    assert np.array_equal(te.x.numpy(), allx[held])
    assert np.array_equal(tr.x.numpy(), np.delete(allx, held, axis=0))


def test_mnist5k_split_never_changes():
    labels = np.load(D.MNIST5K_PATH)["labels"]
    held = D.mnist5k_held_out(labels)
    # A pinned fingerprint: if numpy or the seed ever changed the split, held-out metrics would silently move.
    assert hashlib.sha256(held.astype("<i8").tobytes()).hexdigest()[:16] == "294b6f0b614c4700"
    assert np.array_equal(held, D.mnist5k_held_out(labels))
    assert torch.equal(load_dataset("mnist5k", "test").x, load_dataset("mnist5k", "test").x)


def test_loaded_tensors_cannot_corrupt_the_cache():
    a = load_dataset("mnist5k", "test")
    a.x.zero_()
    a.y.fill_(3)
    b = load_dataset("mnist5k", "test")
    assert b.x.sum() > 0 and torch.bincount(b.y).tolist() == [50] * 10


def test_batch_shapes_range_and_determinism():
    d = load_dataset("mnist5k", "train")
    x, y = d.batch(32, torch.Generator().manual_seed(7))
    assert x.shape == (32, 1, 28, 28) and x.dtype == torch.float32 and y.shape == (32,) and y.dtype == torch.int64
    assert 0.0 <= x.min() and x.max() <= 1.0 and x.max() == 1.0
    x2, y2 = d.batch(32, torch.Generator().manual_seed(7))
    x3, _ = d.batch(32, torch.Generator().manual_seed(8))
    assert torch.equal(x, x2) and torch.equal(y, y2) and not torch.equal(x, x3)
    assert d.float_images().shape == (4500, 1, 28, 28) and d.float_images(0).shape == (1, 1, 28, 28)
    assert d.to("cpu").x.shape == d.x.shape


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_batch_on_cuda_with_cuda_and_cpu_generators():
    d = load_dataset("mnist5k", "train", device="cuda")
    assert d.x.is_cuda and d.to("cpu").x.device.type == "cpu"
    x, y = d.batch(16, torch.Generator(device="cuda").manual_seed(0))
    assert x.is_cuda and y.is_cuda and x.shape == (16, 1, 28, 28)
    x2, _ = d.batch(16, torch.Generator().manual_seed(0))  # a cpu generator driving cuda data
    assert x2.is_cuda and torch.equal(x2.cpu(), load_dataset("mnist5k").batch(16, torch.Generator().manual_seed(0))[0])


def test_unknown_name_and_split():
    with pytest.raises(DataError, match="choose one of mnist5k, fashion, mnist"):
        load_dataset("cifar")
    with pytest.raises(DataError, match="'train' or 'test'"):
        load_dataset("mnist5k", "val")
    assert D.dataset_names() == ["mnist5k", "fashion", "mnist"]


# ---- IDX ---------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("gz", [True, False])
def test_read_idx_round_trip(tmp_path, gz):
    arr = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    raw = idx_bytes(arr)
    (tmp_path / "a").write_bytes(gzip.compress(raw) if gz else raw)
    out = read_idx(tmp_path / "a")
    assert out.dtype == np.uint8 and np.array_equal(out, arr)
    big_endian = np.array([[-2, 300], [7, 0]], np.int16)
    (tmp_path / "b").write_bytes(idx_bytes(big_endian, 0x0B))
    assert np.array_equal(read_idx(tmp_path / "b"), big_endian)


@pytest.mark.parametrize("mutate, message", [
    (lambda raw: raw[:-5], "data bytes but its header"),  # truncated data
    (lambda raw: raw + b"\0", "data bytes but its header"),  # trailing junk
    (lambda raw: b"\x00\x01" + raw[2:], "bad magic number"),  # wrong magic
    (lambda raw: raw[:2] + b"\x42" + raw[3:], "bad magic number"),  # unknown dtype code
    (lambda raw: raw[:6], "truncated inside its IDX header"),
    (lambda raw: b"", "bad magic number"),
    (lambda raw: gzip.compress(raw)[:-20], "cannot read"),  # truncated gzip stream
    (lambda raw: b"\x1f\x8b" + b"garbage" * 5, "cannot read"),  # gzip magic, corrupt body
])
def test_read_idx_rejects_corrupt_files(tmp_path, mutate, message):
    p = tmp_path / "bad.gz"
    p.write_bytes(mutate(idx_bytes(np.zeros((3, 28, 28), np.uint8))))
    with pytest.raises(DataError, match=message) as e:
        read_idx(p)
    assert "\n" not in str(e.value) and "download it again" in str(e.value) and str(p) in str(e.value)


def test_read_idx_missing_file(tmp_path):
    with pytest.raises(DataError, match="cannot read"):
        read_idx(tmp_path / "nope.gz")


# ---- Fashion-MNIST -----------------------------------------------------------------------------------------------
def test_fashion_from_the_debian_package():
    # The Debian package dataset-fashion-mnist is installed here and in CI: a missing data set is a failure.
    tr, te = load_dataset("fashion", "train"), load_dataset("fashion", "test")
    assert tr.x.shape == (60000, 28, 28) and te.x.shape == (10000, 28, 28) and tr.x.dtype == torch.uint8
    assert torch.bincount(tr.y).tolist() == [6000] * 10 and torch.bincount(te.y).tolist() == [1000] * 10
    assert tr.classes[0] == "T-shirt/top" and tr.classes[9] == "Ankle boot" and len(tr.classes) == 10
    assert 60 < tr.x.float().mean() < 80  # Fashion-MNIST's mean pixel is about 72.9


@pytest.mark.parametrize("gz", [True, False])
def test_fashion_from_a_data_dir(tmp_path, gz):
    write_mnist_like(tmp_path, n_train=12, n_test=6, gz=gz)
    d = load_dataset("fashion", "test", data_dir=tmp_path)
    assert d.x.shape == (6, 28, 28) and d.y.tolist() == [0, 1, 2, 3, 4, 5] and d.classes[1] == "Trouser"


def test_fashion_missing_dir_says_what_to_do(tmp_path):
    with pytest.raises(DataError) as e:
        load_dataset("fashion", data_dir=tmp_path / "nowhere")
    msg = str(e.value)
    assert "dataset-fashion-mnist" in msg and "--data-dir" in msg and "train-images-idx3-ubyte.gz" in msg and "\n" not in msg


def test_mismatched_files_are_refused(tmp_path):
    write_mnist_like(tmp_path)
    (tmp_path / "train-labels-idx1-ubyte.gz").write_bytes(gzip.compress(idx_bytes(np.zeros(5, np.uint8))))
    with pytest.raises(DataError, match="matching label file"):
        load_dataset("fashion", data_dir=tmp_path)
    (tmp_path / "train-images-idx3-ubyte.gz").write_bytes(gzip.compress(idx_bytes(np.zeros((5, 32, 32), np.uint8))))
    with pytest.raises(DataError, match=r"not \(N, 28, 28\) uint8"):
        load_dataset("fashion", data_dir=tmp_path)


# ---- full MNIST download, against a local HTTP server --------------------------------------------------------------
@pytest.fixture
def mirror(tmp_path):
    """Serve tmp_path/www over HTTP on 127.0.0.1; yields (base URL, {file: md5})."""
    www = tmp_path / "www"
    files = write_mnist_like(www, n_train=10, n_test=5)

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):  # keep pytest output clean
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(www)))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/", {k: hashlib.md5(v).hexdigest() for k, v in files.items()}
    server.shutdown()
    server.server_close()
    thread.join()


def dead_url() -> str:
    with socket.socket() as s:  # a port that was free a moment ago: connecting is refused at once
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}/"


def test_download_then_load(tmp_path, mirror):
    base, md5s = mirror
    cache = tmp_path / "cache"
    # The first mirror is unreachable: the download falls back to the next one.
    assert D.download_mnist(cache, base_urls=[dead_url(), base], timeout=5, md5s=md5s) == cache
    assert sorted(p.name for p in cache.iterdir()) == sorted(md5s)
    d = load_dataset("mnist", "train", data_dir=cache)
    assert d.x.shape == (10, 28, 28) and d.classes == [str(i) for i in range(10)]
    # Present and verified files are not fetched again, even with no mirror at all.
    D.download_mnist(cache, base_urls=[], md5s=md5s)


def test_load_with_download_flag_and_env_cache(tmp_path, mirror, monkeypatch):
    base, md5s = mirror
    monkeypatch.setenv("GENAI_DEMO_CACHE", str(tmp_path / "envcache"))
    assert D.mnist_cache_dir() == tmp_path / "envcache" / "mnist"
    monkeypatch.setattr(D, "MNIST_MD5", md5s)
    monkeypatch.setattr(D, "MNIST_MIRRORS", [base])
    d = load_dataset("mnist", "test", download=True)
    assert len(d) == 5 and (tmp_path / "envcache" / "mnist" / "t10k-images-idx3-ubyte.gz").is_file()


def test_checksum_mismatch_leaves_no_file(tmp_path, mirror):
    base, md5s = mirror
    cache = tmp_path / "cache"
    bad = dict(md5s, **{"train-images-idx3-ubyte.gz": "0" * 32})
    with pytest.raises(DataError, match="failed its md5 check") as e:
        D.download_mnist(cache, base_urls=[base], timeout=5, md5s=bad)
    assert "\n" not in str(e.value) and "mnist5k" in str(e.value)
    assert not (cache / "train-images-idx3-ubyte.gz").exists()
    assert not [p for p in cache.iterdir() if p.name.endswith(".part")]


def test_offline_error(tmp_path):
    with pytest.raises(DataError, match=r"could not download MNIST \(offline\?\) — the app works without it; use mnist5k"):
        D.download_mnist(tmp_path / "cache", base_urls=[dead_url()], timeout=2)
    assert list((tmp_path / "cache").iterdir()) == []


def test_mnist_missing_without_download(tmp_path):
    with pytest.raises(DataError, match="--download") as e:
        load_dataset("mnist", data_dir=tmp_path)
    assert "mnist5k" in str(e.value)


def test_image_data_is_a_plain_dataclass():
    d = ImageData("t", torch.zeros(3, 28, 28, dtype=torch.uint8), torch.arange(3), ["a", "b", "c"])
    assert len(d) == 3 and d.batch(2, torch.Generator().manual_seed(0))[0].shape == (2, 1, 28, 28)
