"""The ``mesacheck`` command line.

Heavy imports (SymPy, NumPy, SciPy) happen inside the commands that need them, so that
``mesacheck --help`` and ``mesacheck list`` answer at once.

Exit codes: 0 all verified, 1 something refuted, 3 something inconclusive, 2 usage error.
"""
from __future__ import annotations

import argparse
import contextlib
import sys
import time

EXIT_OK, EXIT_REFUTED, EXIT_USAGE, EXIT_INCONCLUSIVE = 0, 1, 2, 3
EXIT_INTERRUPTED = 130
#: Below this many claims, worker start-up (importing SymPy) costs more than it saves.
AUTO_PARALLEL_MIN_CLAIMS = 6
#: Default worker count at most (each worker holds its own SymPy caches).
MAX_AUTO_JOBS = 4


class UsageError(Exception):
    """A one-line message for the user; exit code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit 2, no usage dump
        raise UsageError(f"{message} (see 'mesacheck {self.prog.split()[-1] if ' ' in self.prog else ''} --help')"
                         .replace("mesacheck  --help", "mesacheck --help"))


def _build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="mesacheck",
                     description="Re-derive and check the theory of in-context learning in linear attention.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser("list", help="list the registered claims (ids, titles, sources)")
    p.add_argument("patterns", nargs="*", metavar="ID|PREFIX")

    p = sub.add_parser("verify", help="check claims and print verdicts")
    p.add_argument("patterns", nargs="*", metavar="ID|PREFIX", help="claims to check (default: all)")
    p.add_argument("--json", action="store_true", help="one JSON document on stdout")
    p.add_argument("--slow", action="store_true", help="also run checks marked slow")
    p.add_argument("--at", type=_sizes, default=None, metavar="NAME=N,...",
                   help="check at these sizes only, e.g. --at Nx=12,Ny=1,N=20 (see 'mesacheck show ID')")
    p.add_argument("-j", "--jobs", type=_positive_int, default=None, metavar="N",
                   help="check claims in N processes (default: one per core, up to 4, when checking "
                        f"{AUTO_PARALLEL_MIN_CLAIMS} or more claims; else 1)")
    p.add_argument("--property", action="store_true", help="run the Hypothesis property checks instead")
    p.add_argument("--examples", type=_positive_int, default=None, help="examples per property (with --property)")
    p.add_argument("--seed", type=int, default=None, help="seed for property checks")
    p.add_argument("--no-progress", action="store_true", help="do not show progress on the terminal")
    p.add_argument("--timeout", type=_timeout_seconds, default=None, metavar="S",
                   help="time bound per check in seconds (default 120; 0: none); past it a check is INCONCLUSIVE")
    p.add_argument("--force", action="store_true",
                   help="with --at: run even when the estimated time or memory is over the budget")
    p.add_argument("-v", "--scope", action="store_true",
                   help="list every check under its claim with the scope it earned (what was proved, for which sizes)")
    p.add_argument("--no-cache", action="store_true",
                   help="do not read or write the on-disk cache of derivations (same as MESACHECK_NO_CACHE=1)")

    p = sub.add_parser("show", help="statement, hypotheses, source and checks of one claim")
    p.add_argument("claim_id", metavar="ID")

    p = sub.add_parser("latex", help="claims as LaTeX: fragments to \\input, or a standalone document")
    p.add_argument("patterns", nargs="*", metavar="ID|PREFIX", help="claims to print (default: all)")
    p.add_argument("--out", default=None, metavar="DIR", help="write one <id>.tex fragment per claim into DIR")
    p.add_argument("--document", default=None, metavar="FILE", help="write a standalone LaTeX document to FILE")
    p.add_argument("--verify", action="store_true", help="check the claims and add verdict and proof scope")
    p.add_argument("--slow", action="store_true", help="with --verify: also run checks marked slow")

    p = sub.add_parser("simulate", help="reproduce a paper's simulation (figures and JSON)")
    p.add_argument("name", metavar="NAME", nargs="?", help="simulation name (omit to list them)")
    p.add_argument("--quick", action="store_true", help="a small, fast version")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default="mesacheck-out", metavar="DIR", help="output directory (default: mesacheck-out)")
    p.add_argument("--no-progress", action="store_true")

    p = sub.add_parser("mutate", help="mutation testing: are deliberate errors in the theory and in the "
                                      "stated closed forms refuted by the checks?")
    p.add_argument("patterns", nargs="*", metavar="ID|PREFIX",
                   help="claims (statement mutants), papers or mutant ids (model mutants); default: all")
    p.add_argument("--json", action="store_true", help="one JSON document on stdout")
    p.add_argument("--full", action="store_true", help="the full model-mutant catalogue (default: the quick one)")
    p.add_argument("--list", action="store_true", help="list the selected mutants without running them")
    p.add_argument("--models-only", action="store_true", help="no statement mutants")
    p.add_argument("-j", "--jobs", type=_positive_int, default=None, metavar="N",
                   help="mutants run in N processes at once (default: one per core, up to 4)")
    p.add_argument("--mutant-timeout", type=_positive_float, default=None, metavar="S",
                   help="time bound per mutant in seconds (default 240); past it the mutant survives, 'timed out'")
    p.add_argument("--timeout", type=_timeout_seconds, default=None, metavar="S",
                   help="time bound per check in seconds (default 120; 0: none); past it a check is INCONCLUSIVE")
    p.add_argument("--no-progress", action="store_true", help="do not show progress on the terminal")

    p = sub.add_parser("sweep", help="train over a grid of settings (tidy table, figure, resumable)")
    p.add_argument("grid", metavar="GRID",
                   help='a JSON file or a JSON object: setting -> list of values, e.g. \'{"T": [10, 20], '
                        '"mode": ["empirical", "population"]}\' (settings: d, T, law, scale, init, lr, m, epochs, mode)')
    p.add_argument("--out", default="mesacheck-sweep", metavar="DIR",
                   help="rows.jsonl (resumption), results.csv, results.json, summary.png")
    p.add_argument("-j", "--jobs", type=_positive_int, default=1, metavar="N", help="points in N local processes")
    p.add_argument("--dask", default=None, metavar="ADDRESS",
                   help="run the points on a Dask cluster (scheduler address, e.g. tcp://host:8786)")
    p.add_argument("--dask-timeout", type=float, default=10.0, metavar="SECONDS",
                   help="how long to try to reach the Dask scheduler (default 10)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--no-resume", action="store_true", help="rerun the points already finished in DIR")
    p.add_argument("--no-progress", action="store_true")

    p = sub.add_parser("report", help="write Markdown, JSON and LaTeX reports of verified claims")
    p.add_argument("patterns", nargs="*", metavar="ID|PREFIX")
    p.add_argument("--out", default="mesacheck-report", metavar="DIR")
    p.add_argument("--slow", action="store_true")
    p.add_argument("--timeout", type=_timeout_seconds, default=None, metavar="S",
                   help="time bound per check in seconds (default 120; 0: none)")
    p.add_argument("-j", "--jobs", type=_positive_int, default=None, metavar="N",
                   help="check claims in N processes (default as for verify)")
    p.add_argument("--no-cache", action="store_true",
                   help="do not read or write the on-disk cache of derivations (same as MESACHECK_NO_CACHE=1)")
    p.add_argument("--no-progress", action="store_true", help="do not show progress on the terminal")
    return parser


def _apply_no_cache(args) -> None:
    """``--no-cache``: set the variable that worker processes inherit."""
    if getattr(args, "no_cache", False):
        import os

        from .cache import ENV_OFF

        os.environ[ENV_OFF] = "1"


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a positive integer (got {text!r})") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer (got {value})")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds (got {text!r})") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds (got {text})")
    return value


def _timeout_seconds(text: str) -> float:
    import math

    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number of seconds >= 0 (got {text!r})") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"must be a number of seconds >= 0 (got {text!r}); 0 means no bound")
    return value


def _sizes(text: str) -> dict:
    """``"Nx=12,N=20"`` -> ``{"Nx": 12, "N": 20}``; positive integers only."""
    out = {}
    for part in text.split(","):
        name, sep, value = part.partition("=")
        name = name.strip()
        if not sep or not name:
            raise argparse.ArgumentTypeError(f"expected NAME=N pairs separated by commas (got {part!r})")
        try:
            number = int(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"size {name} must be a positive integer (got {value!r})") from None
        if number < 1:
            raise argparse.ArgumentTypeError(f"size {name} must be a positive integer (got {number})")
        if name in out:
            raise argparse.ArgumentTypeError(f"size {name} is given twice ({out[name]} and {number}): give it once")
        out[name] = number
    return out


def _status_exit(verdicts) -> int:
    statuses = {v.status.value for v in verdicts}
    if "REFUTED" in statuses:
        return EXIT_REFUTED
    if "INCONCLUSIVE" in statuses:
        return EXIT_INCONCLUSIVE
    return EXIT_OK


class _Progress:
    """Progress lines on stderr when it is a terminal (never in pipes or --json output).

    While an item runs, a background thread refreshes the line every second with the time spent
    on it, so a long check (a large ``--at``) visibly advances.
    """

    def __init__(self, enabled: bool):
        self.enabled = enabled and sys.stderr.isatty()
        self._line = None
        self._started = 0.0
        self._ticker = None

    def __call__(self, done: int, total: int, message: str = "") -> None:
        if not self.enabled:
            return
        width = 24
        filled = int(width * done / max(total, 1))
        self._line = f"[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {message[:50]}"
        self._started = time.monotonic()
        self._draw()
        if done >= total:
            self._line = None
            sys.stderr.write("\n")
            sys.stderr.flush()
        elif self._ticker is None:
            import threading

            self._ticker = threading.Thread(target=self._tick, daemon=True)
            self._ticker.start()

    def _draw(self) -> None:
        line = self._line
        if line is not None:
            sys.stderr.write(f"\r{line} ({time.monotonic() - self._started:.0f} s)   ")
            sys.stderr.flush()

    def _tick(self) -> None:  # pragma: no cover - only on a terminal
        while self._line is not None:
            time.sleep(1.0)
            self._draw()

    def clear(self) -> None:
        """End a progress line cut short (e.g. by Ctrl-C)."""
        if self.enabled:
            self._line = None
            sys.stderr.write("\n")
            sys.stderr.flush()


def cmd_list(args) -> int:
    from .registry import select

    claims = select(args.patterns)
    width = max(len(c.id) for c in claims)
    for c in claims:
        print(f"{c.id.ljust(width)}  {c.title}\n{' ' * width}  [{c.source}]")
    return EXIT_OK


def cmd_verify(args) -> int:
    if args.property:
        _reject_flags(args, "with --property", **{"--at": args.at, "-j/--jobs": args.jobs,
                                                  "--slow": args.slow or None, "--force": args.force or None})
    else:
        _reject_flags(args, "without --property", **{"--examples": args.examples, "--seed": args.seed})
        if args.at:
            _reject_flags(args, "with --at (it runs the sized checks only)", **{"--slow": args.slow or None})
        else:
            _reject_flags(args, "without --at", **{"--force": args.force or None})
    if args.property:
        try:
            from .properties import run_properties
        except ModuleNotFoundError:
            raise UsageError("property checks are not available in this build") from None
        return run_properties(patterns=args.patterns, examples=args.examples, seed=args.seed,
                              progress=_Progress(not args.no_progress), as_json=args.json)
    from .registry import select

    from .registry import validate_sizes

    claims = select(args.patterns)
    if args.at:
        for claim in claims:
            try:
                validate_sizes(claim, args.at)
            except ValueError as exc:
                raise UsageError(str(exc)) from None
        if not args.force:
            from .budget import check_budget

            try:
                check_budget(claims, args.at)
            except ValueError as exc:
                raise UsageError(str(exc)) from None
    progress = _Progress(not args.no_progress and not args.json)
    _apply_no_cache(args)
    jobs = _choose_jobs(args.jobs, len(claims))
    start = time.perf_counter()
    try:
        verdicts = _verify_claims(claims, args.slow, args.at, jobs, progress)
    except Interrupted as stop:
        _ignore_interrupts()
        progress.clear()
        _print_verdicts(args, claims, stop.done, time.perf_counter() - start)
        print(f"mesacheck: interrupted: {len(stop.done)} of {len(claims)} claims checked (shown above)",
              file=sys.stderr)
        return EXIT_INTERRUPTED
    _print_verdicts(args, claims, verdicts, time.perf_counter() - start)
    return _status_exit(verdicts)


def _ignore_interrupts() -> None:
    """After the first Ctrl-C only printing and exiting remain: a second one must not cut them short."""
    import signal

    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    except ValueError:  # pragma: no cover - not the main thread (main() called from a thread)
        pass


def _print_verdicts(args, claims, verdicts, wall: float) -> None:
    if args.json:
        from .reports import verdicts_json

        done = {v.claim_id for v in verdicts}
        print(verdicts_json(verdicts, {c.id: _statement_payload(c) for c in claims if c.id in done},
                            parameters={"patterns": list(args.patterns), "slow": args.slow, "at": args.at,
                                        "jobs": args.jobs}))
    else:
        from .reports import verdict_table

        print(verdict_table(verdicts, wall_seconds=wall, scopes=getattr(args, "scope", False)))


def _cores() -> int:
    import os

    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def _choose_jobs(requested: int | None, n_claims: int) -> int:
    """Worker count: at most the cores and at most the claims; capping is said on stderr."""
    cores = _cores()
    if requested is None:
        return min(cores, MAX_AUTO_JOBS, n_claims) if n_claims >= AUTO_PARALLEL_MIN_CLAIMS else 1
    jobs = requested
    if jobs > cores:
        print(f"mesacheck: -j {requested} capped at {cores} (the cores available)", file=sys.stderr)
        jobs = cores
    return max(1, min(jobs, n_claims))


def _reject_flags(args, where: str, **given) -> None:
    """Exit 2 when a flag is given that the chosen mode (``where``) does not use; never ignore it."""
    used = [name for name, value in given.items() if value is not None]
    if used:
        raise UsageError(f"{', '.join(used)} {'does' if len(used) == 1 else 'do'} not apply {where}: "
                         f"drop {'it' if len(used) == 1 else 'them'}")


def _verify_one(claim_id: str, include_slow: bool, at: dict | None):
    from .registry import get

    return get(claim_id).verify(include_slow=include_slow, at=at)


class Interrupted(Exception):
    """Ctrl-C during a run; ``done`` holds the verdicts finished so far, in claim order."""

    def __init__(self, done: list):
        super().__init__(f"interrupted after {len(done)} claims")
        self.done = done


def _worker(tasks, results) -> None:  # pragma: no cover - runs in a child process
    """Verify the claim ids read from ``tasks`` until ``None``; Ctrl-C is the parent's to handle."""
    import signal
    import traceback

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    while True:
        item = tasks.get()
        if item is None:
            return
        claim_id, include_slow, at = item
        try:
            results.put((claim_id, _verify_one(claim_id, include_slow, at), None))
        except Exception as exc:  # noqa: BLE001 - reported by the parent
            results.put((claim_id, None, f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}"))


def _stop_workers(workers, grace: float = 0.5) -> None:
    """Terminate, then kill, every worker; bounded in time, deaf to a second Ctrl-C."""
    import signal

    workers = [w for w in workers if w.pid is not None]  # started ones only
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        for w in workers:
            if w.is_alive():
                w.terminate()
        deadline = time.monotonic() + grace
        for w in workers:
            w.join(max(0.0, deadline - time.monotonic()))
        for w in workers:
            if w.is_alive():
                w.kill()
                w.join(0.5)
    finally:
        signal.signal(signal.SIGINT, previous)


def _verify_claims(claims, include_slow: bool, at: dict | None, jobs: int, progress) -> list:
    """Verify claims in order; with ``jobs > 1`` in worker processes (claims are independent).

    Raises
    ------
    Interrupted
        On Ctrl-C: workers are terminated at once and the verdicts finished so far are kept.
    """
    total = len(claims)
    if jobs <= 1 or total <= 1:
        verdicts = []
        try:
            for k, claim in enumerate(claims):
                progress(k, total, f"checking {claim.id}")
                verdicts.append(claim.verify(include_slow=include_slow, at=at))
        except KeyboardInterrupt:
            raise Interrupted(verdicts) from None
        progress(total, total, "done")
        return verdicts
    import multiprocessing
    import queue

    ctx = multiprocessing.get_context()
    tasks, results_q = ctx.Queue(), ctx.Queue()
    for c in claims:
        tasks.put((c.id, include_slow, at))
    workers = []
    results: dict[str, object] = {}
    try:
        for _ in range(jobs):
            tasks.put(None)
        import signal

        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)  # inherited: no window before the child's own
        try:
            for _ in range(jobs):
                w = ctx.Process(target=_worker, args=(tasks, results_q), daemon=True)
                workers.append(w)
                w.start()
        finally:
            signal.signal(signal.SIGINT, previous)
        progress(0, total, f"checking {total} claims in {jobs} processes")
        while len(results) < total:
            try:
                claim_id, verdict, error = results_q.get(timeout=0.2)
            except queue.Empty:
                if not any(w.is_alive() for w in workers):
                    raise RuntimeError("every worker process stopped before all claims were checked "
                                       "(out of memory?): rerun with -j 1") from None
                continue
            if error is not None:
                raise RuntimeError(f"checking {claim_id} failed in a worker: {error}")
            results[claim_id] = verdict
            progress(len(results), total, f"{claim_id} {verdict.status.value}")
    except KeyboardInterrupt:
        _stop_workers(workers)
        _discard(tasks, results_q)
        raise Interrupted([results[c.id] for c in claims if c.id in results]) from None
    except BaseException:
        _stop_workers(workers)
        _discard(tasks, results_q)
        raise
    for w in workers:
        w.join(1.0)
    _stop_workers(workers)
    _discard(tasks, results_q)
    return [results[c.id] for c in claims]


