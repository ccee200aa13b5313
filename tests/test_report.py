"""REPORT.md is built from JSON files alone, beside the published numbers; the benchmark and the
whole quick pipeline run end to end."""
import json
import subprocess
import sys

import pytest

import build_report
from conftest import REPO, assert_one_line_error, assert_png, load, run

ENV = {"torch": "2.x", "torchvision": "0.x", "python": "3.11", "device": "cpu",
       "device_name": "Test CPU", "cpu_count": 2, "platform": "test"}


def doc(script, table, quick=False, seeds=None, **extra):
    config = {"epochs": 25, "batch_size": 128, "lr": 0.01, "seed": 1, "seeds": seeds, "quick": quick}
    return {"script": script, "config": config, "env": ENV, "table": table, "wall_time_s": 1.0, **extra}


def write(out, d):
    (out / f"{d['script']}.json").write_text(json.dumps(d))


def fixtures(out, quick=False):
    write(out, doc("p1_q3_training_time", [{"train_acc": 92.5, "test_acc": 92.4, "train_time_s": 2.5,
                                            "gpu_memory_mb": None, "peak_allocated_mb": None,
                                            "peak_reserved_mb": None, "cpu_peak_rss_mb": 700.0}], quick))
    write(out, doc("p1_q3_inference_time", [{"train_acc": 92.5, "test_acc": 92.4, "images": 10000,
                                             "inference_time_s": 0.5, "per_image_ms": 0.05,
                                             "throughput_batch_size": 1000,
                                             "throughput_images_per_s": 1e6}], quick))
    write(out, doc("p2_dropout", [
        {"dropout": 0.0, "test_loss": 0.08, "test_acc": 97.9, "analysis": "overfitting from epoch 6"},
        {"dropout": 0.5, "test_loss": 0.069, "test_loss_std": 0.001, "test_acc": 98.2, "test_acc_std": 0.05,
         "analysis": "good fit; best result (lowest test loss)"}], quick, seeds=[1, 2, 3],
        plots=["p2_dropout_0.0_loss.png", "p2_dropout_test_loss.png"]))
    write(out, doc("p3_profile", [{"model": "SimpleCNN", "macs": 3907456, "flops": 7814912, "params": 50186,
                                   "model_size_mb": 0.55, "saved_size_kb": 200.9, "macs_thop": 3869824,
                                   "flops_torch": 7739648, "bias_adds": 37632, "state_dict_kb": 199.4}], quick))
    (out / "p2_dropout_0.0_loss.png").write_bytes(b"png")  # the other figure is left missing


def test_report_from_fixtures(tmp_path):
    fixtures(tmp_path)
    text = build_report.build(tmp_path).read_text()
    assert "QUICK RUN" not in text
    assert "92.50 (report 92.60, Δ -0.10)" in text            # P1 Q3, published beside measured
    assert "0.500000 (report 1.069210, Δ -0.569210)" in text
    assert "n/a (report: 689)" in text                        # CPU run: no GPU memory figure
    assert "0.0690 ± 0.0010 (report 0.0682, Δ +0.0008)" in text  # mean ± std over seeds
    assert 'overfitting from epoch 6 (report: Overfitting)' in text
    assert "3907456 (report 3907456, Δ +0)" in text
    assert "200.9 (report 200.0, Δ +0.9)" in text
    assert "Seeds: [1, 2, 3]." in text and "Test CPU" in text
    assert "![p2_dropout_0.0_loss.png](p2_dropout_0.0_loss.png)" in text
    assert "*(figure p2_dropout_test_loss.png missing)*" in text
    for script in ("p1_q1", "p1_q2_plots", "p2_normalization", "p3_cnn_2_8_16", "benchmark"):
        assert f"`python {script}.py` writes `{script}.json`" in text
    for heading in ("Problem 1, Question 1", "Problem 1, Question 2", "Problem 1, Question 3",
                    "Problem 2, Question 1", "Problem 2, Question 2", "Problem 2, Question 3",
                    "Problem 3, Question 1", "Problem 3, Questions 2 and 3", "Where the time goes"):
        assert f"## {heading}" in text


