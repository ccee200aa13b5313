"""Problem 1, Question 1: logistic regression on MNIST with model, images and labels on the device.

Prints the per-epoch training and test figures (mean ± std over --seeds); writes OUT_DIR/p1_q1.json.
"""
import common

# The report's settings; edit them here or override them with the flags of the same name.
EPOCHS = 25
BATCH_SIZE = 128
LR = 0.01
SEED = 1
NORMALIZE = False


def main(argv=None):
    parser = common.make_parser(__doc__, epochs=EPOCHS, batch_size=BATCH_SIZE, lr=LR, seed=SEED,
                                normalize=NORMALIZE)
    args, device, data = common.prepare(parser, argv)
    print(f"LogisticRegression on {device}, {data.size('train')} training images")
    table, histories = common.history_table(common.train_each_seed(args, data, common.LogisticRegression))
    common.print_table(table, common.EPOCH_COLUMNS, f"Per-epoch figures, seeds {common.seeds_of(args)}")
    path = common.write_results(args.out_dir, "p1_q1", args, device, table, histories=histories)
    print(f"wrote {path}")


if __name__ == "__main__":
    common.run_main(main)