def _discard(*queues) -> None:
    for q in queues:
        q.cancel_join_thread()
        q.close()


def _statement_payload(claim) -> dict | None:
    if claim.statement is None:
        return None
    import sympy as sp

    from theory.printing import latex

    try:
        expr = claim.statement()
    except Exception as exc:  # noqa: BLE001 - reported in the document, not raised
        return {"error": f"{type(exc).__name__}: {exc}"}
    return {"srepr": sp.srepr(sp.Tuple(*expr) if isinstance(expr, (list, tuple)) else expr), "latex": latex(expr)}


def cmd_show(args) -> int:
    from .registry import get

    claim = get(args.claim_id)
    print(f"{claim.id}: {claim.title}")
    print(f"source: {claim.source}")
    if claim.hypotheses:
        print("hypotheses:")
        for h in claim.hypotheses:
            print(f"  - {h}")
    if claim.statement is not None:
        import sympy as sp

        expr = claim.statement()
        print("statement (derived):")
        for e in (expr if isinstance(expr, (list, tuple)) else [expr]):
            print(f"  {sp.sstr(e)}")
    if claim.description:
        print(f"how it is checked: {claim.description}")
    print("checks:")
    for c in claim.checks:
        sizes = f" (--at {','.join(p + '=N' for p in c.parameters)})" if c.parameters else ""
        print(f"  - {c.name} [at most {c.method.value}: {c.method.description}]{' (slow)' if c.slow else ''}{sizes}")
    return EXIT_OK