def test_quick_results_say_so(tmp_path):
    fixtures(tmp_path, quick=True)
    text = build_report.build(tmp_path).read_text()
    assert text.index("QUICK RUN") < text.index("## Problem 1")
    assert "not comparable" in text


def test_report_without_results_is_a_clear_error(tmp_path):
    proc = run("build_report.py", "--out-dir", tmp_path / "nothing", check=False)
    assert_one_line_error(proc, "run the scripts (make report) first")


def test_published_numbers_are_the_reports():
    pub = json.loads((REPO / "published.json").read_text())
    report = (REPO.parent / "shared" / "seed" / "hw1-report.txt")
    if not report.is_file():
        pytest.skip("the report is not beside the project")
    text = report.read_text()
    for needle in ("92.60", "166.39", "1.069210", "0.106921", "689", "0.0776", "97.98", "0.1384",
                   "244.93", "359.38", "3907456", "7814912", "299488", "598976", "98.95", "99.48"):
        assert needle in text
    assert pub["p1_q3"][""]["inference_time_s"] == 1.069210
    assert pub["p2_normalization"]["0.5+norm"]["total_time_s"] == 359.38


def test_benchmark_end_to_end(mnist_dir, tmp_path):
    proc = run("benchmark.py", "--data-dir", mnist_dir, "--out-dir", tmp_path, "--device", "cpu",
               "--models", "LogisticRegression", "--epochs", 2, "--rounds", 1, "--train-size", 4000)
    d = load(tmp_path, "benchmark")
    (row,) = d["table"]
    assert row["accuracy_agrees"] and row["tensor_test_acc"] == row["dataloader_test_acc"]
    assert row["speedup"] == pytest.approx(row["dataloader_epoch_s"] / row["tensor_epoch_s"])
    assert row["speedup"] > 2  # per-sample ToTensor costs far more than logistic regression
    assert len(row["epoch_times_s"]["tensor"]) == 2
    assert_png(tmp_path / "benchmark.png")
    assert "Speed-up" in proc.stdout


def test_several_seeds_give_mean_and_std(mnist_dir, tmp_path):
    proc = run("p1_q1.py", "--data-dir", mnist_dir, "--out-dir", tmp_path, "--device", "cpu",
               "--epochs", 1, "--seeds", 1, 2, "--train-size", 2000)
    d = load(tmp_path, "p1_q1")
    (row,) = d["table"]
    accs = [d["histories"][s][0]["test_acc"] for s in ("1", "2")]
    assert row["seeds"] == [1, 2] and row["test_acc"] == pytest.approx(sum(accs) / 2)
    if accs[0] != accs[1]:
        assert row["test_acc_std"] == pytest.approx(abs(accs[0] - accs[1]) / 2 ** 0.5)
    else:  # easy synthetic digits: both seeds may score the same; only varying numbers get a std
        assert "test_acc_std" not in row
    assert row["time_s_std"] >= 0
    assert " ± " in proc.stdout


def test_make_report_quick(mnist_dir, tmp_path):
    """The whole pipeline as a user runs it: every script in quick mode, then REPORT.md."""
    out = tmp_path / "out"
    proc = subprocess.run(["make", "report", "QUICK=1", f"DATA_DIR={mnist_dir}", f"OUT_DIR={out}",
                           "DEVICE=cpu", f"PY={sys.executable}"], cwd=REPO, capture_output=True,
                          text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    text = (out / "REPORT.md").read_text()
    assert "QUICK RUN" in text and "Not run yet" not in text and "missing)" not in text
    for name in ("p1_q1", "p1_q2_plots", "p1_q3_training_time", "p1_q3_inference_time", "p2_dropout",
                 "p2_normalization", "p3_profile", "p3_cnn_2_8_16", "benchmark"):
        assert load(out, name)["config"]["quick"] is True
    assert load(out, "p1_q1")["config"]["train_size"] == 2000
