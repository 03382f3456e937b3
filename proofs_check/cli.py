"""The ``mesacheck`` command line.

Heavy imports (SymPy, NumPy, SciPy) happen inside the commands that need them, so that
``mesacheck --help`` and ``mesacheck list`` answer at once.

Exit codes: 0 all verified, 1 something refuted, 3 something inconclusive, 2 usage error.
"""
from __future__ import annotations

import argparse
import sys
import time

EXIT_OK, EXIT_REFUTED, EXIT_USAGE, EXIT_INCONCLUSIVE = 0, 1, 2, 3
#: Below this many claims, worker start-up (importing SymPy) costs more than it saves.
AUTO_PARALLEL_MIN_CLAIMS = 6


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

    p = sub.add_parser("show", help="statement, hypotheses, source and checks of one claim")
    p.add_argument("claim_id", metavar="ID")

    p = sub.add_parser("latex", help="the derived statement of a claim as LaTeX")
    p.add_argument("claim_id", metavar="ID")

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

    p = sub.add_parser("report", help="write Markdown, JSON and LaTeX reports of verified claims")
    p.add_argument("patterns", nargs="*", metavar="ID|PREFIX")
    p.add_argument("--out", default="mesacheck-report", metavar="DIR")
    p.add_argument("--slow", action="store_true")
    p.add_argument("--timeout", type=_timeout_seconds, default=None, metavar="S",
                   help="time bound per check in seconds (default 120; 0: none)")
    return parser


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
    """Progress lines on stderr when it is a terminal (never in pipes or --json output)."""

    def __init__(self, enabled: bool):
        self.enabled = enabled and sys.stderr.isatty()

    def __call__(self, done: int, total: int, message: str = "") -> None:
        if not self.enabled:
            return
        width = 24
        filled = int(width * done / max(total, 1))
        sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {message[:60]:<60}")
        if done >= total:
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
    progress = _Progress(not args.no_progress and not args.json)
    jobs = args.jobs
    if jobs is None:
        import os

        jobs = min(os.cpu_count() or 1, 4) if len(claims) >= AUTO_PARALLEL_MIN_CLAIMS else 1
    start = time.perf_counter()
    verdicts = _verify_claims(claims, args.slow, args.at, jobs, progress)
    wall = time.perf_counter() - start
    if args.json:
        from .reports import verdicts_json

        statements = {}
        for claim in claims:
            statements[claim.id] = _statement_payload(claim)
        print(verdicts_json(verdicts, statements))
    else:
        from .reports import verdict_table

        print(verdict_table(verdicts, wall_seconds=wall))
    return _status_exit(verdicts)


def _verify_one(claim_id: str, include_slow: bool, at: dict | None):
    from .registry import get

    return get(claim_id).verify(include_slow=include_slow, at=at)


def _verify_claims(claims, include_slow: bool, at: dict | None, jobs: int, progress) -> list:
    """Verify claims in order; with ``jobs > 1`` in worker processes (claims are independent)."""
    total = len(claims)
    if jobs <= 1 or total <= 1:
        verdicts = []
        for k, claim in enumerate(claims):
            progress(k, total, f"checking {claim.id}")
            verdicts.append(claim.verify(include_slow=include_slow, at=at))
        progress(total, total, "done")
        return verdicts
    from concurrent.futures import ProcessPoolExecutor, as_completed

    results: dict[str, object] = {}
    progress(0, total, f"checking {total} claims in {jobs} processes")
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        futures = {pool.submit(_verify_one, c.id, include_slow, at): c.id for c in claims}
        for future in as_completed(futures):
            results[futures[future]] = future.result()
            progress(len(results), total, f"{futures[future]} {results[futures[future]].status.value}")
    return [results[c.id] for c in claims]


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
    from .registry import get

    claim = get(args.claim_id)
    if claim.statement is None:
        raise UsageError(f"claim {claim.id} has no symbolic statement to print (it is a numerical agreement)")
    print(claim.latex())
    return EXIT_OK


def cmd_simulate(args) -> int:
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
    _check_writable(args.out)
    try:
        result = simulate(args.name, quick=args.quick, seed=args.seed, out_dir=args.out,
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
        os.makedirs(directory, exist_ok=True)
        probe = os.path.join(directory, ".mesacheck-write-test")
        with open(probe, "w"):
            pass
        os.remove(probe)
    except OSError as exc:
        raise UsageError(f"--out {directory!r} is not a writable directory ({exc.strerror}): "
                         "choose another path") from None


def cmd_report(args) -> int:
    import os

    from .registry import select
    from .reports import latex_report, markdown_report, verdicts_json

    claims = select(args.patterns)
    _check_writable(args.out)
    progress = _Progress(True)
    verdicts = []
    for k, claim in enumerate(claims):
        progress(k, len(claims), f"checking {claim.id}")
        verdicts.append(claim.verify(include_slow=args.slow))
    progress(len(claims), len(claims), "done")
    files = {"report.md": markdown_report(claims, verdicts),
             "report.json": verdicts_json(verdicts, {c.id: _statement_payload(c) for c in claims}),
             "report.tex": latex_report(claims, verdicts)}
    for name, text in files.items():
        with open(os.path.join(args.out, name), "w") as handle:
            handle.write(text)
    print(f"wrote {', '.join(os.path.join(args.out, n) for n in files)}")
    return _status_exit(verdicts)


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
            "simulate": cmd_simulate, "report": cmd_report, "mutate": cmd_mutate}


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
        print("mesacheck: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
