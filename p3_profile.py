"""Problem 3, Question 1: MACs, FLOPs, parameters, torchsummary's size and saved size of the CNNs.

No data and no training: the counts depend on the architecture only. MACs are shown three ways
so the report's figure can be reconciled with today's tools:
  - macs_thop: thop (ultralytics-thop, as pinned) counts one MAC per weight use, no bias;
  - flops_torch: PyTorch's FlopCounterMode, 2 FLOPs per MAC, no bias either (= 2 x macs_thop);
  - macs: the report's convention, as older thop counted: plus one addition per convolution
    output for the bias (linear layers' biases were never counted). FLOPs = 2 x MACs.
Saved sizes are the files torch.save() writes: the whole model (as the report did) and the
state_dict. Writes OUT_DIR/p3_profile.json and the two saved files per model.
"""
import common

MODELS = {"SimpleCNN": (32, 64), "CNN_2_8_16": (8, 16)}  # name -> (conv1, conv2 channels)

COLUMNS = [("model", "Model name", ""), ("macs", "MACs", "d"), ("flops", "FLOPs", "d"),
           ("params", "# parameters", "d"), ("model_size_mb", "Model size [MB]", ".2f"),
           ("saved_size_kb", "Saved model size [KB]", ".1f")]
RECONCILE = [("model", "Model name", ""), ("macs_thop", "thop MACs", "d"),
             ("flops_torch", "FlopCounterMode FLOPs", "d"), ("bias_adds", "conv bias additions", "d"),
             ("macs", "MACs incl. bias (report)", "d"), ("state_dict_kb", "state_dict file [KB]", ".1f")]
LAYERS = [("layer", "Layer (type)", ""), ("output_shape", "Output shape", ""),
          ("params", "Param #", "d"), ("macs", "MACs", "d"), ("bias_adds", "Bias additions", "d")]


def file_kb(path) -> float:
    return path.stat().st_size / 1024


def main(argv=None):
    parser = common.OneLineParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", default="results")
    parser.add_argument("--data-dir", default="data", help="unused: the profile needs no data")
    parser.add_argument("--quick", action="store_true", help="no effect: the profile is always exact")
    args = parser.parse_args(argv)
    out = common.check_out_dir(args.out_dir)
    rows = []
    for name, (c1, c2) in MODELS.items():
        model = common.SimpleCNN(c1, c2)
        prof = common.profile_model(model)
        whole, weights = out / f"p3_profile_{name}.pt", out / f"p3_profile_{name}_state_dict.pt"
        common.torch.save(model, whole)
        common.torch.save(model.state_dict(), weights)
        print(f"\n{name} ({c1}/{c2}), torchsummary:\n{prof['summary_text']}")
        common.print_table(prof["layers"], LAYERS, f"{name}: per-layer count")
        rows.append({"model": name, "channels": f"{c1}/{c2}", "macs": prof["macs"], "flops": prof["flops"],
                     "params": prof["params"], "model_size_mb": prof["model_size_mb"],
                     "saved_size_kb": file_kb(whole), "state_dict_kb": file_kb(weights),
                     "macs_thop": prof["macs_thop"], "flops_torch": prof["flops_torch"],
                     "bias_adds": prof["macs"] - prof["macs_no_bias"], "layers": prof["layers"]})
    common.print_table(rows, COLUMNS, "Profile (MACs and FLOPs in the report's convention: "
                                      "bias additions counted, FLOPs = 2 x MACs)")
    common.print_table(rows, RECONCILE, "Reconciliation: thop and FlopCounterMode leave out the "
                                        "convolutions' bias additions")
    path = common.write_results(args.out_dir, "p3_profile", args, common.torch.device("cpu"), rows)
    print("wrote", path)


if __name__ == "__main__":
    common.run_main(main)
