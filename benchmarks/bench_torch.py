"""Speed of sknn's PyTorch backend against a hand-written PyTorch loop and the NumPy engine.

Main section (CPU, float32, one run): for every batch size, seconds per
epoch of

* ``sknn-torch`` -- ``sknn.MLPClassifier(backend='torch', device='cpu')``;
* ``torch-loop`` -- a hand-written PyTorch loop over the same network:
  ``nn.Sequential`` of ``Linear``/``ReLU``, ``CrossEntropyLoss``,
  ``torch.optim.Adam``, the same batch size, the data in torch tensors,
  a ``randperm`` per epoch and minibatches gathered out of them with
  ``index_select`` (as sknn does; faster on the CPU than ``X[idx]``);
* ``sknn-numpy`` -- the same estimator on the NumPy engine.

sknn gets ``alpha=0`` so all three minimize the same objective (plain
cross-entropy; sknn's default L2 penalty would be extra work the loop does
not do). The goal is ``sknn-torch / torch-loop <= 1.2``.

Large section (only when CUDA is available, or with ``--large-device``):
the issue's large problem, 1,000,000 x 784 with hidden (1024, 1024, 1024)
at batch 1024, on the GPU for sknn-torch and the loop, and the NumPy engine
on the CPU, timed on ``--numpy-subset`` samples and scaled to the full data
per epoch (its cost per epoch is linear in the number of samples). The goal
is a speedup of at least 10x over the NumPy engine.

CPU-cost section (unless ``--skip-cpu-cost``): where the torch backend is
slower than the NumPy engine on a CPU, and by how much.

* ``import`` -- seconds to ``import torch`` in a fresh interpreter, alone
  and after ``import sknn`` (which never imports torch; NumPy, SciPy and
  scikit-learn are then loaded already), median of ``--import-repeats``
  interpreters: a cost every process that trains with ``backend='torch'``
  pays once.
* ``digits`` -- ``sknn.DeepNetClassifier(max_iter=30, random_state=0)`` (its
  defaults otherwise: 3 x 100 ELU, batch 64, Nadam, dropout 0.2, float32) on
  ``StandardScaler``-scaled ``load_digits`` (1,797 x 64), both engines on
  the CPU; torch's import is not in it.
* ``wide`` -- one epoch of a 784-512-512-10 ``MLPClassifier`` (ReLU, Adam,
  batch 256, float32) on 20,000 x 784 Gaussian data: the size at which the
  torch engine on a CPU catches up with NumPy, or not.

Two figures per contender in the main and large sections:

* ``fit s/epoch`` -- wall time of the whole fit (input checks, weight
  initialization, data transfer included) divided by the epochs run;
* ``epoch s`` -- the median time of one epoch alone (sknn's
  ``history_['seconds']``, timed around each epoch in the loop).

Every repeat runs the contenders back to back, so a busy neighbour slows
them alike; ratios are the median of the per-repeat ratios. Thread pools
(BLAS via threadpoolctl and ``torch.set_num_threads``) get the same count
for everyone (``--threads``, default: the cores available).

Run ``python benchmarks/bench_torch.py --help`` for the options.
"""

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time

import numpy as np
import sklearn
from threadpoolctl import threadpool_limits

import sknn
from _common import (RESULTS_DIR, available_cores, classification_data, comma_list, fmt,
                     loadavg_line, now_iso, record_lines, threadpools, timed_fit, title_lines,
                     torch_relu_mlp, write_results)
from sknn import DeepNetClassifier, MLPClassifier

