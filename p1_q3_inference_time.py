"""Problem 1, Question 3 (inference): logistic regression's inference time over the whole test set.

As the report did, images go through the model one at a time (batch size 1): total time and time
per image. Batched throughput (images/s at THROUGHPUT_BATCH) is reported too: latency and
throughput answer different questions. The images are already on the device, so the times are
the model's alone. Reuses the model p1_q3_training_time.py saved when its settings match;
trains one otherwise. Writes OUT_DIR/p1_q3_inference_time.json.
"""
from pathlib import Path

import common

EPOCHS = 25
BATCH_SIZE = 128
LR = 0.01
SEED = 1
NORMALIZE = False
THROUGHPUT_BATCH = 1000  # images per forward pass for the throughput figure
THROUGHPUT_REPEATS = 5   # passes over the test set; the median is reported

COLUMNS = [("test_acc", "Testing accuracy [%]", ".2f"),
           ("inference_time_s", "Total time for inference [s]", ".6f"),
           ("per_image_ms", "Average time for inference per image [ms]", ".6f"),
           ("throughput_images_per_s", f"Throughput at batch {THROUGHPUT_BATCH} [images/s]", ",.0f")]


def main(argv=None):
    parser = common.make_parser(__doc__, epochs=EPOCHS, batch_size=BATCH_SIZE, lr=LR, seed=SEED,
                                normalize=NORMALIZE)
    args, device, data = common.prepare(parser, argv)
    images, labels = data.x["test"], data.y["test"]
    n, saved = len(images), Path(args.out_dir) / "p1_q3_training_time.pt"
    rows, histories, spreads = [], {}, {}
    for seed in common.seeds_of(args):
        model = common.make_model(common.LogisticRegression, seed, device)
        entry, why = common.load_checkpoint(saved, common.training_key(args, data, "LogisticRegression", seed))
        if entry:
            print(f"seed {seed}: using the model p1_q3_training_time.py saved ({why})")
            model.load_state_dict(entry["state_dict"])
            train_acc = entry["train_acc"]
        else:
            print(f"seed {seed}: training a model first ({why})")
            res = common.train(model, data, epochs=args.epochs, batch_size=args.batch_size,
                               lr=args.lr, seed=seed)
            histories[str(seed)] = res["history"]
            train_acc = res["history"][-1]["train_acc"]
        preds, (latency_s,) = common.time_inference(model, images, batch_size=1)
        _, passes = common.time_inference(model, images, THROUGHPUT_BATCH, repeats=THROUGHPUT_REPEATS)
        spreads[str(seed)] = common.median_spread(passes)
        rows.append({"train_acc": train_acc, "test_acc": 100.0 * (preds == labels).sum().item() / n,
                     "images": n, "inference_time_s": latency_s, "per_image_ms": 1000.0 * latency_s / n,
                     "throughput_batch_size": THROUGHPUT_BATCH,
                     "throughput_images_per_s": n / spreads[str(seed)]["median"]})
    seeds = common.seeds_of(args)
    table = common.mean_rows([[r] for r in rows], seeds)
    common.print_table(table, COLUMNS, f"Inference on {device}, {n} test images, batch size 1, seeds {seeds}")
    path = common.write_results(args.out_dir, "p1_q3_inference_time", args, device, table,
                                per_seed_rows=rows if len(seeds) > 1 else None,
                                histories=histories or None, from_checkpoint=not histories,
                                throughput_pass_s=spreads)
    print("wrote", path)


if __name__ == "__main__":
    common.run_main(main)
