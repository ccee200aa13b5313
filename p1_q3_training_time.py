"""Problem 1, Question 3 (training): accuracy, synchronized training time and memory of logistic regression.

Writes OUT_DIR/p1_q3_training_time.json and the trained model to OUT_DIR/p1_q3_training_time.pt,
which p1_q3_inference_time.py reuses when its settings match.
"""
from pathlib import Path

import common

EPOCHS = 25
BATCH_SIZE = 128
LR = 0.01
SEED = 1
NORMALIZE = False

COLUMNS = [("train_acc", "Training accuracy [%]", ".2f"), ("test_acc", "Testing accuracy [%]", ".2f"),
           ("train_time_s", "Total time for training [s]", ".2f"),
           ("gpu_memory_mb", "GPU memory during training [MB]", ".0f"),
           ("peak_allocated_mb", "Peak allocated [MB]", ".1f"),
           ("peak_reserved_mb", "Peak reserved [MB]", ".1f"),
           ("cpu_peak_rss_mb", "Process peak RSS [MB]", ".0f")]


def main(argv=None):
    parser = common.make_parser(__doc__, epochs=EPOCHS, batch_size=BATCH_SIZE, lr=LR, seed=SEED,
                                normalize=NORMALIZE)
    args, device, data = common.prepare(parser, argv)
    rows, entries, histories = [], [], {}
    for seed, model, res in common.train_each_seed(args, data, common.LogisticRegression):
        last = res["history"][-1]
        rows.append({"train_acc": last["train_acc"], "test_acc": last["test_acc"],
                     "train_time_s": res["train_time_s"], **res["memory"]})
        entries.append({"key": common.training_key(args, data, "LogisticRegression", seed),
                        "state_dict": model.state_dict(), "train_acc": last["train_acc"]})
        histories[str(seed)] = res["history"]
    seeds = common.seeds_of(args)
    table = common.mean_rows([[r] for r in rows], seeds)
    common.print_table(table, COLUMNS, f"Training on {device} ({args.epochs} epochs), seeds {seeds}")
    print("GPU memory = device memory in use as nvidia-smi shows it; peak allocated/reserved = "
          "PyTorch's tensors / caching allocator; peak RSS = this process's host memory.")
    ckpt = Path(args.out_dir) / "p1_q3_training_time.pt"
    common.save_checkpoint(ckpt, entries)
    path = common.write_results(args.out_dir, "p1_q3_training_time", args, device, table,
                                per_seed_rows=rows if len(seeds) > 1 else None,
                                histories=histories)
    print("wrote", path, ckpt)


if __name__ == "__main__":
    common.run_main(main)
