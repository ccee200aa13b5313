"""Assemble OUT_DIR/REPORT.md from the scripts' JSON files alone (no training).

Each report question gets a section: its table with the measured values beside the numbers the
report published (published.json) and the difference, its figures, and the settings it ran with.
A value the report did not publish says so; a script that has not run says how to run it.
"""
import datetime
import json
from pathlib import Path

import benchmark
import common
import p1_q3_inference_time
import p1_q3_training_time
import p2_dropout
import p2_normalization
import p3_cnn_2_8_16
import p3_profile

PUBLISHED = Path(__file__).with_name("published.json")


def pick(columns, *keys):
    """The scripts' own column specs, so a header or format is defined in one place."""
    by_key = {c[0]: c for c in columns}
    return [by_key[k] for k in keys]


def load_docs(out_dir: Path) -> dict:
    docs = {}
    for path in sorted(out_dir.glob("*.json")):
        try:
            doc = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError) as e:
            raise common.SuiteError(f"{path} is not readable JSON ({e})") from None
        if isinstance(doc, dict) and "script" in doc:
            docs[doc["script"]] = doc
    return docs


def number(x, fmt: str) -> str:
    """format(x, fmt), except that a mean of whole numbers keeps one decimal."""
    return format(x, ".1f" if isinstance(x, float) and fmt.endswith("d") else fmt)


def cell(row: dict, key: str, fmt: str, published: dict | None) -> str:
    """'measured (report P, Δ D)'; 'mean ± std' where several seeds ran; 'n/a' when unmeasured."""
    v, pub = row.get(key), (published or {}).get(key)
    if v is None:
        text = "n/a"
    elif isinstance(v, str) or not fmt:
        text = str(v)
    else:
        text = number(v, fmt)
        if row.get(f"{key}_std") is not None:
            text += f" ± {number(row[f'{key}_std'], fmt)}"
    if published is None:
        return text
    if pub is None:
        return f"{text} (not published)"
    if isinstance(pub, str) or isinstance(v, str) or v is None:
        return f"{text} (report: {pub})"
    return f"{text} (report {number(pub, fmt)}, Δ {number(v - pub, '+' + fmt)})"


def table_md(rows, columns, published=None, row_id=None) -> list[str]:
    """A markdown table; with `published` (a dict keyed by row_id(row)) each cell compares."""
    lines = ["| " + " | ".join(h for _, h, _ in columns) + " |",
             "|" + "---|" * len(columns)]
    for r in rows:
        pub = None if published is None else published.get(row_id(r), {})
        first_key = columns[0][0]
        cells = [cell(r, k, fmt, None if k == first_key else pub) for k, _, fmt in columns]
        lines.append("| " + " | ".join(cells) + " |")
    return lines + [""]


def ran_md(doc: dict) -> str:
    c, env = doc["config"], doc["env"]
    seeds = c.get("seeds") or [c.get("seed")]
    bits = [f"{k.replace('_', ' ')} {c[k]}" for k in ("epochs", "batch_size", "lr") if c.get(k) is not None]
    if c.get("normalize"):
        bits.append("normalized inputs")
    return (f"*Ran with {', '.join(bits) or 'no training'}; seeds {seeds}; on {env['device']} "
            f"({env['device_name']}); whole script {doc.get('wall_time_s', 0):.1f} s.*")


def images_md(names, out_dir: Path) -> list[str]:
    return [f"![{n}]({n})" if (out_dir / n).is_file() else f"*(figure {n} missing)*" for n in names] + [""]


def missing(script: str) -> list[str]:
    return [f"*Not run yet: `python {script}.py` writes `{script}.json`.*", ""]


def p1(docs, pub, out):
    md = ["## Problem 1, Question 1: logistic regression with data on the device", ""]
    if "p1_q1" in docs:
        d = docs["p1_q1"]
        md += ["Final epoch (the report published no numbers for this question):", ""]
        md += table_md(d["table"][-1:], common.EPOCH_COLUMNS)
        md += [ran_md(d), ""]
    else:
        md += missing("p1_q1")
    md += ["## Problem 1, Question 2: loss and accuracy curves", ""]
    if "p1_q2_plots" in docs:
        md += ["Training in green, test in blue.", ""] + images_md(docs["p1_q2_plots"]["plots"], out)
        md += [ran_md(docs["p1_q2_plots"]), ""]
    else:
        md += missing("p1_q2_plots")
    md += ["## Problem 1, Question 3: training and inference time, memory", ""]
    row = {}
    for name in ("p1_q3_training_time", "p1_q3_inference_time"):
        if name in docs:
            row = {**docs[name]["table"][0], **row}
        else:
            md += missing(name)
    if row:
        train_cols, infer_cols = p1_q3_training_time.COLUMNS, p1_q3_inference_time.COLUMNS
        cols = (pick(train_cols, "train_acc", "test_acc", "train_time_s")
                + pick(infer_cols, "inference_time_s", "per_image_ms") + pick(train_cols, "gpu_memory_mb"))
        device = (docs.get("p1_q3_training_time") or docs["p1_q3_inference_time"])["env"]["device"]
        md += table_md([{"run": device, **row}], [("run", "Device", "")] + cols, pub["p1_q3"], lambda r: "")
        extra = (pick(train_cols, "peak_allocated_mb", "peak_reserved_mb", "cpu_peak_rss_mb")
                 + pick(infer_cols, "throughput_images_per_s"))
        md += ["Not in the report: memory by kind and batched throughput (GPU memory is the device "
               "memory in use as nvidia-smi shows it; n/a on a CPU run).", ""]
        md += table_md([row], extra)
        md += [ran_md(docs.get("p1_q3_training_time") or docs["p1_q3_inference_time"]), ""]
    return md


