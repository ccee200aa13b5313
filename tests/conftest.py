"""Fixtures: a small MNIST root built once per test session, and a helper that runs a script."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
import mnist_root  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def mnist_dir(tmp_path_factory):
    """8,000 "train" / 2,000 "test" digits: real ones from ../shared/mnist, else synthetic."""
    root = tmp_path_factory.mktemp("mnist")
    kind = mnist_root.build(root, train=8000, test=2000)
    print(f"test MNIST root: {kind} digits at {root}")
    return root


def run(script, *args, check=True):
    """Run a top-level script as a user would; return the CompletedProcess (text output)."""
    proc = subprocess.run([sys.executable, str(REPO / script), *map(str, args)], cwd=REPO,
                          capture_output=True, text=True, timeout=600)
    if check and proc.returncode != 0:
        raise AssertionError(f"{script} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}")
    return proc


def load(out_dir, name):
    return json.loads((Path(out_dir) / f"{name}.json").read_text())


def assert_png(path):
    """The file opens as an image of a plausible size."""
    from PIL import Image
    with Image.open(path) as im:
        im.verify()
    with Image.open(path) as im:
        assert im.format == "PNG" and im.width > 200 and im.height > 150, (path, im.size)


def assert_one_line_error(proc, *phrases):
    """A non-zero exit with one clear line on stderr that names the problem, no traceback."""
    err = proc.stderr.strip()
    assert proc.returncode != 0, proc.stdout
    assert "Traceback" not in err, err
    assert len(err.splitlines()) == 1, err
    for phrase in phrases:
        assert phrase in err, err