N_CLASSES = 10
LEARNING_RATE = 1e-3
SEED = 0
TARGET_CPU_RATIO = 1.2  # sknn-torch / torch-loop on the CPU, at most
TARGET_GPU_SPEEDUP = 10.0  # NumPy engine on the CPU / sknn-torch on the GPU, at least
# OpenBLAS/OpenMP workers spin for ~0.1 s after a product; pause between runs
# so one contender's spinning threads do not slow the next one down.
SETTLE_SECONDS = 0.3


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n-samples", type=int, default=20_000)
    parser.add_argument("--n-features", type=int, default=784)
    parser.add_argument("--hidden", type=comma_list(int), default=[256, 128])
    parser.add_argument("--batch-sizes", type=comma_list(int), default=[200, 1024])
    parser.add_argument("--epochs", type=int, default=3, help="epochs per fit (default 3)")
    parser.add_argument("--repeats", type=int, default=3, help="repeats; medians reported")
    parser.add_argument("--threads", type=int, default=available_cores(),
                        help="BLAS and torch threads for every contender (default: cores)")
    parser.add_argument("--skip-numpy", action="store_true",
                        help="leave the NumPy engine out of the main section")
    parser.add_argument("--large-device", default=None,
                        help="device of the large section (default: 'cuda' when available; "
                             "'none' skips it; 'cpu' is for smoke runs with small sizes)")
    parser.add_argument("--large-samples", type=int, default=1_000_000)
    parser.add_argument("--large-hidden", type=comma_list(int), default=[1024, 1024, 1024])
    parser.add_argument("--large-batch", type=int, default=1024)
    parser.add_argument("--large-epochs", type=int, default=2)
    parser.add_argument("--large-repeats", type=int, default=2)
    parser.add_argument("--numpy-subset", type=int, default=20_000,
                        help="samples the NumPy engine trains on in the large section")
    parser.add_argument("--skip-main", action="store_true",
                        help="leave the main section out")
    parser.add_argument("--skip-cpu-cost", action="store_true",
                        help="leave the CPU-cost section (import, digits, wide) out")
    parser.add_argument("--import-repeats", type=int, default=7,
                        help="fresh interpreters timing each import (default 7)")
    parser.add_argument("--cost-repeats", type=int, default=5,
                        help="repeats of the digits and wide fits (default 5)")
    parser.add_argument("--digits-max-iter", type=int, default=30)
    parser.add_argument("--wide-samples", type=int, default=20_000)
    parser.add_argument("--wide-hidden", type=comma_list(int), default=[512, 512])
    parser.add_argument("--wide-batch", type=int, default=256)
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: 2,000 samples, 1 epoch, 1 repeat")
    args = parser.parse_args(argv)
    if args.quick:
        args.n_samples, args.epochs, args.repeats = 2_000, 1, 1
        args.import_repeats, args.cost_repeats = 2, 1
        args.digits_max_iter, args.wide_samples = 2, 2_000
    return args


# -- data ----------------------------------------------------------------------
def main_data(n_samples, n_features):
    X, y = classification_data(n_samples, n_features, N_CLASSES, SEED)
    return X.astype(np.float32), y


def large_data(n_samples, n_features, chunk=100_000):
    """Gaussian features, labels from a random linear map: cheap to make at 1,000,000 rows."""
    rng = np.random.default_rng(SEED)
    projection = rng.standard_normal((n_features, N_CLASSES)).astype(np.float32)
    X = np.empty((n_samples, n_features), np.float32)
    y = np.empty(n_samples, np.int64)
    for start in range(0, n_samples, chunk):
        rows = slice(start, min(start + chunk, n_samples))
        X[rows] = rng.standard_normal((rows.stop - rows.start, n_features), np.float32)
        y[rows] = np.argmax(X[rows] @ projection, axis=1)
    return X, y


# -- contenders ------------------------------------------------------------------
def time_sknn(X, y, hidden, batch_size, epochs, backend, device="cpu"):
    """(fit s/epoch, median epoch s) of one sknn fit."""
    params = dict(hidden_layer_sizes=tuple(hidden), activation="relu", solver="adam",
                  alpha=0.0, learning_rate_init=LEARNING_RATE, batch_size=batch_size,
                  max_iter=epochs, tol=0.0, n_iter_no_change=np.inf, shuffle=True,
                  random_state=SEED, backend=backend)
    if backend == "torch":
        params["device"] = device
    model = MLPClassifier(**params)
    elapsed = timed_fit(model, X, y)
    return elapsed / model.n_iter_, statistics.median(model.history_["seconds"])


