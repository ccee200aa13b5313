"""Shared pieces of the MNIST homework suite: flags, device, data, models, training, timing, results.

Every report script is a short file of constants plus calls into this module, so that the data
pipeline, the training loop and the way time and memory are measured are the same everywhere.
"""
from __future__ import annotations

import argparse
import copy
import json
import math
import os
import platform
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

_START = time.perf_counter()  # the script's wall time is measured from here (before torch loads)

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

MNIST_MEAN, MNIST_STD = 0.1307, 0.3081  # the course code's Normalize() constants
MOMENTUM = 0.9
EVAL_BATCH_SIZE = 1000  # evaluation only; it changes speed, not the (summed) test loss or accuracy
IDX_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
             "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")


class SuiteError(Exception):
    """A problem with the user's input or machine: reported as one line on stderr, no traceback."""


# ----------------------------------------------------------------------------- command line

class OneLineParser(argparse.ArgumentParser):
    def error(self, message):  # argparse prints usage + message; one clear line is enough
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


QUICK = {"epochs": 2, "train_size": 2000, "test_size": 1000}  # what --quick shrinks for everyone


def make_parser(doc: str, quick: dict | None = None, **defaults) -> argparse.ArgumentParser:
    """The flags every training script shares; `defaults` are the script's constants, `quick`
    what --quick sets beyond QUICK for this script (its own epoch counts, repeats)."""
    p = OneLineParser(description=doc.strip().splitlines()[0] if doc else None,
                       formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--epochs", type=int, default=defaults.get("epochs"))
    p.add_argument("--batch-size", type=int, default=defaults.get("batch_size"))
    p.add_argument("--lr", type=float, default=defaults.get("lr"))
    p.add_argument("--seed", type=int, default=defaults.get("seed", 1))
    p.add_argument("--seeds", type=int, nargs="+", default=None, metavar="SEED",
                   help="run every configuration once per seed; tables show mean and std")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda", "mps"])
    p.add_argument("--data-dir", default="data", help="MNIST root (holds MNIST/raw/<IDX files>)")
    p.add_argument("--out-dir", default="results", help="where JSON, plots and checkpoints go")
    p.add_argument("--normalize", action=argparse.BooleanOptionalAction,
                   default=defaults.get("normalize", False),
                   help=f"apply Normalize({MNIST_MEAN}, {MNIST_STD}) to the inputs")
    p.add_argument("--loader", default="tensor", choices=["tensor", "dataloader"],
                   help="tensor: whole splits resident on the device; dataloader: the course "
                        "code's DataLoader + ToTensor pipeline (for comparison)")
    p.add_argument("--train-size", type=int, default=None,
                   help="use only the first N training images (quick runs)")
    p.add_argument("--test-size", type=int, default=None,
                   help="use only the first N test images (quick runs)")
    p.add_argument("--quick", action="store_true",
                   help="smoke run: few epochs on small subsets; its numbers are not the report's")
    p.quick_overrides = {**QUICK, **(quick or {})}
    return p


def check_args(args: argparse.Namespace) -> argparse.Namespace:
    """Reject impossible hyperparameters before any data is read or any time is spent."""
    if args.epochs is not None and args.epochs < 1:
        raise SuiteError(f"--epochs must be at least 1, got {args.epochs}")
    if args.batch_size is not None and args.batch_size < 1:
        raise SuiteError(f"--batch-size must be at least 1, got {args.batch_size}")
    if args.lr is not None and not (math.isfinite(args.lr) and args.lr > 0):
        raise SuiteError(f"--lr must be a positive number, got {args.lr}")
    for flag in ("train_size", "test_size"):
        if getattr(args, flag, None) is not None and getattr(args, flag) < 1:
            raise SuiteError(f"--{flag.replace('_', '-')} must be at least 1, got {getattr(args, flag)}")
    return args


def prepare(parser: argparse.ArgumentParser, argv=None, check=None):
    """Parse and check the flags (`check(args)` adds a script's own checks), choose the device,
    prove the output folder writable and load MNIST onto the device: everything that can fail
    fails here, before any training."""
    args = parser.parse_args(argv)
    if args.quick:
        vars(args).update(parser.quick_overrides)
    args = check_args(args)
    if check:
        check(args)
    device = pick_device(args.device)
    check_out_dir(args.out_dir)
    data = MNIST(args.data_dir, device, loader=args.loader,
                 train_size=args.train_size, test_size=args.test_size)
    return args, device, data.normalized() if args.normalize else data


def run_main(main) -> None:
    """Run a script's main(); user-facing failures become one line on stderr and exit status 1."""
    prog = Path(sys.argv[0]).name
    try:
        main()
    except SuiteError as e:
        sys.exit(f"{prog}: error: {e}")
    except torch.cuda.OutOfMemoryError:
        sys.exit(f"{prog}: error: the GPU ran out of memory; try a smaller --batch-size")
    except KeyboardInterrupt:
        sys.exit(f"{prog}: interrupted")


# ----------------------------------------------------------------------------- device, seed

def pick_device(name: str = "auto") -> torch.device:
    """auto picks cuda, then mps, then cpu; asking for one that is absent is an error."""
    has = {"cuda": torch.cuda.is_available(),
           "mps": getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available(),
           "cpu": True}
    if name == "auto":
        name = next(d for d in ("cuda", "mps", "cpu") if has[d])
    if name not in has:
        raise SuiteError(f"unknown device {name!r}; use auto, cpu, cuda or mps")
    if not has[name]:
        raise SuiteError(f"--device {name} was asked for but this machine has no {name.upper()} "
                         "device PyTorch can use; try --device cpu")
    if name == "cuda":
        torch.backends.cudnn.benchmark = True     # pick the fastest convolution kernels once
        torch.backends.cudnn.allow_tf32 = False   # but keep full fp32 arithmetic, as on the CPU
        torch.backends.cuda.matmul.allow_tf32 = False
    return torch.device(name)


def seed_everything(seed: int) -> None:
    """Seed Python and torch (all devices): same seed, same metrics on the CPU."""
    import random
    random.seed(seed)
    torch.manual_seed(seed)


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


class Timer:
    """Seconds spent in a `with` block, GPU work included.

    On CUDA it records events and waits for them (GPU calls return before the work is done);
    elsewhere it uses time.perf_counter after a synchronize. Same call on every device.
    """

    def __init__(self, device: torch.device):
        self.device, self.seconds = device, None

    def __enter__(self):
        synchronize(self.device)
        if self.device.type == "cuda":
            self._start = torch.cuda.Event(enable_timing=True)
            self._end = torch.cuda.Event(enable_timing=True)
            self._start.record()
        else:
            self._t0 = time.perf_counter()
        return self

    def __exit__(self, *exc):
        if self.device.type == "cuda":
            self._end.record()
            self._end.synchronize()
            self.seconds = self._start.elapsed_time(self._end) / 1000.0
        else:
            synchronize(self.device)
            self.seconds = time.perf_counter() - self._t0
        return False


def reset_memory_stats(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)


def memory_figures(device: torch.device) -> dict:
    """Memory in MB, each figure named for what it is.

    CUDA: peak bytes held by tensors (`peak_allocated_mb`), peak held by PyTorch's caching
    allocator (`peak_reserved_mb`), and the device memory in use now as nvidia-smi shows it
    (`gpu_memory_mb`: allocator, CUDA context and kernels, every process on the GPU; the
    report's "GPU memory during training"). Every device: the process's peak resident set
    size (`cpu_peak_rss_mb`, since the process started, so it includes loading the data).
    """
    mb = 1024 ** 2
    out = {"cpu_peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
           "gpu_memory_mb": None, "peak_allocated_mb": None, "peak_reserved_mb": None}
    if device.type == "cuda":
        free, total = torch.cuda.mem_get_info(device)
        out.update(gpu_memory_mb=(total - free) / mb,
                   peak_allocated_mb=torch.cuda.max_memory_allocated(device) / mb,
                   peak_reserved_mb=torch.cuda.max_memory_reserved(device) / mb)
    return out


# ----------------------------------------------------------------------------- data

def _read_idx(path: Path, ndim: int) -> torch.Tensor:
    """An uncompressed IDX file (unsigned bytes) as a uint8 tensor, checked against its header."""
    raw = path.read_bytes()
    if len(raw) < 4 + 4 * ndim or raw[:3] != b"\x00\x00\x08" or raw[3] != ndim:
        raise SuiteError(f"{path} is not an MNIST IDX file of {ndim} dimension(s) (bad header)")
    shape = [int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    body = raw[4 + 4 * ndim:]
    if len(body) != math.prod(shape):
        raise SuiteError(f"{path} is truncated or corrupt: header says {shape}, "
                         f"which needs {math.prod(shape)} bytes, but it holds {len(body)}")
    return torch.frombuffer(bytearray(body), dtype=torch.uint8).reshape(shape)


def _mnist_raw_dir(data_dir: str) -> Path:
    """The folder with the four IDX files, downloading them with torchvision when absent."""
    raw = Path(data_dir) / "MNIST" / "raw"
    if all((raw / f).is_file() for f in IDX_FILES):
        return raw
    import contextlib
    import io

    from torchvision import datasets
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            for train in (True, False):
                datasets.MNIST(data_dir, train=train, download=True)
    except Exception as e:  # no network, unwritable folder, bad mirror: all the same to the user
        raise SuiteError(f"no MNIST under {raw} and the download failed ({type(e).__name__}); "
                         f"put the four uncompressed IDX files ({', '.join(IDX_FILES)}) there, "
                         "or pass --data-dir pointing at a folder that has MNIST/raw/") from None
    return raw


def shuffle_order(n: int, generator: torch.Generator) -> torch.Tensor:
    """The epoch's permutation exactly as DataLoader(shuffle=True, generator=g) draws it: one draw
    for the iterator's base seed, the permutation, then RandomSampler's second (empty-sliced)
    permutation. Same seed, same batches in both pipelines, so their results can be compared."""
    torch.empty((), dtype=torch.int64).random_(generator=generator)
    order = torch.randperm(n, generator=generator)
    torch.randperm(n, generator=generator)
    return order


class MNIST:
    """Both splits loaded once as whole tensors on the training device.

    Scaling is ToTensor's (x / 255) and, through `normalized()`, Normalize's ((x - mean) / std),
    applied to the whole tensor at once, so every epoch reuses the same device-resident floats.
    `batches()` hands out shuffled index batches (or, with loader="dataloader", the course code's
    DataLoader pipeline, for comparison).
    """

    def __init__(self, data_dir, device, loader="tensor", train_size=None, test_size=None):
        self.root, self.device, self.loader = Path(data_dir), device, loader
        self.normalize, self.mean, self.std = False, None, None
        raw = _mnist_raw_dir(data_dir)
        self.x, self.y = {}, {}
        for split, prefix, size in (("train", "train", train_size), ("test", "t10k", test_size)):
            images = _read_idx(raw / f"{prefix}-images-idx3-ubyte", 3)
            labels = _read_idx(raw / f"{prefix}-labels-idx1-ubyte", 1)
            if len(images) != len(labels):
                raise SuiteError(f"{raw}: {len(images)} {split} images but {len(labels)} labels")
            if labels.numel() and int(labels.max()) > 9:
                raise SuiteError(f"{raw}: {split} labels must be digits 0-9, found {int(labels.max())}")
            if size is not None:
                images, labels = images[:size], labels[:size]
            self.x[split] = images.to(device).unsqueeze(1).float().div_(255.0)  # as ToTensor
            self.y[split] = labels.to(device=device, dtype=torch.long)
        if len(self.y["train"]) == 0 or len(self.y["test"]) == 0:
            raise SuiteError(f"{raw}: a split holds no images")

    def with_loader(self, loader: str) -> "MNIST":
        """The same device tensors, batched through the other pipeline (no reload)."""
        other = copy.copy(self)
        other.loader = loader
        return other

    def normalized(self, mean: float = MNIST_MEAN, std: float = MNIST_STD) -> "MNIST":
        """A normalized copy made on the device from this unnormalized one (no reload, no transfer)."""
        if self.normalize:
            raise ValueError("data is already normalized")
        if not (math.isfinite(mean) and math.isfinite(std) and std != 0):
            raise SuiteError(f"normalization needs a finite mean and a non-zero std, got {mean}, {std}")
        other = copy.copy(self)
        other.normalize, other.mean, other.std = True, mean, std
        other.x = {k: (v - mean) / std for k, v in self.x.items()}
        other.__dict__.pop("_datasets", None)
        return other

    def size(self, split: str) -> int:
        return len(self.y[split])

    def batches(self, split: str, batch_size: int, shuffle: bool = False, generator=None):
        """Yield (images, labels) batches; a shuffled split uses a fresh permutation per call."""
        if self.loader == "dataloader":
            yield from self._dataloader(split, batch_size, shuffle, generator)
            return
        n, x, y = self.size(split), self.x[split], self.y[split]
        if shuffle:
            order = shuffle_order(n, generator).to(self.device, non_blocking=True)
            for i in range(0, n, batch_size):
                idx = order[i:i + batch_size]
                yield x[idx], y[idx]
        else:
            for i in range(0, n, batch_size):
                yield x[i:i + batch_size], y[i:i + batch_size]

    def _dataloader(self, split, batch_size, shuffle, generator):
        """The course code's pipeline: per-sample PIL -> ToTensor (-> Normalize), then .to(device)."""
        from torch.utils.data import DataLoader, Subset
        from torchvision import datasets, transforms
        if not hasattr(self, "_datasets"):
            tf = [transforms.ToTensor()]
            if self.normalize:
                tf.append(transforms.Normalize((self.mean,), (self.std,)))
            self._datasets = {}
            for s in ("train", "test"):
                ds = datasets.MNIST(str(self.root), train=(s == "train"), download=False,
                                    transform=transforms.Compose(tf))
                self._datasets[s] = Subset(ds, range(self.size(s))) if self.size(s) < len(ds) else ds
        dl = DataLoader(self._datasets[split], batch_size=batch_size, shuffle=shuffle,
                        generator=generator if shuffle else None)
        for x, y in dl:
            yield x.to(self.device, non_blocking=True), y.to(self.device, non_blocking=True)


# ----------------------------------------------------------------------------- models

def check_dropout(p: float, name: str = "dropout") -> float:
    """A dropout probability must be in [0, 1): at 1 every unit would be dropped."""
    if not 0.0 <= p < 1.0:
        raise SuiteError(f"{name} must be in [0, 1), got {p}")
    return p


class LogisticRegression(nn.Module):
    """One Linear layer 784 -> 10; softmax lives in the cross-entropy loss."""

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(28 * 28, 10)

    def forward(self, x):
        return self.linear(x.flatten(1))


class SimpleFC(nn.Module):
    """784-512-256-128-10 with ReLU and one dropout probability after each hidden layer."""

    def __init__(self, dropout: float = 0.0):
        super().__init__()
        check_dropout(dropout)
        self.fc1, self.fc2 = nn.Linear(784, 512), nn.Linear(512, 256)
        self.fc3, self.fc4 = nn.Linear(256, 128), nn.Linear(128, 10)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x):
        x = x.flatten(1)
        for fc in (self.fc1, self.fc2, self.fc3):
            x = self.dropout(F.relu(fc(x)))
        return self.fc4(x)


class SimpleCNN(nn.Module):
    """Conv(1->c1) -> MaxPool -> Conv(c1->c2) -> MaxPool -> [Dropout] -> Linear(7*7*c2 -> 10).

    No activation functions: max pooling is the only non-linearity, as in the course code.
    Without dropout there is no Dropout module at all, so torchsummary lists exactly five layers.
    """

    def __init__(self, c1: int = 32, c2: int = 64, dropout: float = 0.0):
        super().__init__()
        for name, c in (("c1", c1), ("c2", c2)):
            if isinstance(c, bool) or not isinstance(c, int) or c < 1:
                raise SuiteError(f"channel count {name} must be a positive integer, got {c!r}")
        check_dropout(dropout)
        self.conv1 = nn.Conv2d(1, c1, kernel_size=3, padding=1)
        self.pool1 = nn.MaxPool2d(2)
        self.conv2 = nn.Conv2d(c1, c2, kernel_size=3, padding=1)
        self.pool2 = nn.MaxPool2d(2)
        self.dropout = nn.Dropout(dropout) if dropout > 0 else None
        self.fc = nn.Linear(7 * 7 * c2, 10)

    def forward(self, x):
        x = self.pool2(self.conv2(self.pool1(self.conv1(x))))
        if self.dropout is not None:
            x = self.dropout(x)
        return self.fc(x.flatten(1))


MODELS = {"LogisticRegression": LogisticRegression, "SimpleFC": SimpleFC, "SimpleCNN": SimpleCNN}


def make_model(cls, seed: int, device: torch.device, **kwargs) -> nn.Module:
    """Seed, then build: the initial weights depend only on the seed.

    Convolutional models get channels_last weights: the same fp32 arithmetic, measured faster
    (SimpleCNN 1.89 -> 1.58 s, CNN_2_8_16 0.46 -> 0.30 s per 8,000-image epoch on 2 CPU cores).
    """
    seed_everything(seed)
    model = cls(**kwargs).to(device)
    if any(isinstance(m, nn.Conv2d) for m in model.modules()):
        model = model.to(memory_format=torch.channels_last)
    return model


# ----------------------------------------------------------------------------- profiling

def layer_breakdown(model: nn.Module, input_size=(1, 28, 28)) -> list[dict]:
    """Per leaf layer: output shape, parameters, multiply-accumulates and bias additions, counted
    by hand from the shapes so they can be checked on paper. A convolution costs
    out_elements * (in_channels / groups * kh * kw) MACs plus one bias addition per output
    element; a linear layer out * in MACs (its bias additions are not counted, as thop never did);
    pooling and dropout cost no MACs."""
    rows, hooks = [], []

    def hook(module, inputs, output):
        macs = bias_adds = 0
        if isinstance(module, nn.Conv2d):
            kh, kw = module.kernel_size
            macs = output.numel() * module.in_channels // module.groups * kh * kw
            bias_adds = output.numel() if module.bias is not None else 0
        elif isinstance(module, nn.Linear):
            macs = output.numel() * module.in_features
        rows.append({"layer": f"{type(module).__name__}-{len(rows) + 1}",
                     "output_shape": list(output.shape[1:]),
                     "params": sum(p.numel() for p in module.parameters()),
                     "macs": macs, "bias_adds": bias_adds})

    for m in model.modules():
        if not list(m.children()):
            hooks.append(m.register_forward_hook(hook))
    try:
        with torch.no_grad():
            model.eval()(torch.zeros(1, *input_size))
    finally:
        for h in hooks:
            h.remove()
    return rows


def profile_model(model: nn.Module, input_size=(1, 28, 28)) -> dict:
    """Size and cost of a model for one 1x28x28 input, by every count the report's figures can
    be checked against: thop's MACs, PyTorch's FlopCounterMode, the hand count with the bias
    additions older thop releases made (the report's convention; FLOPs = 2 x MACs there), and
    torchsummary's "Estimated Total Size" (printed table kept in `summary_text`)."""
    import contextlib
    import io

    from thop import profile
    from torch.utils.flop_counter import FlopCounterMode
    from torchsummary import summary
    model = copy.deepcopy(model).cpu().eval()  # the caller's model is left as it was
    x = torch.zeros(1, *input_size)
    layers = layer_breakdown(model, input_size)
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        model(x)
    text = io.StringIO()
    with contextlib.redirect_stdout(text):
        summary(model, input_size, device="cpu")
    thop_macs, _ = profile(model, inputs=(x,), verbose=False)  # last: it adds buffers to the model
    size = next(float(line.split(":")[1]) for line in text.getvalue().splitlines()
                if line.startswith("Estimated Total Size (MB)"))
    macs = sum(r["macs"] + r["bias_adds"] for r in layers)
    return {"params": sum(p.numel() for p in model.parameters()),
            "macs": macs, "flops": 2 * macs,
            "macs_thop": int(thop_macs), "flops_torch": int(counter.get_total_flops()),
            "macs_no_bias": sum(r["macs"] for r in layers),
            "model_size_mb": size, "layers": layers, "summary_text": text.getvalue()}


# ----------------------------------------------------------------------------- training

@torch.no_grad()
def evaluate(model: nn.Module, data: MNIST, split: str = "test") -> tuple[float, float]:
    """Mean cross-entropy and accuracy (%) over a whole split, dropout off."""
    model.eval()
    loss_sum = torch.zeros((), device=data.device)
    correct = torch.zeros((), dtype=torch.long, device=data.device)
    for x, y in data.batches(split, EVAL_BATCH_SIZE):
        out = model(x)
        loss_sum += F.cross_entropy(out, y, reduction="sum")
        correct += (out.argmax(1) == y).sum()
    n = data.size(split)
    return loss_sum.item() / n, 100.0 * correct.item() / n


def _warm_up(model, data, batch_size, lr, device):
    """A few untimed steps on a copy, so one-off start-up costs (CUDA context, cuDNN autotuning,
    allocator growth) stay out of the timed epochs; the RNG state is restored afterwards."""
    devices = [device] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=devices):
        clone = copy.deepcopy(model).train()
        opt = torch.optim.SGD(clone.parameters(), lr=lr, momentum=MOMENTUM)
        x, y = data.x["train"][:batch_size], data.y["train"][:batch_size]
        for _ in range(3):
            opt.zero_grad(set_to_none=True)
            F.cross_entropy(clone(x), y).backward()
            opt.step()
        synchronize(device)


