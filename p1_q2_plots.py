"""Problem 1, Question 2: loss and accuracy curves of logistic regression (training green, test blue).

Writes OUT_DIR/p1_q2_loss.png, OUT_DIR/p1_q2_accuracy.png and OUT_DIR/p1_q2_plots.json.
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
    model = common.make_model(common.LogisticRegression, args.seed, device)
    result = common.train(model, data, epochs=args.epochs, batch_size=args.batch_size, lr=args.lr,
                          seed=args.seed)
    common.print_table(result["history"], common.EPOCH_COLUMNS, "Per-epoch figures")
    plots = common.plot_history(result["history"], args.out_dir, "p1_q2", "Logistic regression")
    path = common.write_results(args.out_dir, "p1_q2_plots", args, device, result["history"],
                                history=result["history"], plots=[p.name for p in plots])
    print("wrote", path, *plots)


if __name__ == "__main__":
    common.run_main(main)