def time_torch_loop(torch, X, y, hidden, batch_size, epochs, device="cpu"):
    """(fit s/epoch, median epoch s) of a plain PyTorch Adam loop, setup included."""
    torch.manual_seed(SEED)
    start = time.perf_counter()
    X_all = torch.from_numpy(X).to(device)
    y_all = torch.from_numpy(y).to(device)
    model = torch_relu_mlp(torch, X.shape[1], hidden, N_CLASSES).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
    loss_fn = torch.nn.CrossEntropyLoss()
    n_samples, epoch_seconds = len(X_all), []
    for _ in range(epochs):
        epoch_start = time.perf_counter()
        order = torch.randperm(n_samples, device=device)
        total = torch.zeros((), device=device)
        for begin in range(0, n_samples, batch_size):
            idx = order[begin:begin + batch_size]
            optimizer.zero_grad(set_to_none=True)
            # index_select, not X_all[idx]: on the CPU advanced indexing took
            # ~2.5x longer to gather a 1024 x 784 batch (measured), which would
            # flatter sknn (it gathers with index_select)
            loss = loss_fn(model(X_all.index_select(0, idx)), y_all.index_select(0, idx))
            loss.backward()
            optimizer.step()
            total += loss.detach() * len(idx)  # the epoch loss, as sknn reports it
        float(total)  # one synchronisation per epoch, as in sknn
        epoch_seconds.append(time.perf_counter() - epoch_start)
    return (time.perf_counter() - start) / epochs, statistics.median(epoch_seconds)


def main_contenders(torch, args):
    """name -> callable(X, y, batch_size, epochs) -> (fit s/epoch, epoch s)."""
    hidden = args.hidden
    table = {
        "sknn-torch": lambda X, y, b, e: time_sknn(X, y, hidden, b, e, "torch"),
        "torch-loop": lambda X, y, b, e: time_torch_loop(torch, X, y, hidden, b, e),
    }
    if not args.skip_numpy:
        table["sknn-numpy"] = lambda X, y, b, e: time_sknn(X, y, hidden, b, e, "numpy")
    return table


def run_repeats(runners, X, y, batch_size, epochs, repeats, label):
    """Interleaved repeats -> {name: {'fit': [...], 'epoch': [...]}}."""
    times = {name: {"fit": [], "epoch": []} for name in runners}
    for repeat in range(repeats):
        for name, run in runners.items():
            time.sleep(SETTLE_SECONDS)
            fit, epoch = run(X, y, batch_size, epochs)
            times[name]["fit"].append(fit)
            times[name]["epoch"].append(epoch)
        print(f"  {label} repeat {repeat + 1}/{repeats}: " + ", ".join(
            f"{name} {t['fit'][-1]:.3f}s/{t['epoch'][-1]:.3f}s" for name, t in times.items()),
            flush=True)
    return times


def median_ratio(times, numerator, denominator, kind):
    """Median over repeats of numerator/denominator (same-repeat pairs)."""
    pairs = zip(times[numerator][kind], times[denominator][kind])
    return statistics.median(a / b for a, b in pairs)


def summarize(times):
    return {name: {kind: statistics.median(values) for kind, values in t.items()}
            for name, t in times.items()}


# -- sections --------------------------------------------------------------------
def main_section(torch, args):
    X, y = main_data(args.n_samples, args.n_features)
    runners = main_contenders(torch, args)
    for run in runners.values():  # lazy imports, thread pools: out of repeat 1
        run(X[:512], y[:512], 64, 1)
    rows = []
    for batch_size in args.batch_sizes:
        times = run_repeats(runners, X, y, batch_size, args.epochs, args.repeats,
                            f"batch {batch_size}")
        row = {"batch": batch_size, "median": summarize(times), "raw": times}
        for kind in ("fit", "epoch"):
            row[f"sknn-torch/torch-loop {kind}"] = median_ratio(
                times, "sknn-torch", "torch-loop", kind)
            if "sknn-numpy" in times:
                row[f"sknn-numpy/sknn-torch {kind}"] = median_ratio(
                    times, "sknn-numpy", "sknn-torch", kind)
        rows.append(row)
    return rows


