"""Problem 3: the profile's exact counts, and the CNN study end to end."""
import pytest

import common
from conftest import assert_one_line_error, assert_png, load, run

# (params, thop MACs, MACs with bias = report, report FLOPs, torchsummary MB, whole-model KB)
EXPECTED = {"SimpleCNN": (50186, 3869824, 3907456, 7814912, 0.55, 200),
            "CNN_2_8_16": (9098, 290080, 299488, 598976, 0.13, 40)}


def test_profile_counts_are_exact(tmp_path):
    proc = run("p3_profile.py", "--out-dir", tmp_path)
    rows = {r["model"]: r for r in load(tmp_path, "p3_profile")["table"]}
    for name, (params, thop_macs, macs, flops, size_mb, saved_kb) in EXPECTED.items():
        r = rows[name]
        assert r["params"] == params
        assert r["macs_thop"] == thop_macs
        assert r["macs"] == macs and r["flops"] == flops == 2 * macs
        assert r["flops_torch"] == 2 * thop_macs  # FlopCounterMode: no bias additions either
        assert r["bias_adds"] == macs - thop_macs
        assert r["model_size_mb"] == size_mb
        assert abs(r["saved_size_kb"] - saved_kb) < 3
        assert r["state_dict_kb"] < r["saved_size_kb"]
        assert 0 < r["state_dict_kb"] - params * 4 / 1024 < 5  # fp32 weights plus a little framing
        assert sum(layer["params"] for layer in r["layers"]) == params
        assert [layer["layer"] for layer in r["layers"]] == \
            ["Conv2d-1", "MaxPool2d-2", "Conv2d-3", "MaxPool2d-4", "Linear-5"]
        assert (tmp_path / f"p3_profile_{name}.pt").stat().st_size == pytest.approx(saved_kb * 1024, abs=3072)
    assert "Estimated Total Size (MB): 0.55" in proc.stdout  # torchsummary's own table
    assert "FLOPs = 2 x MACs" in proc.stdout


def test_layer_breakdown_by_hand():
    layers = common.layer_breakdown(common.SimpleCNN(8, 16))
    conv1, _, conv2, _, fc = layers
    assert conv1["output_shape"] == [8, 28, 28] and conv1["macs"] == 28 * 28 * 8 * 9
    assert conv2["macs"] == 14 * 14 * 16 * 8 * 9 and conv2["bias_adds"] == 14 * 14 * 16
    assert fc["macs"] == 7 * 7 * 16 * 10 and fc["bias_adds"] == 0


def test_cnn_study_end_to_end(mnist_dir, tmp_path):
    proc = run("p3_cnn_2_8_16.py", "--data-dir", mnist_dir, "--out-dir", tmp_path, "--device", "cpu",
               "--epochs", 1, "--sweep-epochs", 1, "--sweep-channels", "8/16", "16/32",
               "--small-lr-epochs", 1, "--train-size", 3000)
    doc = load(tmp_path, "p3_cnn_2_8_16")
    sweep = doc["sweep_table"]
    assert [r["channels"] for r in sweep] == ["8/16", "16/32"]
    assert [r["params"] for r in sweep] == [9098, 20490]
    assert sweep[0]["macs"] == 299488 and sweep[0]["model_size_mb"] == 0.13
    assert all(r["test_acc"] > 50 for r in sweep)  # a CNN learns digits in one epoch
    reg = doc["regularize_table"]
    assert [r["experiment"] for r in reg] == ["baseline", "dropout 0.2", "L2 0.0001", "lr 0.005, 1 epochs"]
    for r in reg:
        assert {"experiment", "epochs", "train_acc", "test_acc", "final_train_loss", "final_test_loss"} <= set(r)
        assert r["epochs"] == 1
    # the L2 penalty is in the loss: same seed, slightly different weights than the baseline
    assert reg[2]["final_train_loss"] != reg[0]["final_train_loss"]
    for name in doc["plots"]:
        assert_png(tmp_path / name)
    assert "p3_cnn_sweep.png" in doc["plots"] and "p3_cnn_baseline_loss.png" in doc["plots"]
    assert "Final test loss" in proc.stdout and "# parameters" in proc.stdout


def test_only_one_part(mnist_dir, tmp_path):
    run("p3_cnn_2_8_16.py", "--data-dir", mnist_dir, "--out-dir", tmp_path, "--device", "cpu",
        "--only", "sweep", "--sweep-epochs", 1, "--sweep-channels", "4/8", "--train-size", 1000)
    doc = load(tmp_path, "p3_cnn_2_8_16")
    assert "regularize_table" not in doc and len(doc["sweep_table"]) == 1


@pytest.mark.parametrize("args, phrase", [
    (["--sweep-channels", "8/0"], "channels must be two positive integers"),
    (["--sweep-channels", "8/x"], "channels must be two positive integers"),
    (["--channels", "8"], "channels must be two positive integers"),
    (["--l2=-1e-4"], "--l2 must be 0 or more"),
    (["--only", "everything"], "invalid choice: 'everything'"),
])
def test_bad_input(mnist_dir, tmp_path, args, phrase):
    proc = run("p3_cnn_2_8_16.py", "--data-dir", mnist_dir, "--out-dir", tmp_path, *args, check=False)
    assert_one_line_error(proc, phrase)
