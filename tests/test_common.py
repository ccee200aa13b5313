"""Unit tests of common.py's pieces that need no training: timer, memory, IDX reading, models."""
import time

import pytest
import torch

import common
import mnist_root


def test_timer_measures_wall_time_on_cpu():
    with common.Timer(torch.device("cpu")) as t:
        time.sleep(0.05)
    assert 0.045 <= t.seconds < 1.0


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a GPU")
def test_timer_waits_for_gpu_work():
    dev = torch.device("cuda")
    x = torch.randn(4096, 4096, device=dev)
    with common.Timer(dev) as t:
        for _ in range(20):
            x = x @ x
            x = x / x.norm()
    assert t.seconds > 1e-4


def test_memory_figures_on_cpu_are_sane():
    m = common.memory_figures(torch.device("cpu"))
    assert 50 < m["cpu_peak_rss_mb"] < 24 * 1024
    assert m["gpu_memory_mb"] is None


def test_idx_reader_round_trip_and_errors(tmp_path):
    t = torch.arange(2 * 28 * 28, dtype=torch.int64).remainder(256).to(torch.uint8).reshape(2, 28, 28)
    f = tmp_path / "x-idx3-ubyte"
    f.write_bytes(mnist_root.idx_bytes(t))
    assert torch.equal(common._read_idx(f, 3), t)
    with pytest.raises(common.SuiteError, match="not an MNIST IDX file of 1"):
        common._read_idx(f, 1)
    f.write_bytes(mnist_root.idx_bytes(t)[:-1])
    with pytest.raises(common.SuiteError, match="truncated"):
        common._read_idx(f, 3)


def test_model_parameter_counts():
    count = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    assert count(common.LogisticRegression()) == 7850
    assert count(common.SimpleFC()) == 784 * 512 + 512 + 512 * 256 + 256 + 256 * 128 + 128 + 1290
    assert count(common.SimpleCNN()) == 50186
    assert count(common.SimpleCNN(8, 16)) == 9098
    assert common.SimpleCNN()(torch.zeros(3, 1, 28, 28)).shape == (3, 10)


@pytest.mark.parametrize("kwargs", [dict(c1=0), dict(c2=-4), dict(c1=2.5), dict(dropout=1.0),
                                    dict(dropout=-0.1)])
def test_model_rejects_impossible_shapes(kwargs):
    with pytest.raises(common.SuiteError):
        common.SimpleCNN(**kwargs)


def test_tensor_batches_cover_the_split_once_per_epoch(tmp_path):
    mnist_root.build(tmp_path, train=300, test=100, synthetic=True)
    data = common.MNIST(tmp_path, torch.device("cpu"))
    gen = torch.Generator().manual_seed(0)
    batches = list(data.batches("train", 128, shuffle=True, generator=gen))
    assert [len(y) for _, y in batches] == [128, 128, 44]  # last partial batch kept
    seen = torch.cat([x for x, _ in batches]).flatten(1).sum(1).sort().values
    assert torch.equal(seen, data.x["train"].flatten(1).sum(1).sort().values)
    assert float(data.x["train"].max()) <= 1.0 and float(data.x["train"].min()) >= 0.0


def test_normalized_data_matches_torchvision_transforms(tmp_path):
    from torchvision import datasets, transforms
    mnist_root.build(tmp_path, train=50, test=20)
    data = common.MNIST(tmp_path, torch.device("cpu")).normalized()
    tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize((common.MNIST_MEAN,), (common.MNIST_STD,))])
    ds = datasets.MNIST(tmp_path, train=True, download=False, transform=tf)
    for i in (0, 17, 49):
        assert torch.allclose(ds[i][0], data.x["train"][i], atol=1e-6)
        assert ds[i][1] == int(data.y["train"][i])
