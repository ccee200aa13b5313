"""Problem 1 scripts end to end on the small MNIST root, plus their bad-input handling."""
import json
import math

import pytest
import torch

from conftest import assert_one_line_error, assert_png, load, run

HISTORY_KEYS = {"epoch", "train_loss", "train_acc", "test_loss", "test_acc", "time_s"}


def common_flags(mnist_dir, out_dir, epochs=2):
    return ["--data-dir", mnist_dir, "--out-dir", out_dir, "--epochs", epochs, "--device", "cpu"]


def test_p1_q1_trains_and_records_config(mnist_dir, tmp_path):
    proc = run("p1_q1.py", *common_flags(mnist_dir, tmp_path))
    doc = load(tmp_path, "p1_q1")
    assert [r["epoch"] for r in doc["table"]] == [1, 2]
    assert set(doc["table"][0]) == HISTORY_KEYS
    assert doc["table"][-1]["test_acc"] > 80  # logistic regression learns digits in two epochs
    assert doc["table"][-1]["train_loss"] < doc["table"][0]["train_loss"]
    cfg = doc["config"]
    assert (cfg["epochs"], cfg["batch_size"], cfg["lr"], cfg["seed"], cfg["device"]) == (2, 128, 0.01, 1, "cpu")
    assert doc["env"]["torch"] == torch.__version__ and doc["wall_time_s"] > 0
    assert "Training accuracy [%]" in proc.stdout and "Test loss" in proc.stdout


def test_p1_q2_writes_both_plots(mnist_dir, tmp_path):
    run("p1_q2_plots.py", *common_flags(mnist_dir, tmp_path))
    doc = load(tmp_path, "p1_q2_plots")
    assert len(doc["histories"]["1"]) == 2 and doc["plots"] == ["p1_q2_loss.png", "p1_q2_accuracy.png"]
    for name in doc["plots"]:
        assert_png(tmp_path / name)


def test_p1_q3_training_time_then_inference_reuses_checkpoint(mnist_dir, tmp_path):
    proc = run("p1_q3_training_time.py", *common_flags(mnist_dir, tmp_path))
    row = load(tmp_path, "p1_q3_training_time")["table"][0]
    assert 0 < row["train_time_s"] < 60
    assert 50 < row["cpu_peak_rss_mb"] < 24 * 1024  # torch alone takes more than 50 MB
    assert row["gpu_memory_mb"] is None and row["peak_allocated_mb"] is None  # CPU run
    assert "Total time for training [s]" in proc.stdout
    assert (tmp_path / "p1_q3_training_time.pt").is_file()

    proc = run("p1_q3_inference_time.py", *common_flags(mnist_dir, tmp_path))
    doc = load(tmp_path, "p1_q3_inference_time")
    assert doc["from_checkpoint"] is True and doc["histories"] is None
    inf = doc["table"][0]
    assert inf["images"] == 2000 and inf["train_acc"] == row["train_acc"]
    assert inf["test_acc"] == pytest.approx(row["test_acc"], abs=1e-9)  # same model, same answers
    assert math.isclose(inf["per_image_ms"] * inf["images"], inf["inference_time_s"] * 1000)
    assert inf["inference_time_s"] > 0 and inf["throughput_images_per_s"] > 0
    # batched inference is faster per image than one image per call
    assert inf["throughput_images_per_s"] > inf["images"] / inf["inference_time_s"]
    assert "Average time for inference per image [ms]" in proc.stdout


def test_p1_q3_inference_trains_when_checkpoint_does_not_match(mnist_dir, tmp_path):
    run("p1_q3_training_time.py", *common_flags(mnist_dir, tmp_path, epochs=1))
    run("p1_q3_inference_time.py", *common_flags(mnist_dir, tmp_path, epochs=1), "--seed", 2)
    doc = load(tmp_path, "p1_q3_inference_time")
    assert doc["from_checkpoint"] is False and len(doc["histories"]["2"]) == 1


def test_same_seed_same_metrics(mnist_dir, tmp_path):
    strip = lambda hist: [{k: v for k, v in h.items() if k != "time_s"} for h in hist]  # noqa: E731
    runs = []
    for i, seed in enumerate((1, 1, 2)):
        run("p1_q1.py", *common_flags(mnist_dir, tmp_path / str(i)), "--seed", seed,
            "--train-size", 3000)
        runs.append(strip(load(tmp_path / str(i), "p1_q1")["table"]))
    assert runs[0] == runs[1]
    assert runs[0] != runs[2]