def train(model: nn.Module, data: MNIST, *, epochs: int, batch_size: int, lr: float, seed: int,
          l2: float = 0.0, label: str = "", verbose: bool = True) -> dict:
    """SGD (momentum 0.9) on cross-entropy, optionally plus l2 * (sum of squared parameters).

    Returns {"history": one dict per epoch, "train_time_s", "memory"}. Per epoch: the train loss
    and accuracy averaged over the epoch's batches while training (as the course code measures
    them; cross-entropy only, without the L2 term), the test loss and accuracy after the epoch,
    and `time_s`, the synchronized time of the epoch's training steps (test evaluation excluded).
    Loss and correct counts accumulate on the device and are read once per epoch: no host sync
    in the step loop. A non-finite loss stops training with a SuiteError naming the epoch.
    """
    if l2 < 0:
        raise SuiteError(f"L2 lambda must be 0 or more, got {l2}")
    from tqdm import tqdm
    device = data.device
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=MOMENTUM)
    gen = torch.Generator().manual_seed(seed)  # the shuffle order depends only on the seed
    _warm_up(model, data, batch_size, lr, device)
    reset_memory_stats(device)
    n, history = data.size("train"), []
    n_batches = math.ceil(n / batch_size)
    for epoch in range(1, epochs + 1):
        model.train()
        loss_sum = torch.zeros((), device=device)
        correct = torch.zeros((), dtype=torch.long, device=device)
        with Timer(device) as t:
            for x, y in tqdm(data.batches("train", batch_size, shuffle=True, generator=gen),
                             total=n_batches, desc=f"{label} epoch {epoch}/{epochs}".strip(),
                             leave=False, disable=None):
                out = model(x)
                loss = F.cross_entropy(out, y)
                total = loss + l2 * sum(p.pow(2).sum() for p in model.parameters()) if l2 else loss
                opt.zero_grad(set_to_none=True)
                total.backward()
                opt.step()
                loss_sum += loss.detach() * len(y)
                correct += (out.argmax(1) == y).sum()
        train_loss = loss_sum.item() / n
        if not math.isfinite(train_loss):
            raise SuiteError(f"training diverged: the train loss is {train_loss} in epoch {epoch}"
                             f"{' of ' + label if label else ''}; try a smaller --lr")
        test_loss, test_acc = evaluate(model, data)
        row = {"epoch": epoch, "train_loss": train_loss, "train_acc": 100.0 * correct.item() / n,
               "test_loss": test_loss, "test_acc": test_acc, "time_s": t.seconds}
        history.append(row)
        if verbose:
            print(f"{label + ' ' if label else ''}epoch {epoch:>2}/{epochs}  "
                  f"train loss {row['train_loss']:.4f} acc {row['train_acc']:.2f}%  "
                  f"test loss {test_loss:.4f} acc {test_acc:.2f}%  {t.seconds:.2f}s", flush=True)
    return {"history": history, "train_time_s": sum(h["time_s"] for h in history),
            "memory": memory_figures(device)}