def cmd_latex(args) -> int:
    import os

    from .registry import select
    from .reports import claim_tex, tex_document, write_atomic

    claims = select(args.patterns)
    if args.out is not None:
        _check_writable(args.out)
    if args.document is not None:
        _check_writable_file(args.document, "--document")
    verdicts = None
    if args.verify:
        verdicts = _verify_claims(claims, args.slow, None, 1, _Progress(True))
    by_id = {v.claim_id: v for v in verdicts or []}
    version = _version()
    if args.out is not None:
        for claim in claims:
            write_atomic(os.path.join(args.out, f"{claim.id}.tex"), claim_tex(claim, by_id.get(claim.id), version))
        print(f"wrote {len(claims)} fragments to {args.out}")
    if args.document is not None:
        write_atomic(args.document, tex_document(claims, verdicts, version=version))
        print(f"wrote {args.document}")
    if args.out is None and args.document is None:
        sys.stdout.write("\n".join(claim_tex(c, by_id.get(c.id), version) for c in claims))
    return _status_exit(verdicts) if verdicts is not None else EXIT_OK


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("mesacheck")
    except Exception:  # noqa: BLE001 - not installed: no version to state
        return ""


def _check_writable_file(path: str, option: str) -> None:
    """``path`` can be created or replaced: its directory exists and is writable, and it is no directory."""
    import os

    directory = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise UsageError(f"{option} {path!r} is a directory: give a file name such as "
                         f"{os.path.join(path, 'claims.tex')!r}")
    if not os.path.isdir(directory):
        raise UsageError(f"{option} {path!r}: the directory {directory!r} does not exist: "
                         "create it or choose another path")
    if not os.access(directory, os.W_OK) or (os.path.exists(path) and not os.access(path, os.W_OK)):
        raise UsageError(f"{option} {path!r} is not writable: choose another path")