def test_dataloader_pipeline_agrees_with_tensor_pipeline(mnist_dir, tmp_path):
    hist = {}
    for loader in ("tensor", "dataloader"):
        run("p1_q1.py", *common_flags(mnist_dir, tmp_path / loader), "--loader", loader)
        hist[loader] = load(tmp_path / loader, "p1_q1")["table"]
    assert abs(hist["tensor"][-1]["test_acc"] - hist["dataloader"][-1]["test_acc"]) <= 1.0
    # same seed, same shuffle order, same float arithmetic: the same training, not just close
    for a, b in zip(hist["tensor"], hist["dataloader"]):
        assert a["train_acc"] == b["train_acc"] and a["test_acc"] == b["test_acc"]
        assert a["train_loss"] == pytest.approx(b["train_loss"], rel=1e-5)


# ----------------------------------------------------------------------------- bad input

@pytest.mark.parametrize("flags, phrase", [
    (["--epochs", "0"], "--epochs must be at least 1"),
    (["--epochs", "-3"], "--epochs must be at least 1"),
    (["--lr", "0"], "--lr must be a positive number"),
    (["--lr", "-0.1"], "--lr must be a positive number"),
    (["--lr", "nan"], "--lr must be a positive number"),
    (["--batch-size", "0"], "--batch-size must be at least 1"),
    (["--device", "tpu"], "invalid choice: 'tpu'"),
    (["--epochs", "many"], "invalid int value"),
])
def test_impossible_flags_fail_in_one_line(mnist_dir, tmp_path, flags, phrase):
    proc = run("p1_q1.py", "--data-dir", mnist_dir, "--out-dir", tmp_path, *flags, check=False)
    assert_one_line_error(proc, phrase)
    assert not (tmp_path / "p1_q1.json").exists()


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU")
def test_cuda_without_gpu_is_a_clear_error(mnist_dir, tmp_path):
    proc = run("p1_q1.py", "--data-dir", mnist_dir, "--out-dir", tmp_path, "--device", "cuda", check=False)
    assert_one_line_error(proc, "--device cuda", "no CUDA")


def test_missing_data_says_where_the_idx_files_go(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the data folder should be, so the download cannot succeed")
    proc = run("p1_q1.py", "--data-dir", blocker, "--out-dir", tmp_path / "out", check=False)
    assert_one_line_error(proc, "download failed", "train-images-idx3-ubyte", "MNIST/raw")


def _copy_root(src, dst):
    raw = dst / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for f in (src / "MNIST" / "raw").iterdir():
        (raw / f.name).write_bytes(f.read_bytes())
    return raw


def test_truncated_idx_file(mnist_dir, tmp_path):
    raw = _copy_root(mnist_dir, tmp_path / "root")
    f = raw / "train-images-idx3-ubyte"
    f.write_bytes(f.read_bytes()[:-1000])
    proc = run("p1_q1.py", "--data-dir", tmp_path / "root", "--out-dir", tmp_path, check=False)
    assert_one_line_error(proc, "train-images-idx3-ubyte is truncated or corrupt")


def test_corrupt_idx_header(mnist_dir, tmp_path):
    raw = _copy_root(mnist_dir, tmp_path / "root")
    f = raw / "t10k-labels-idx1-ubyte"
    f.write_bytes(b"\x12\x34" + f.read_bytes()[2:])
    proc = run("p1_q1.py", "--data-dir", tmp_path / "root", "--out-dir", tmp_path, check=False)
    assert_one_line_error(proc, "t10k-labels-idx1-ubyte is not an MNIST IDX file")


def test_unwritable_output_folder(mnist_dir, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    proc = run("p1_q1.py", "--data-dir", mnist_dir, "--out-dir", blocker / "out", check=False)
    assert_one_line_error(proc, "cannot write to output folder")


def test_nan_loss_stops_with_epoch_and_keeps_earlier_results(mnist_dir, tmp_path):
    run("p1_q1.py", *common_flags(mnist_dir, tmp_path, epochs=1), "--train-size", 1000)
    before = (tmp_path / "p1_q1.json").read_text()
    proc = run("p1_q1.py", *common_flags(mnist_dir, tmp_path, epochs=3), "--lr", "1e38", check=False)
    assert_one_line_error(proc, "training diverged", "epoch 1")
    assert (tmp_path / "p1_q1.json").read_text() == before
    json.loads(before)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary leftovers
