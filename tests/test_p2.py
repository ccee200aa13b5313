"""Problem 2: the dropout sweep and the normalization study end to end, and the fit rule itself."""
import pytest

from conftest import assert_one_line_error, assert_png, load, run
import p2_dropout
import p2_normalization


def flags(mnist_dir, out_dir, epochs=2):
    return ["--data-dir", mnist_dir, "--out-dir", out_dir, "--epochs", epochs, "--device", "cpu"]


def test_dropout_sweep_end_to_end(mnist_dir, tmp_path):
    proc = run("p2_dropout.py", *flags(mnist_dir, tmp_path), "--dropout", "0.0", "0.5")
    doc = load(tmp_path, "p2_dropout")
    assert doc["complete"] is True
    rows = doc["table"]
    assert [r["dropout"] for r in rows] == [0.0, 0.5]
    for r in rows:
        assert {"dropout", "test_loss", "test_acc", "train_loss", "train_acc", "best_epoch",
                "analysis"} <= set(r)
        assert r["best_epoch"] in (1, 2) and 0 <= r["test_acc"] <= 100
    assert sum("best result" in r["analysis"] for r in rows) == 1
    # the verdicts are exactly what the written rule says about the recorded histories
    hist = {float(k): v for k, v in doc["histories"]["1"].items()}
    verdicts = p2_dropout.analyse(hist)
    assert [r["analysis"] for r in rows] == [verdicts[0.0], verdicts[0.5]]
    for rate in ("0.0", "0.5"):
        for kind in ("loss", "accuracy"):
            assert_png(tmp_path / f"p2_dropout_{rate}_{kind}.png")
    assert_png(tmp_path / "p2_dropout_test_loss.png")
    assert doc["wall_time_s"] > 0
    assert "Test Accuracy [%]" in proc.stdout and "Analysis" in proc.stdout


def _history(train_losses, test_losses, test_acc):
    return [{"epoch": i + 1, "train_loss": tr, "test_loss": te, "train_acc": 90.0,
             "test_acc": test_acc, "time_s": 0.1}
            for i, (tr, te) in enumerate(zip(train_losses, test_losses))]


def test_fit_rule_on_hand_made_histories():
    overfit = _history([0.5, 0.3, 0.2, 0.1, 0.05], [0.30, 0.20, 0.25, 0.30, 0.35], 97.0)
    slight = _history([0.5, 0.3, 0.2, 0.15, 0.12], [0.30, 0.20, 0.19, 0.195, 0.198], 98.0)
    good = _history([0.5, 0.3, 0.2, 0.15, 0.12], [0.30, 0.20, 0.18, 0.17, 0.16], 98.2)
    under = _history([0.9, 0.7, 0.6, 0.55, 0.5], [0.50, 0.40, 0.35, 0.33, 0.32], 95.0)
    verdicts = p2_dropout.analyse({0.0: overfit, 0.2: slight, 0.5: good, 0.8: under})
    assert verdicts[0.0] == "overfitting from epoch 3"
    assert verdicts[0.2] == "slightly overfitting from epoch 4"
    assert verdicts[0.5] == "good fit; best result (lowest test loss)"
    assert verdicts[0.8] == "underfitting"
    # test loss under train loss alone is not underfitting when the accuracy is not the lowest
    assert p2_dropout.analyse({0.8: under, 0.9: _history([1.0] * 5, [0.9] * 5, 90.0)})[0.8] == \
        "good fit; best result (lowest test loss)"


def test_normalization_end_to_end(mnist_dir, tmp_path):
    proc = run("p2_normalization.py", *flags(mnist_dir, tmp_path), "--timing-repeats", "1",
               "--train-size", 4000)
    doc = load(tmp_path, "p2_normalization")
    rows = doc["table"]
    assert [r["dropout"] for r in rows] == ["0.5", "0.5+norm"]
    for r in rows:
        assert set(r) == {"dropout", "train_acc", "test_acc", "total_time_s", "first_epoch_96"}
        assert r["total_time_s"] > 0
        assert r["first_epoch_96"] is None or r["first_epoch_96"] in (1, 2)
    # normalized inputs learn faster at this learning rate: a real, not a timing, effect
    assert rows[1]["test_acc"] > rows[0]["test_acc"]
    t = doc["epoch_time_s"]
    assert t["0.5"]["n"] == t["0.5+norm"]["n"] == 2 + 1 * 2  # main run + one 2-epoch repeat
    assert t["0.5"]["min"] <= t["0.5"]["median"] <= t["0.5"]["max"]
    assert doc["epoch_time_ratio"] == pytest.approx(t["0.5+norm"]["median"] / t["0.5"]["median"])
    assert len(doc["pair_time_ratios"]) == 2 and doc["timing_verdict"] == p2_normalization.timing_verdict(
        doc["pair_time_ratios"])
    for name in ("plain_loss", "plain_accuracy", "norm_loss", "norm_accuracy", "test_accuracy"):
        assert_png(tmp_path / f"p2_normalization_{name}.png")
    assert "first epoch 96%" in proc.stdout and "median" in proc.stdout


def test_timing_verdict_needs_every_pair_to_agree():
    assert p2_normalization.timing_verdict([1.2, 1.1, 1.3]) == "normalized slower in all 3 alternating pairs"
    assert p2_normalization.timing_verdict([0.9, 0.8]) == "normalized faster in all 2 alternating pairs"
    assert "noise" in p2_normalization.timing_verdict([1.2, 0.9, 1.1])
    assert "too few" in p2_normalization.timing_verdict([1.5])


@pytest.mark.parametrize("script, args, phrase", [
    ("p2_dropout.py", ["--dropout", "1.0"], "dropout rates must be in [0, 1)"),
    ("p2_dropout.py", ["--dropout", "-0.2"], "dropout rates must be in [0, 1)"),
    ("p2_dropout.py", ["--dropout"], "expected at least one argument"),
    ("p2_normalization.py", ["--std", "0"], "non-zero std"),
    ("p2_normalization.py", ["--mean", "abc"], "invalid float value: 'abc'"),
    ("p2_normalization.py", ["--std", "nan"], "non-zero std"),
])
def test_bad_input(mnist_dir, tmp_path, script, args, phrase):
    proc = run(script, "--data-dir", mnist_dir, "--out-dir", tmp_path, *args, check=False)
    assert_one_line_error(proc, phrase)