def cmd_simulate(args) -> int:
    if args.name is None:
        _reject_flags(args, "without NAME (listing the simulations)", **{"--quick": args.quick or None})
    if args.seed < 0:
        raise UsageError(f"--seed must be a non-negative integer (got {args.seed}): pass e.g. --seed 0")
    try:
        from numerics.simulations import SIMULATIONS, simulate
    except ModuleNotFoundError:
        raise UsageError("simulations are not available in this build") from None
    if args.name is None:
        for name in SIMULATIONS:
            print(name)
        return EXIT_OK
    if args.name not in SIMULATIONS:
        raise UsageError(f"unknown simulation {args.name!r}: choose one of {', '.join(SIMULATIONS)}")
    with _writable_output(args.out) as out:
        try:
            result = simulate(args.name, quick=args.quick, seed=args.seed, out_dir=out,
                              progress=_Progress(not args.no_progress))
        except (ValueError, OSError) as exc:
            raise UsageError(str(exc)) from None
    print(result)
    if result.status != "ok":
        print(f"mesacheck: {args.name}: {result.status}: {result.message}", file=sys.stderr)
        return EXIT_INCONCLUSIVE
    return EXIT_OK


def _check_writable(directory: str) -> None:
    import os

    try:
        import tempfile

        os.makedirs(directory, exist_ok=True)
        with tempfile.TemporaryFile(dir=directory):  # unlinked at once on POSIX: nothing left if interrupted
            pass
    except OSError as exc:
        raise UsageError(f"--out {directory!r} is not a writable directory ({exc.strerror}): "
                         "choose another path") from None


