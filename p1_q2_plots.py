"""Problem 1, Question 2: loss and accuracy curves of logistic regression (training green, test blue).

Writes OUT_DIR/p1_q2_loss.png, OUT_DIR/p1_q2_accuracy.png (the mean curve over --seeds) and
OUT_DIR/p1_q2_plots.json.
"""
import common

EPOCHS = 25
BATCH_SIZE = 128
LR = 0.01
SEED = 1
NORMALIZE = False


def main(argv=None):
    parser = common.make_parser(__doc__, epochs=EPOCHS, batch_size=BATCH_SIZE, lr=LR, seed=SEED,
                                normalize=NORMALIZE)
    args, device, data = common.prepare(parser, argv)
    table, histories = common.history_table(common.train_each_seed(args, data, common.LogisticRegression))
    seeds = common.seeds_of(args)
    common.print_table(table, common.EPOCH_COLUMNS, f"Per-epoch figures, seeds {seeds}")
    title = "Logistic regression" + (f", mean of seeds {seeds}" if len(seeds) > 1 else "")
    plots = common.plot_history(table, args.out_dir, "p1_q2", title)
    path = common.write_results(args.out_dir, "p1_q2_plots", args, device, table,
                                histories=histories,
                                plots=[p.name for p in plots])
    print("wrote", path, *plots)


if __name__ == "__main__":
    common.run_main(main)