@torch.no_grad()
def time_inference(model: nn.Module, images: torch.Tensor, batch_size: int, repeats: int = 1):
    """Predict every image in batches of `batch_size`; return (predictions, seconds per pass).

    The images already live on the device, so this times the model alone. A few untimed batches
    warm the device up first; predictions go into a preallocated tensor (no per-image host sync).
    `seconds` is a list with one synchronized time per pass.
    """
    model.eval()
    device = images.device
    n = len(images)
    preds = torch.empty(n, dtype=torch.long, device=device)
    for i in range(0, min(n, 10 * batch_size), batch_size):
        model(images[i:i + batch_size])
    seconds = []
    for _ in range(repeats):
        with Timer(device) as t:
            for i in range(0, n, batch_size):
                preds[i:i + batch_size] = model(images[i:i + batch_size]).argmax(1)
        seconds.append(t.seconds)
    return preds, seconds


def train_each_seed(args, data: MNIST, cls, label: str = "", **model_kwargs) -> list[tuple]:
    """One fresh model per seed (--seeds, else --seed), trained with the flags' hyperparameters;
    returns [(seed, model, train() result), ...]."""
    runs = []
    for seed in seeds_of(args):
        model = make_model(cls, seed, data.device, **model_kwargs)
        res = train(model, data, epochs=args.epochs, batch_size=args.batch_size, lr=args.lr,
                    seed=seed, label=f"{label} seed {seed}".strip() if args.seeds else label)
        runs.append((seed, model, res))
    return runs