@contextlib.contextmanager
def _writable_output(directory: str):
    """:func:`proofs_check.io.output_directory` with the CLI's one-line error: the directory is
    created if missing and removed again, if still empty, when the run fails or is interrupted."""
    from .io import output_directory

    with contextlib.ExitStack() as stack:
        try:
            out = stack.enter_context(output_directory(directory))
        except OSError as exc:
            raise UsageError(f"--out {directory!r} is not a writable directory ({exc.strerror}): "
                             "choose another path") from None
        _check_writable(out)
        yield out


def cmd_report(args) -> int:
    import os

    from .io import atomic_write
    from .registry import select
    from .reports import latex_report, markdown_report, verdicts_json

    claims = select(args.patterns)
    with _writable_output(args.out):
        progress = _Progress(not args.no_progress)
        _apply_no_cache(args)
        try:
            verdicts = _verify_claims(claims, args.slow, None, _choose_jobs(args.jobs, len(claims)), progress)
        except Interrupted:
            progress.clear()
            raise KeyboardInterrupt from None  # nothing written: a report of some claims would mislead
        files = {"report.md": markdown_report(claims, verdicts),
                 "report.json": verdicts_json(verdicts, {c.id: _statement_payload(c) for c in claims},
                                              parameters={"patterns": list(args.patterns), "slow": args.slow}),
                 "report.tex": latex_report(claims, verdicts)}
        for name, text in files.items():
            atomic_write(os.path.join(args.out, name), text)
    print(f"wrote {', '.join(os.path.join(args.out, n) for n in files)}")
    return _status_exit(verdicts)


