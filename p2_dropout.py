"""Problem 2, Questions 1 and 2: SimpleFC's overfitting and a dropout sweep.

For each dropout rate: train SimpleFC, plot its loss and accuracy (training green, test blue), and
judge the fit by the rule in `analyse()`. Q1's answer is the 0.0 run: no dropout, the overfitting
curve. Writes OUT_DIR/p2_dropout.json, per-rate plots and p2_dropout_test_loss.png (all rates' test
loss on one axis).
"""
import common

EPOCHS = 25
BATCH_SIZE = 128
LR = 0.01          # SGD, momentum 0.9 (common.MOMENTUM)
SEED = 1
NORMALIZE = False
DROPOUT_RATES = [0.0, 0.2, 0.5, 0.8]

# The fit rule (see analyse()): how far the final test loss may rise above its minimum.
OVERFIT_RISE = 0.10         # > 10 %: overfitting
SLIGHT_OVERFIT_RISE = 0.02  # > 2 %: slightly overfitting

COLUMNS = [("dropout", "Dropout", ".1f"), ("test_loss", "Test Loss", ".4f"),
           ("test_acc", "Test Accuracy [%]", ".2f"), ("train_loss", "Train Loss", ".4f"),
           ("train_acc", "Train Accuracy [%]", ".2f"), ("best_epoch", "Best epoch", "d"),
           ("analysis", "Analysis", "")]


def analyse(histories: dict) -> dict:
    """Judge each run's fit from its history alone; `histories` maps dropout rate -> history.

    - best epoch: the epoch of lowest test loss.
    - overfitting from epoch b+1: after the best epoch b the test loss ends more than
      OVERFIT_RISE above its minimum while the train loss keeps falling ("slightly overfitting"
      when the rise is above SLIGHT_OVERFIT_RISE only).
    - underfitting: otherwise, when the final test loss is below the final train loss (dropout is
      off at test time, so the network is held back in training) and the final test accuracy is
      below every other rate's.
    - good fit: neither.
    The rate with the lowest final test loss is also marked "best result (lowest test loss)".
    """
    final = {rate: h[-1] for rate, h in histories.items()}
    best_rate = min(final, key=lambda rate: final[rate]["test_loss"])
    verdicts = {}
    for rate, h in histories.items():
        best = min(h, key=lambda e: e["test_loss"])
        rise = (h[-1]["test_loss"] - best["test_loss"]) / best["test_loss"]
        train_falling = h[-1]["train_loss"] < best["train_loss"]
        others = [final[r]["test_acc"] for r in final if r != rate]
        if train_falling and rise > OVERFIT_RISE:
            verdict = f"overfitting from epoch {best['epoch'] + 1}"
        elif train_falling and rise > SLIGHT_OVERFIT_RISE:
            verdict = f"slightly overfitting from epoch {best['epoch'] + 1}"
        elif h[-1]["test_loss"] < h[-1]["train_loss"] and all(h[-1]["test_acc"] < a for a in others):
            verdict = "underfitting"
        else:
            verdict = "good fit"
        verdicts[rate] = verdict + ("; best result (lowest test loss)" if rate == best_rate else "")
    return verdicts


def table_rows(histories: dict) -> list[dict]:
    verdicts = analyse(histories)
    rows = []
    for rate, h in histories.items():
        best = min(h, key=lambda e: e["test_loss"])
        rows.append({"dropout": rate, "test_loss": h[-1]["test_loss"], "test_acc": h[-1]["test_acc"],
                     "train_loss": h[-1]["train_loss"], "train_acc": h[-1]["train_acc"],
                     "best_epoch": best["epoch"], "analysis": verdicts[rate],
                     "train_time_s": sum(e["time_s"] for e in h)})
    return rows


def check_rates(args):
    for p in args.dropout:
        common.check_dropout(p, "dropout rates")


def main(argv=None):
    parser = common.make_parser(__doc__, epochs=EPOCHS, batch_size=BATCH_SIZE, lr=LR, seed=SEED,
                                normalize=NORMALIZE)
    parser.add_argument("--dropout", type=float, nargs="+", default=DROPOUT_RATES, metavar="P",
                        help="dropout rates to sweep, each in [0, 1)")
    parser.add_argument("--no-plots", action="store_true", help="skip the figures")
    args, device, data = common.prepare(parser, argv, check=check_rates)
    seeds = common.seeds_of(args)
    tables, histories_by_seed, plots = [], {}, []
    for seed in seeds:
        histories = histories_by_seed.setdefault(seed, {})  # JSON turns the keys into strings
        for rate in dict.fromkeys(args.dropout):
            model = common.make_model(common.SimpleFC, seed, device, dropout=rate)
            res = common.train(model, data, epochs=args.epochs, batch_size=args.batch_size,
                               lr=args.lr, seed=seed, label=f"dropout {rate} seed {seed}")
            histories[rate] = res["history"]
            if seed == seeds[0] and not args.no_plots:
                plots += common.plot_history(res["history"], args.out_dir, f"p2_dropout_{rate}",
                                             f"SimpleFC, dropout {rate}")
            # results so far, so a later failure loses nothing already trained
            common.write_results(args.out_dir, "p2_dropout", args, device, table_rows(histories),
                                 histories=histories_by_seed, complete=False)
        tables.append(table_rows(histories))
        if seed == seeds[0] and not args.no_plots:
            plots.append(common.plot_curves(
                {f"dropout {rate}": h for rate, h in histories.items()}, "test_loss",
                common.Path(args.out_dir) / "p2_dropout_test_loss.png", "test loss",
                f"SimpleFC test loss by dropout rate (seed {seed})"))
    table = common.mean_rows(tables, seeds)
    common.print_table(table, COLUMNS, f"SimpleFC dropout sweep, {args.epochs} epochs, seeds {seeds}")
    path = common.write_results(args.out_dir, "p2_dropout", args, device, table,
                                per_seed_tables=tables if len(seeds) > 1 else None,
                                histories=histories_by_seed, plots=[p.name for p in plots],
                                rule={"overfit_rise": OVERFIT_RISE, "slight_overfit_rise": SLIGHT_OVERFIT_RISE},
                                complete=True)
    print("wrote", path)


if __name__ == "__main__":
    common.run_main(main)
