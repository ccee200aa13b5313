"""Where the time goes: the suite's device-resident pipeline against the course code's DataLoader.

For each model, the same seed and epochs are trained through (a) `tensor`: both splits resident on
the device as whole tensors, batches by index, and (b) `dataloader`: torchvision's MNIST dataset
with per-sample ToTensor through a DataLoader (num_workers=0, its default), each batch then moved
to the device, as in the course code. Runs alternate A B A B in one process; the median epoch time
of each, their ratio, and the final test accuracies (which must agree: same seed, same shuffle
order, same arithmetic) are reported. An epoch is also split into data time (fetching the
epoch's batches with no model) and compute (the rest). Writes OUT_DIR/benchmark.json and
OUT_DIR/benchmark.png.
"""
import itertools
import statistics

import common

MODELS = ["LogisticRegression", "SimpleFC", "SimpleCNN"]
EPOCHS = 2      # per run
ROUNDS = 2      # A B rounds per model
BATCH_SIZE = 128
LR = 0.01
SEED = 1
NORMALIZE = False
ACC_TOLERANCE = 1.0  # percentage points the two pipelines' accuracies may differ by

COLUMNS = [("model", "Model", ""), ("tensor_epoch_s", "Tensor epoch [s]", ".3f"),
           ("dataloader_epoch_s", "DataLoader epoch [s]", ".3f"), ("speedup", "Speed-up", ".1f"),
           ("tensor_data_s", "Tensor data [s]", ".3f"), ("dataloader_data_s", "DataLoader data [s]", ".3f"),
           ("tensor_test_acc", "Tensor test acc [%]", ".2f"),
           ("dataloader_test_acc", "DataLoader test acc [%]", ".2f")]


def data_pass_seconds(data, batch_size, seed):
    """Time to hand out one epoch of shuffled training batches, with no model at all."""
    gen = common.torch.Generator().manual_seed(seed)
    with common.Timer(data.device) as t:
        for _ in data.batches("train", batch_size, shuffle=True, generator=gen):
            pass
    return t.seconds


def main(argv=None):
    parser = common.make_parser(__doc__, epochs=EPOCHS, batch_size=BATCH_SIZE, lr=LR, seed=SEED,
                                normalize=NORMALIZE, quick={"epochs": 1, "rounds": 1})
    parser.add_argument("--models", nargs="+", default=MODELS, choices=list(common.MODELS))
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    args, device, data = common.prepare(parser, argv)
    if args.rounds < 1:
        raise common.SuiteError(f"--rounds must be at least 1, got {args.rounds}")
    pipelines = {name: data.with_loader(name) for name in ("tensor", "dataloader")}
    rows = []
    for model_name in args.models:
        epoch_s = {name: [] for name in pipelines}
        data_s = {name: [] for name in pipelines}
        acc = {name: [] for name in pipelines}
        for r, seed in itertools.product(range(args.rounds), common.seeds_of(args)):
            for name, d in pipelines.items():  # A B A B: drift in the machine hits both alike
                model = common.make_model(common.MODELS[model_name], seed, device)
                res = common.train(model, d, epochs=args.epochs, batch_size=args.batch_size,
                                   lr=args.lr, seed=seed, verbose=False,
                                   label=f"{model_name}/{name}")
                epoch_s[name] += [h["time_s"] for h in res["history"]]
                acc[name].append(res["history"][-1]["test_acc"])
                data_s[name].append(data_pass_seconds(d, args.batch_size, seed))
                print(f"{model_name:<18} {name:<10} round {r + 1} seed {seed}: "
                      f"{statistics.median(epoch_s[name][-args.epochs:]):.3f} s/epoch, "
                      f"test acc {acc[name][-1]:.2f}%", flush=True)
        med = {name: statistics.median(v) for name, v in epoch_s.items()}
        row = {"model": model_name, "tensor_epoch_s": med["tensor"],
               "dataloader_epoch_s": med["dataloader"], "speedup": med["dataloader"] / med["tensor"],
               "tensor_data_s": statistics.median(data_s["tensor"]),
               "dataloader_data_s": statistics.median(data_s["dataloader"]),
               "tensor_test_acc": statistics.mean(acc["tensor"]),
               "dataloader_test_acc": statistics.mean(acc["dataloader"]),
               "epoch_times_s": epoch_s}
        for name in pipelines:
            row[f"{name}_compute_s"] = max(med[name] - row[f"{name}_data_s"], 0.0)
        row["accuracy_agrees"] = abs(row["tensor_test_acc"] - row["dataloader_test_acc"]) <= ACC_TOLERANCE
        rows.append(row)
        common.write_results(args.out_dir, "benchmark", args, device, rows, complete=False)

    common.print_table(rows, COLUMNS, f"Epoch time, median of {args.rounds} rounds x "
                                      f"{len(common.seeds_of(args))} seed(s) x {args.epochs} epochs "
                                      f"per pipeline, on {common.env_info(device)['device_name']}")
    plot = plot_bars(rows, args.out_dir)
    path = common.write_results(args.out_dir, "benchmark", args, device, rows, complete=True,
                                plots=[plot.name])
    print("wrote", path, plot)
    bad = [r["model"] for r in rows if not r["accuracy_agrees"]]
    if bad:
        raise common.SuiteError(f"the two pipelines disagree on test accuracy by more than "
                                f"{ACC_TOLERANCE} points for {', '.join(bad)}: a bug, not a result")


def plot_bars(rows, out_dir):
    plt = common.pyplot()
    fig, ax = plt.subplots(figsize=(7, 4))
    xs = range(len(rows))
    ax.bar([x - 0.2 for x in xs], [r["tensor_epoch_s"] for r in rows], 0.4, label="tensor (device-resident)")
    ax.bar([x + 0.2 for x in xs], [r["dataloader_epoch_s"] for r in rows], 0.4, label="DataLoader + ToTensor")
    for x, r in zip(xs, rows):
        ax.annotate(f"{r['speedup']:.1f}x", (x, max(r["tensor_epoch_s"], r["dataloader_epoch_s"])),
                    ha="center", va="bottom")
    ax.set_xticks(list(xs), [r["model"] for r in rows])
    ax.set(ylabel="seconds per epoch (median)", yscale="log", title="Time per training epoch")
    ax.legend()
    return common.save_figure(fig, common.Path(out_dir) / "benchmark.png")


if __name__ == "__main__":
    common.run_main(main)