def history_table(runs: list[tuple]) -> tuple[list[dict], dict]:
    """From train_each_seed()'s runs: the per-epoch table (mean ± std over seeds) and the
    histories by seed, as the P1 scripts print and save them."""
    seeds = [seed for seed, _, _ in runs]
    table = mean_rows([res["history"] for _, _, res in runs], seeds)
    return table, {str(seed): res["history"] for seed, _, res in runs}


# ----------------------------------------------------------------------------- results

def check_out_dir(out_dir) -> Path:
    """Create the output folder and prove it writable now, before any time is spent training."""
    path = Path(out_dir)
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".write-test-"):
            pass
    except OSError as e:
        raise SuiteError(f"cannot write to output folder {path}: {e.strerror or e}") from None
    return path


def write_atomic(path: Path, data: bytes) -> None:
    """Write to a temporary file beside `path`, then rename: a reader never sees half a file."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def training_key(args, data: MNIST, model_name: str, seed: int) -> dict:
    """What a trained model depends on; a saved one is reused only when this matches."""
    return {"model": model_name, "epochs": args.epochs, "batch_size": args.batch_size,
            "lr": args.lr, "seed": seed, "normalize": data.normalize,
            "data_dir": str(data.root.resolve()), "train_size": data.size("train")}


def save_checkpoint(path: Path, entries: list[dict]) -> None:
    """Several trained models in one file, each {"key": training_key(...), "state_dict", ...}."""
    import io
    buf = io.BytesIO()
    torch.save({"entries": entries}, buf)
    write_atomic(path, buf.getvalue())


def load_checkpoint(path: Path, key: dict):
    """(entry, reason): the saved model trained with exactly `key`, or None and why not."""
    if not path.is_file():
        return None, "no saved model"
    try:
        entries = torch.load(path, map_location="cpu", weights_only=True)["entries"]
    except Exception as e:
        return None, f"unreadable checkpoint ({type(e).__name__})"
    entry = next((e for e in entries if e.get("key") == key), None)
    return entry, "saved model matches" if entry else "saved model was trained with other settings"


def env_info(device: torch.device) -> dict:
    import torchvision
    if device.type == "cuda":
        name = torch.cuda.get_device_name(device)
    else:
        name = platform.processor() or platform.machine()
        try:
            name = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                        if line.startswith("model name"))
        except (OSError, StopIteration):
            pass
    return {"torch": torch.__version__, "torchvision": torchvision.__version__,
            "python": platform.python_version(), "device": str(device), "device_name": name,
            "cpu_count": os.cpu_count(), "platform": platform.platform()}


def write_results(out_dir, script: str, args, device, table: list[dict], **extra) -> Path:
    """OUT_DIR/<script>.json: config (every effective setting), env, table, and any extras."""
    config = {k: v for k, v in vars(args).items()}
    config["device"] = str(device)
    doc = {"script": script, "config": config, "env": env_info(device), "table": table, **extra,
           "wall_time_s": time.perf_counter() - _START}
    path = Path(out_dir) / f"{script}.json"
    write_atomic(path, (json.dumps(doc, indent=2, default=str) + "\n").encode())
    return path


EPOCH_COLUMNS = [("epoch", "Epoch", "d"), ("train_loss", "Training loss", ".4f"),
                 ("train_acc", "Training accuracy [%]", ".2f"), ("test_loss", "Test loss", ".4f"),
                 ("test_acc", "Test accuracy [%]", ".2f"), ("time_s", "Time [s]", ".2f")]


def seeds_of(args) -> list[int]:
    """The seeds to run: --seeds when given, else the single --seed."""
    return list(dict.fromkeys(args.seeds)) if args.seeds else [args.seed]


def mean_rows(rows_per_seed: list[list[dict]], seeds: list[int]) -> list[dict]:
    """Merge the same table from several seeds into one: each number that varies becomes its mean
    with `<key>_std` (sample standard deviation) beside it; differing texts are joined with " / ".
    With one seed the rows come back unchanged, so single-seed output stays as it is."""
    if len(rows_per_seed) == 1:
        return rows_per_seed[0]
    merged = []
    for same in zip(*rows_per_seed):
        row = {"seeds": seeds}
        for key in same[0]:
            vals = [r.get(key) for r in same]
            numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in vals)
            if numeric and len(set(vals)) > 1:
                row[key], row[f"{key}_std"] = statistics.mean(vals), statistics.stdev(vals)
            elif numeric or all(v == vals[0] for v in vals):
                row[key] = vals[0]
            else:
                row[key] = " / ".join(dict.fromkeys(str(v) for v in vals))
        merged.append(row)
    return merged


def print_table(rows: list[dict], columns: list[tuple[str, str, str]], title: str = "") -> None:
    """Print rows under the report's headers; columns are (key, header, format spec).
    A value with a `<key>_std` beside it (several seeds) prints as "mean ± std"."""
    def cell(r, k, fmt):
        v = r.get(k)
        if v is None:
            return "n/a"
        if not fmt or isinstance(v, str):
            return str(v)
        if isinstance(v, float) and fmt.endswith("d"):  # a mean of whole numbers
            fmt = ".1f"
        std = r.get(f"{k}_std")
        return format(v, fmt) + (f" ± {format(std, fmt)}" if std is not None else "")
    body = [[cell(r, k, fmt) for k, _, fmt in columns] for r in rows]
    heads = [h for _, h, _ in columns]
    widths = [max(len(h), *(len(b[i]) for b in body)) for i, h in enumerate(heads)]
    if title:
        print(f"\n{title}")
    print("  ".join(h.ljust(w) for h, w in zip(heads, widths)))
    print("  ".join("-" * w for w in widths))
    for b in body:
        print("  ".join(c.ljust(w) for c, w in zip(b, widths)))
    print(flush=True)


def pyplot():
    import matplotlib
    matplotlib.use("Agg")  # files only, no display needed
    import matplotlib.pyplot as plt
    return plt


def save_figure(fig, path: Path) -> Path:
    plt = pyplot()
    tmp = path.with_name(f".{path.stem}.tmp{path.suffix}")
    fig.savefig(tmp, dpi=100, bbox_inches="tight")
    plt.close(fig)
    os.replace(tmp, path)
    return path


def plot_history(history: list[dict], out_dir, stem: str, title: str = "") -> list[Path]:
    """<stem>_loss.png and <stem>_accuracy.png: training in green, test in blue."""
    plt = pyplot()
    epochs = [h["epoch"] for h in history]
    paths = []
    for key, name, ylabel in (("loss", "loss", "cross-entropy loss"), ("acc", "accuracy", "accuracy [%]")):
        fig, ax = plt.subplots(figsize=(6, 4))
        ax.plot(epochs, [h[f"train_{key}"] for h in history], "g-o", ms=3, label="training")
        ax.plot(epochs, [h[f"test_{key}"] for h in history], "b-o", ms=3, label="test")
        ax.set(xlabel="epoch", ylabel=ylabel, title=f"{title}: {name}" if title else name)
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.grid(alpha=0.3)
        ax.legend()
        paths.append(save_figure(fig, Path(out_dir) / f"{stem}_{name}.png"))
    return paths


def plot_curves(histories: dict, key: str, path: Path, ylabel: str, title: str,
                hline: float | None = None) -> Path:
    """One metric (`key`, e.g. "test_loss") of several runs on one axis, one line per run
    (`histories` maps a legend label to a history); `hline` draws a target level."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 4))
    for label, h in histories.items():
        ax.plot([e["epoch"] for e in h], [e[key] for e in h], "-o", ms=3, label=label)
    if hline is not None:
        ax.axhline(hline, color="grey", ls="--", label=f"{hline:g}")
    ax.set(xlabel="epoch", ylabel=ylabel, title=title)
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.grid(alpha=0.3)
    ax.legend()
    return save_figure(fig, path)


def median_spread(values: list[float]) -> dict:
    """Median, min, max and count of repeated measurements."""
    return {"median": statistics.median(values), "min": min(values), "max": max(values),
            "n": len(values)}