def _load_grid(text: str) -> dict:
    import json
    import os

    source = "GRID"
    if not text.lstrip().startswith("{"):
        if not os.path.isfile(text):
            raise UsageError(f"GRID {text!r} is neither a JSON object nor a file: pass e.g. '{{\"T\": [10, 20]}}'")
        source = text
        with open(text) as handle:
            text = handle.read()
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(f"{source} is not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})") from None


def cmd_sweep(args) -> int:
    from numerics.sweep import SweepError, expand_grid, run_sweep

    grid = _load_grid(args.grid)
    try:
        points = expand_grid(grid)
    except SweepError as exc:
        raise UsageError(str(exc)) from None
    _check_writable(args.out)
    progress = _Progress(not args.no_progress)
    client = None
    if args.dask:
        try:
            from dask.distributed import Client
        except ImportError:
            raise UsageError("--dask needs dask.distributed: pip install 'mesacheck[dask]'") from None
        try:
            client = Client(args.dask, timeout=f"{args.dask_timeout}s")
        except (OSError, TimeoutError, ValueError) as exc:
            raise UsageError(f"cannot reach the Dask scheduler at {args.dask!r} ({type(exc).__name__}): "
                             "check the address and that the scheduler is running") from None
        executor = client.get_executor()
    elif args.jobs > 1:
        from concurrent.futures import ProcessPoolExecutor

        executor = ProcessPoolExecutor(max_workers=args.jobs)
    else:
        executor = None
    try:
        rows = run_sweep(grid, executor=executor, out_dir=args.out, seed=args.seed, progress=progress,
                         resume=not args.no_resume)
    finally:
        if client is not None:
            client.close()
        elif executor is not None:
            executor.shutdown()
    failed = [r for r in rows if r["status"] != "ok"]
    print(f"{len(points)} points, {len(points) - len(failed)} ok, {len(failed)} failed; wrote "
          f"{args.out}/results.csv, results.json, summary.png")
    for r in failed[:5]:
        print(f"mesacheck: point {r['point_id']} failed: {r['error']}", file=sys.stderr)
    return EXIT_INCONCLUSIVE if failed else EXIT_OK


