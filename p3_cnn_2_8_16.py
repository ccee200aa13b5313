"""Problem 3, Questions 2 and 3: a smaller CNN that keeps the accuracy, and curing its overfitting.

Part "sweep": SimpleCNN at several (conv1/conv2) channel counts for SWEEP_EPOCHS each; size, cost
and accuracy per model, and a plot of test accuracy against parameter count.
Part "regularize": CNN_2_8_16 (8/16 channels) for EPOCHS: the baseline (it overfits), dropout
DROPOUT between the second max-pool and the linear layer, an L2 penalty (L2_LAMBDA times the sum
of squared parameters, added to the loss), and the smaller learning rate SMALL_LR with no
regularization, reported after each of SMALL_LR_EPOCHS (one run, read at those epochs: with the
same seed, stopping earlier gives exactly the same model). Writes OUT_DIR/p3_cnn_2_8_16.json
and the figures.
"""
import argparse
import statistics

import common

BATCH_SIZE = 128
LR = 0.01
SEED = 1
NORMALIZE = True              # Normalize(0.1307, 0.3081), as the course's SimpleCNN code does
SWEEP_CHANNELS = ["8/16", "8/32", "16/32", "32/64"]
SWEEP_EPOCHS = 10
CHANNELS = "8/16"             # CNN_2_8_16
EPOCHS = 25
DROPOUT = 0.2
L2_LAMBDA = 1e-4
SMALL_LR = 0.005
SMALL_LR_EPOCHS = [10, 20]

SWEEP_COLUMNS = [("channels", "Channels", ""), ("params", "# parameters", "d"), ("macs", "MACs", "d"),
                 ("model_size_mb", "Model size [MB]", ".2f"), ("train_acc", "Train acc [%]", ".2f"),
                 ("test_acc", "Test acc [%]", ".2f"), ("epoch_time_s", "Epoch [s]", ".2f")]
REG_COLUMNS = [("experiment", "Experiment", ""), ("epochs", "Epochs", "d"),
               ("train_acc", "Train acc [%]", ".2f"), ("test_acc", "Test acc [%]", ".2f"),
               ("final_train_loss", "Final train loss", ".4f"),
               ("final_test_loss", "Final test loss", ".4f"), ("epoch_time_s", "Epoch [s]", ".2f")]