def large_section(torch, args, device):
    X, y = large_data(args.large_samples, args.n_features)
    subset = min(args.numpy_subset, args.large_samples)
    hidden, batch = args.large_hidden, args.large_batch
    runners = {
        "sknn-torch": lambda: time_sknn(X, y, hidden, batch, args.large_epochs, "torch",
                                        device),
        "torch-loop": lambda: time_torch_loop(torch, X, y, hidden, batch, args.large_epochs,
                                              device),
        # one epoch on a subset, scaled to the full data
        "sknn-numpy (scaled)": lambda: tuple(
            t * args.large_samples / subset
            for t in time_sknn(X[:subset], y[:subset], hidden, batch, 1, "numpy")),
    }
    time_sknn(X[:4096], y[:4096], hidden, batch, 1, "torch", device)  # CUDA context, kernels
    time_torch_loop(torch, X[:4096], y[:4096], hidden, batch, 1, device)
    times = {name: {"fit": [], "epoch": []} for name in runners}
    for repeat in range(args.large_repeats):
        for name, run in runners.items():
            time.sleep(SETTLE_SECONDS)
            fit, epoch = run()
            times[name]["fit"].append(fit)
            times[name]["epoch"].append(epoch)
        print(f"  large repeat {repeat + 1}/{args.large_repeats}: " + ", ".join(
            f"{name} {t['fit'][-1]:.3f}s/{t['epoch'][-1]:.3f}s" for name, t in times.items()),
            flush=True)
    result = {"device": str(device), "subset": subset, "median": summarize(times), "raw": times}
    for kind in ("fit", "epoch"):
        result[f"speedup {kind}"] = median_ratio(times, "sknn-numpy (scaled)", "sknn-torch",
                                                 kind)
        result[f"sknn-torch/torch-loop {kind}"] = median_ratio(times, "sknn-torch",
                                                               "torch-loop", kind)
    return result


# -- where torch costs more on the CPU ------------------------------------------------
IMPORT_TIMER = """
import sys, time
for module in sys.argv[1:]:
    start = time.perf_counter()
    __import__(module)
    print(time.perf_counter() - start)
"""


def import_seconds(modules, repeats):
    """Per module, the seconds to import it after the ones before it, in fresh interpreters."""
    seconds = {module: [] for module in modules}
    for _ in range(repeats):
        out = subprocess.run([sys.executable, "-c", IMPORT_TIMER, *modules],
                             check=True, capture_output=True, text=True).stdout
        for module, value in zip(modules, out.split()):
            seconds[module].append(float(value))
    return seconds