def cmd_mutate(args) -> int:
    """Exit 0 only when every selected mutant is killed (REFUTED by a check), 1 otherwise."""
    import json
    import os

    from .mutate import DEFAULT_TIMEOUT, mutant_table, run_mutants, select_mutants

    mutants, no_form = select_mutants(args.patterns, full=args.full, statements=not args.models_only)
    if args.list:
        for m in mutants:
            print(f"{m.id}  [{m.kind}] {m.description}")
        for claim_id in no_form:
            print(f"{claim_id}  [statement] no stated closed form: no statement mutants")
        return EXIT_OK
    if not mutants:
        raise UsageError("no mutants selected: the claims given have no stated closed form "
                         "(see 'mesacheck mutate --list')")
    jobs = args.jobs or min(os.cpu_count() or 1, 4)
    progress = _Progress(not args.no_progress and not args.json)
    start = time.perf_counter()
    results = run_mutants(mutants, jobs=jobs, timeout=args.mutant_timeout or DEFAULT_TIMEOUT,
                          progress=progress)
    wall = time.perf_counter() - start
    if args.json:
        print(json.dumps({"mutants": [r.to_dict() for r in results], "no_closed_form": list(no_form),
                          "killed": sum(r.killed for r in results), "total": len(results),
                          "seconds": round(wall, 2)}, indent=2))
    else:
        print(mutant_table(results, no_form, wall_seconds=wall))
    return EXIT_OK if all(r.killed for r in results) else EXIT_REFUTED


COMMANDS = {"list": cmd_list, "verify": cmd_verify, "show": cmd_show, "latex": cmd_latex,
            "simulate": cmd_simulate, "report": cmd_report, "sweep": cmd_sweep, "mutate": cmd_mutate}


def main(argv: list[str] | None = None) -> int:
    parser = _build_parser()
    try:
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help()
            return EXIT_USAGE
        if getattr(args, "timeout", None) is not None:
            import os

            os.environ["MESACHECK_TIMEOUT"] = repr(args.timeout)    # inherited by worker processes
        return COMMANDS[args.command](args)
    except UsageError as exc:
        print(f"mesacheck: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyError as exc:
        from .registry import UnknownClaimError

        if isinstance(exc, UnknownClaimError):
            print(f"mesacheck: error: {exc}", file=sys.stderr)
            return EXIT_USAGE
        raise
    except KeyboardInterrupt:
        _ignore_interrupts()
        print("mesacheck: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