def channels(text: str) -> tuple[int, int]:
    """"C1/C2" -> (C1, C2), both positive integers."""
    try:
        c1, c2 = (int(part) for part in text.split("/"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"channels must be two positive integers as C1/C2, got {text!r}")
    if c1 < 1 or c2 < 1:
        raise argparse.ArgumentTypeError(f"channels must be two positive integers as C1/C2, got {text!r}")
    return c1, c2


def check(args):
    if args.l2 < 0:
        raise common.SuiteError(f"--l2 must be 0 or more, got {args.l2}")
    common.check_dropout(args.dropout, "--dropout")
    if args.sweep_epochs < 1 or not args.small_lr_epochs or min(args.small_lr_epochs) < 1:
        raise common.SuiteError("--sweep-epochs and --small-lr-epochs must be at least 1")
    if not (args.small_lr > 0):
        raise common.SuiteError(f"--small-lr must be a positive number, got {args.small_lr}")


def final(h, epochs):
    e = h[epochs - 1]
    return {"epochs": epochs, "train_acc": e["train_acc"], "test_acc": e["test_acc"],
            "final_train_loss": e["train_loss"], "final_test_loss": e["test_loss"],
            "epoch_time_s": statistics.median(x["time_s"] for x in h[:epochs])}


def main(argv=None):
    parser = common.make_parser(__doc__, epochs=EPOCHS, batch_size=BATCH_SIZE, lr=LR, seed=SEED,
                                normalize=NORMALIZE, quick={"sweep_epochs": 1, "small_lr_epochs": [1, 2]})
    parser.add_argument("--only", choices=["sweep", "regularize"], help="run one part only")
    parser.add_argument("--sweep-channels", type=channels, nargs="+", metavar="C1/C2",
                        default=[channels(c) for c in SWEEP_CHANNELS])
    parser.add_argument("--sweep-epochs", type=int, default=SWEEP_EPOCHS)
    parser.add_argument("--channels", type=channels, default=CHANNELS, metavar="C1/C2",
                        help="the small CNN of the regularization part")
    parser.add_argument("--dropout", type=float, default=DROPOUT)
    parser.add_argument("--l2", type=float, default=L2_LAMBDA, help="L2 lambda")
    parser.add_argument("--small-lr", type=float, default=SMALL_LR)
    parser.add_argument("--small-lr-epochs", type=int, nargs="+", default=SMALL_LR_EPOCHS)
    parser.add_argument("--compile", action="store_true", help="torch.compile the model (experimental)")
    args, device, data = common.prepare(parser, argv, check=check)
    seeds = common.seeds_of(args)
    results = {"histories": {}, "plots": []}

    def train(part, name, seed, epochs, lr=args.lr, l2=0.0, c=args.channels, dropout=0.0):
        model = common.make_model(common.SimpleCNN, seed, device, c1=c[0], c2=c[1], dropout=dropout)
        if args.compile:
            model = common.torch.compile(model)
        res = common.train(model, data, epochs=epochs, batch_size=args.batch_size, lr=lr, seed=seed,
                           l2=l2, label=f"{name} seed {seed}")
        results["histories"].setdefault(str(seed), {}).setdefault(part, {})[name] = res["history"]
        return res["history"]

    def plot(history, name):
        stem = "p3_cnn_" + name.replace(", ", "_").replace(" ", "_")
        c1, c2 = args.channels
        results["plots"] += [p.name for p in common.plot_history(history, args.out_dir, stem,
                                                                 f"CNN {c1}/{c2}, {name}")]

    def save(table_key, rows_per_seed, columns, title):
        results[table_key] = common.mean_rows(rows_per_seed, seeds)
        if len(seeds) > 1:
            results[f"{table_key}_per_seed"] = rows_per_seed
        common.print_table(results[table_key], columns, title)
        common.write_results(args.out_dir, "p3_cnn_2_8_16", args, device,
                             results.get("regularize_table", results.get("sweep_table")), **results)

    if args.only in (None, "sweep"):
        profiles = {c: common.profile_model(common.SimpleCNN(*c)) for c in args.sweep_channels}
        per_seed = []
        for seed in seeds:
            rows = []
            for c in profiles:
                name = f"{c[0]}/{c[1]}"
                h = train("sweep", name, seed, args.sweep_epochs, c=c)
                p = profiles[c]
                rows.append({"channels": name, "params": p["params"], "macs": p["macs"],
                             "model_size_mb": p["model_size_mb"], **final(h, args.sweep_epochs)})
            per_seed.append(rows)
        save("sweep_table", per_seed, SWEEP_COLUMNS,
             f"Channel sweep, {args.sweep_epochs} epochs, seeds {seeds}")
        results["plots"].append(plot_sweep(results["sweep_table"], args.out_dir).name)

    if args.only in (None, "regularize"):
        experiments = [("baseline", {}), (f"dropout {args.dropout:g}", {"dropout": args.dropout}),
                       (f"L2 {args.l2:g}", {"l2": args.l2})]
        small_lr, small_epochs = f"lr {args.small_lr:g}", sorted(set(args.small_lr_epochs))
        per_seed = []
        for seed in seeds:
            rows = []
            for name, kw in experiments:
                h = train("regularize", name, seed, args.epochs, **kw)
                rows.append({"experiment": name, **final(h, args.epochs)})
                if seed == seeds[0]:
                    plot(h, name)
            h = train("regularize", small_lr, seed, small_epochs[-1], lr=args.small_lr)
            for e in small_epochs:
                rows.append({"experiment": f"{small_lr}, {e} epochs", **final(h, e)})
                if seed == seeds[0]:
                    plot(h[:e], f"{small_lr}, {e} epochs")
            per_seed.append(rows)
        c1, c2 = args.channels
        save("regularize_table", per_seed, REG_COLUMNS,
             f"CNN {c1}/{c2}: overfitting and its cures, seeds {seeds}")
    print("wrote", common.Path(args.out_dir) / "p3_cnn_2_8_16.json")


def plot_sweep(rows, out_dir):
    plt = common.pyplot()
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.errorbar([r["params"] for r in rows], [r["test_acc"] for r in rows],
                yerr=[r.get("test_acc_std") or 0 for r in rows], fmt="o", color="tab:blue", capsize=3)
    for r in rows:
        ax.annotate(r["channels"], (r["params"], r["test_acc"]), textcoords="offset points", xytext=(5, 5))
    ax.set(xscale="log", xlabel="parameters (log scale)", ylabel="test accuracy [%]",
           title="Channel sweep: size against accuracy")
    ax.grid(alpha=0.3, which="both")
    return common.save_figure(fig, common.Path(out_dir) / "p3_cnn_sweep.png")


if __name__ == "__main__":
    common.run_main(main)