def digits_data():
    from sklearn.datasets import load_digits
    from sklearn.preprocessing import StandardScaler

    X, y = load_digits(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def time_deep_net(X, y, max_iter, backend):
    """(fit s, epochs run) of ``DeepNetClassifier(max_iter=..., random_state=0)``."""
    params = dict(max_iter=max_iter, random_state=SEED, backend=backend)
    if backend == "torch":
        params["device"] = "cpu"
    model = DeepNetClassifier(**params)
    return timed_fit(model, X, y), model.n_iter_


def time_wide_mlp(X, y, hidden, batch_size, backend):
    """(fit s, epochs run) of one epoch of a ReLU/Adam ``MLPClassifier``."""
    params = dict(hidden_layer_sizes=tuple(hidden), batch_size=batch_size, max_iter=1,
                  tol=0.0, n_iter_no_change=np.inf, random_state=SEED, backend=backend)
    if backend == "torch":
        params["device"] = "cpu"
    model = MLPClassifier(**params)
    return timed_fit(model, X, y), model.n_iter_


def numpy_vs_torch(run, repeats, label):
    """Interleaved repeats of ``run(backend) -> (seconds, epochs)`` for both engines."""
    times = {"numpy": [], "torch": []}
    epochs = {}
    for repeat in range(repeats):
        for backend in times:
            time.sleep(SETTLE_SECONDS)
            seconds, epochs[backend] = run(backend)
            times[backend].append(seconds)
        print(f"  {label} repeat {repeat + 1}/{repeats}: numpy {times['numpy'][-1]:.3f}s, "
              f"torch {times['torch'][-1]:.3f}s", flush=True)
    ratios = [t / n for t, n in zip(times["torch"], times["numpy"])]
    return {"raw": times, "epochs": epochs,
            "median": {name: statistics.median(t) for name, t in times.items()},
            "torch/numpy": statistics.median(ratios), "ratio range": (min(ratios), max(ratios))}


def cpu_cost_section(args):
    result = {"import": {"torch alone": import_seconds(["torch"], args.import_repeats)["torch"]}}
    after_sknn = import_seconds(["sknn", "torch"], args.import_repeats)
    result["import"]["sknn"] = after_sknn["sknn"]
    result["import"]["torch after sknn"] = after_sknn["torch"]
    print("  import: " + ", ".join(f"{m} {statistics.median(t):.3f}s"
                                   for m, t in result["import"].items()), flush=True)
    X, y = digits_data()
    for backend in ("numpy", "torch"):  # lazy imports, thread pools: out of repeat 1
        time_deep_net(X[:200], y[:200], 1, backend)
    result["digits"] = numpy_vs_torch(
        lambda backend: time_deep_net(X, y, args.digits_max_iter, backend),
        args.cost_repeats, "digits")
    X, y = large_data(args.wide_samples, args.n_features)
    for backend in ("numpy", "torch"):
        time_wide_mlp(X[:512], y[:512], args.wide_hidden, args.wide_batch, backend)
    result["wide"] = numpy_vs_torch(
        lambda backend: time_wide_mlp(X, y, args.wide_hidden, args.wide_batch, backend),
        args.cost_repeats, "wide")
    return result


# -- report ------------------------------------------------------------------------
def machine_info(torch, args):
    info = {
        "date": now_iso(), "platform": platform.platform(), "nproc": available_cores(),
        "threads": args.threads, "torch_threads": torch.get_num_threads(),
        "loadavg_start": os.getloadavg(),
        "versions": {"python": platform.python_version(), "numpy": np.__version__,
                     "scikit-learn": sklearn.__version__, "torch": torch.__version__,
                     "sknn": sknn.__version__},
        "threadpools": threadpools(("user_api", "internal_api", "num_threads")),
        "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
    }
    return info


def header_lines(info, args):
    return [
        *title_lines("PyTorch backend", info, f", CUDA: {info['cuda'] or 'none'}"),
        f"- threads: {info['threads']} for BLAS (threadpoolctl) and torch "
        f"(torch.get_num_threads()={info['torch_threads']})",
        *record_lines(info),
        "- main section: skipped (--skip-main)" if args.skip_main else
        f"- main section: {args.n_samples} x {args.n_features} float32, {N_CLASSES} classes, "
        f"hidden {tuple(args.hidden)}, ReLU, Adam lr {LEARNING_RATE}, alpha 0, "
        f"{args.epochs} epochs per fit, median of {args.repeats} repeats",
    ]


def main_table(rows):
    lines = ["| batch | sknn-torch fit s/epoch | torch-loop fit s/epoch | sknn-numpy fit s/epoch "
             "| sknn-torch epoch s | torch-loop epoch s | sknn-numpy epoch s "
             "| sknn-torch / torch-loop (fit) | sknn-torch / torch-loop (epoch) "
             "| sknn-numpy / sknn-torch (fit) |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        med = r["median"]
        numpy_med = med.get("sknn-numpy", {})
        lines.append(
            f"| {r['batch']} | {fmt(med['sknn-torch']['fit'])} | {fmt(med['torch-loop']['fit'])} "
            f"| {fmt(numpy_med.get('fit'))} | {fmt(med['sknn-torch']['epoch'])} "
            f"| {fmt(med['torch-loop']['epoch'])} | {fmt(numpy_med.get('epoch'))} "
            f"| {fmt(r['sknn-torch/torch-loop fit'], '.2f', 'x')} "
            f"| {fmt(r['sknn-torch/torch-loop epoch'], '.2f', 'x')} "
            f"| {fmt(r.get('sknn-numpy/sknn-torch fit'), '.2f', 'x')} |")
    return lines


def main_verdicts(rows):
    lines = []
    for r in rows:
        fit, epoch = r["sknn-torch/torch-loop fit"], r["sknn-torch/torch-loop epoch"]
        ok = fit <= TARGET_CPU_RATIO and epoch <= TARGET_CPU_RATIO
        lines.append(f"- batch {r['batch']}: sknn-torch / torch-loop = {fit:.2f}x (fit), "
                     f"{epoch:.2f}x (epoch): "
                     + ("meets" if ok else "MISSES") + f" the <= {TARGET_CPU_RATIO}x goal")
    return lines


def noise_lines(rows, limit=1.5):
    lines = []
    for r in rows:
        noisy = [f"{name} {min(t['fit']):.3f}-{max(t['fit']):.3f}s"
                 for name, t in r["raw"].items() if max(t["fit"]) > limit * min(t["fit"])]
        if noisy:
            lines.append(f"- noisy repeats at batch {r['batch']}: " + ", ".join(noisy))
    return lines


def large_lines(result, args):
    med = result["median"]
    lines = [f"## large problem: {args.large_samples} x {args.n_features} float32, hidden "
             f"{tuple(args.large_hidden)}, batch {args.large_batch}, {args.large_epochs} epochs, "
             f"median of {args.large_repeats}", "",
             f"sknn-torch and torch-loop on `{result['device']}`; the NumPy engine on the CPU "
             f"({args.threads} threads), 1 epoch on {result['subset']} samples scaled by "
             f"{args.large_samples / result['subset']:g}.", "",
             "| contender | fit s/epoch | epoch s |", "|---|---:|---:|"]
    lines += [f"| {name} | {fmt(t['fit'])} | {fmt(t['epoch'])} |" for name, t in med.items()]
    speedup = result["speedup epoch"]
    lines += ["", f"- speedup over the NumPy engine: {result['speedup fit']:.1f}x (fit), "
              f"{speedup:.1f}x (epoch): " + ("meets" if speedup >= TARGET_GPU_SPEEDUP
                                             else "MISSES")
              + f" the >= {TARGET_GPU_SPEEDUP:g}x goal",
              f"- sknn-torch / torch-loop: {result['sknn-torch/torch-loop fit']:.2f}x (fit), "
              f"{result['sknn-torch/torch-loop epoch']:.2f}x (epoch)"]
    return lines


def cpu_cost_lines(result, args):
    imports = {module: statistics.median(t) for module, t in result["import"].items()}
    widths = "-".join(str(w) for w in [args.n_features, *args.wide_hidden, N_CLASSES])
    lines = [f"## CPU cost of the torch backend ({args.threads} thread(s), medians of "
             f"{args.cost_repeats} interleaved repeats; ratios from the same repeat)", "",
             f"- import in a fresh interpreter (median of {args.import_repeats}): torch "
             f"{imports['torch alone']:.2f} s alone, {imports['torch after sknn']:.2f} s more "
             f"after `import sknn` ({imports['sknn']:.2f} s; the NumPy path never imports "
             "torch)", "",
             "| problem | epochs (numpy, torch) | NumPy fit s | torch fit s "
             "| torch / NumPy (range) |", "|---|---|---:|---:|---:|"]
    problems = {
        "digits": f"DeepNetClassifier(max_iter={args.digits_max_iter}, random_state=0), "
                  "scaled load_digits 1797 x 64",
        "wide": f"MLPClassifier {widths}, batch {args.wide_batch}, 1 epoch, "
                f"{args.wide_samples} x {args.n_features} float32",
    }
    for key, name in problems.items():
        r = result[key]
        low, high = r["ratio range"]
        lines.append(f"| {name} | {r['epochs']['numpy']}, {r['epochs']['torch']} "
                     f"| {fmt(r['median']['numpy'], '.3f')} | {fmt(r['median']['torch'], '.3f')} "
                     f"| {r['torch/numpy']:.2f}x ({low:.2f}-{high:.2f}) |")
    return lines


def main(argv=None):
    args = parse_args(argv)
    try:
        import torch
    except ImportError:
        sys.exit("bench_torch.py needs PyTorch: pip install sknn-learn[torch]")
    torch.set_num_threads(args.threads)
    large_device = args.large_device or ("cuda" if torch.cuda.is_available() else "none")
    with threadpool_limits(limits=args.threads):
        info = machine_info(torch, args)
        header = header_lines(info, args)
        print("\n".join(header) + "\n", flush=True)
        rows, body = [], []
        if not args.skip_main:
            rows = main_section(torch, args)
            body += ["", *main_table(rows), "", *main_verdicts(rows), *noise_lines(rows)]
        cpu_cost = None
        if not args.skip_cpu_cost:
            cpu_cost = cpu_cost_section(args)
            body += ["", *cpu_cost_lines(cpu_cost, args)]
        large = None
        if large_device != "none":
            large = large_section(torch, args, large_device)
            body += ["", *large_lines(large, args)]
        else:
            body += ["", "- large section skipped: no CUDA device (use --large-device to force)"]
    body += ["", loadavg_line("end")]
    print("\n".join(body))
    base = write_results(RESULTS_DIR, "bench_torch", args.quick, header + body, vars(args), info,
                         rows=rows, cpu_cost=cpu_cost, large=large)
    print(f"\nresults: {base}.json, {base}.md")


if __name__ == "__main__":
    main()