def p2(docs, pub, out):
    md = ["## Problem 2, Question 1: overfitting without dropout", ""]
    d = docs.get("p2_dropout")
    if d:
        md += images_md([n for n in d.get("plots", []) if n.startswith("p2_dropout_0.0_")], out)
    else:
        md += missing("p2_dropout")
    md += ["## Problem 2, Question 2: dropout sweep", ""]
    if d:
        cols = pick(p2_dropout.COLUMNS, "dropout", "test_loss", "test_acc", "analysis")
        md += table_md(d["table"], cols, pub["p2_dropout"], lambda r: str(r["dropout"]))
        md += ["The analysis is computed by the rule in `p2_dropout.analyse()` (see README).", ""]
        md += images_md([n for n in d.get("plots", []) if n == "p2_dropout_test_loss.png"], out)
        md += [ran_md(d), ""]
    md += ["## Problem 2, Question 3: input normalization", ""]
    d = docs.get("p2_normalization")
    if d:
        cols = p2_normalization.COLUMNS
        md += table_md(d["table"], cols, pub["p2_normalization"], lambda r: r["dropout"])
        t = d["epoch_time_s"]
        md += ["Time per epoch, both variants alternating in one process: " + "; ".join(
            f"{k}: median {v['median']:.4f} s (min {v['min']:.4f}, max {v['max']:.4f}, {v['n']} epochs)"
            for k, v in t.items()) + f". Ratio normalized / plain = {d['epoch_time_ratio']:.3f}; "
            f"per alternating pair of runs: {', '.join(f'{r:.3f}' for r in d['pair_time_ratios'])}: "
            f"{d['timing_verdict']}.", ""]
        md += images_md(d.get("plots", []), out) + [ran_md(d), ""]
    else:
        md += missing("p2_normalization")
    return md


def p3(docs, pub, out):
    md = ["## Problem 3, Question 1: model profile", ""]
    d = docs.get("p3_profile")
    if d:
        cols = p3_profile.COLUMNS
        md += table_md(d["table"], cols, pub["p3_profile"], lambda r: r["model"])
        md += ["MACs and FLOPs in the report's convention (bias additions of the convolutions counted, "
               "FLOPs = 2 x MACs). Today's thop and PyTorch's FlopCounterMode leave the bias out:", ""]
        md += table_md(d["table"], p3_profile.RECONCILE)
    else:
        md += missing("p3_profile")
    md += ["## Problem 3, Questions 2 and 3: a smaller CNN, and its overfitting", ""]
    d = docs.get("p3_cnn_2_8_16")
    if not d:
        return md + missing("p3_cnn_2_8_16")
    if "sweep_table" in d:
        cols = [c for c in p3_cnn_2_8_16.SWEEP_COLUMNS if c[0] != "epoch_time_s"]
        md += table_md(d["sweep_table"], cols, pub["p3_sweep"], lambda r: r["channels"])
        md += images_md(["p3_cnn_sweep.png"], out)
    if "regularize_table" in d:
        cols = [c for c in p3_cnn_2_8_16.REG_COLUMNS if c[0] != "epoch_time_s"]
        md += table_md(d["regularize_table"], cols, pub["p3_regularize"], lambda r: r["experiment"])
        md += images_md([n for n in d.get("plots", []) if n != "p3_cnn_sweep.png"], out)
    return md + [ran_md(d), ""]


def bench(docs, pub, out):
    md = ["## Where the time goes: device-resident tensors against the DataLoader pipeline", ""]
    d = docs.get("benchmark")
    if not d:
        return md + missing("benchmark")
    md += table_md(d["table"], benchmark.COLUMNS)
    md += images_md(d.get("plots", []), out) + [ran_md(d), ""]
    return md


def build(out_dir: Path) -> Path:
    pub = json.loads(PUBLISHED.read_text())
    docs = load_docs(out_dir)
    if not docs:
        raise common.SuiteError(f"no results in {out_dir}: run the scripts (make report) first")
    quick = any(doc["config"].get("quick") for doc in docs.values())
    machines = sorted({f"{d['env']['device']} ({d['env']['device_name']}), torch {d['env']['torch']}, "
                       f"torchvision {d['env']['torchvision']}, Python {d['env']['python']}" for d in docs.values()})
    seeds = sorted({s for d in docs.values() for s in (d["config"].get("seeds") or [d["config"].get("seed")])
                    if s is not None})
    md = ["# MNIST homework report, reproduced", ""]
    if quick:
        md += ["> **QUICK RUN**: a smoke test with few epochs on small subsets. Its numbers are "
               "**not comparable** to the report's; run `make report` without QUICK for those.", ""]
    md += [f"Generated {datetime.datetime.now().isoformat(timespec='seconds')} from the JSON files in "
           f"this folder; published numbers from {pub['source']}.", "",
           "Machine(s): " + "; ".join(machines) + ".", "", f"Seeds: {seeds}.", "",
           "Each cell: measured (report's value, Δ = measured - report); mean ± std where several "
           "seeds ran.", ""]
    for part in (p1, p2, p3, bench):
        md += part(docs, pub, out_dir)
    path = out_dir / "REPORT.md"
    common.write_atomic(path, "\n".join(md).encode())
    return path


def main(argv=None):
    parser = common.OneLineParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", default="results", help="the folder the scripts wrote to")
    args = parser.parse_args(argv)
    if not Path(args.out_dir).is_dir():
        raise common.SuiteError(f"{args.out_dir} is not a folder: run the scripts (make report) first")
    print("wrote", build(Path(args.out_dir)))


if __name__ == "__main__":
    common.run_main(main)
