"""Reliability of the command line: Ctrl-C, bounded resources, atomic outputs, no silent flags,
Hypothesis's files out of the working directory, and a fuzz test of the argument parser.

The Ctrl-C tests run the real CLI in a subprocess (its own process group, as a terminal's
foreground job is) and send SIGINT to the group, as a terminal does.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from proofs_check import cli, registry
from proofs_check.budget import check_budget, estimate
from proofs_check.io import atomic_write, output_directory
from proofs_check.registry import Check, Claim
from proofs_check.verdicts import Method, inconclusive, verified

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# ----------------------------------------------------------------------------- Ctrl-C
def _interrupt(args, wait, twice=False, tmp_path=None):
    """Start ``python -m proofs_check.cli *args``, SIGINT its process group after ``wait`` s.

    Returns (exit code, seconds from the first SIGINT to exit, stdout, stderr, group alive after).
    """
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.Popen([sys.executable, "-m", "proofs_check.cli", *args], cwd=tmp_path or ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    time.sleep(wait)
    start = time.monotonic()
    os.killpg(proc.pid, signal.SIGINT)
    if twice:
        time.sleep(0.05)
        try:
            os.killpg(proc.pid, signal.SIGINT)
        except ProcessLookupError:
            pass
    try:
        out, err = proc.communicate(timeout=20)
    except subprocess.TimeoutExpired:  # pragma: no cover - the failure this test exists for
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        pytest.fail(f"mesacheck {' '.join(args)} did not stop within 20 s of Ctrl-C")
    stopped = time.monotonic() - start
    time.sleep(0.2)
    try:
        os.killpg(proc.pid, 0)
        alive = True
    except ProcessLookupError:
        alive = False
    if alive:  # pragma: no cover - clean up orphans before failing
        os.killpg(proc.pid, signal.SIGKILL)
    return proc.returncode, stopped, out, err, alive


@pytest.mark.skipif(not hasattr(os, "killpg"), reason="POSIX process groups")
def test_ctrl_c_stops_parallel_verify_at_once(tmp_path):
    code, stopped, out, err, alive = _interrupt(["verify", "-j", "2"], wait=4.0, tmp_path=tmp_path)
    assert code == cli.EXIT_INTERRUPTED, err
    assert stopped < 2.0, f"took {stopped:.2f} s to stop"
    assert "interrupted" in err and "Traceback" not in err
    assert "claims checked" in err and "claim" in out   # the finished claims are printed
    assert not alive, "worker processes survived the interrupt"


@pytest.mark.skipif(not hasattr(os, "killpg"), reason="POSIX process groups")
def test_second_ctrl_c_never_hangs(tmp_path):
    code, stopped, out, err, alive = _interrupt(["verify", "-j", "2"], wait=2.5, twice=True, tmp_path=tmp_path)
    assert code == cli.EXIT_INTERRUPTED and stopped < 2.0 and not alive
    assert "Traceback" not in err


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(os, "killpg"), reason="POSIX process groups")
@pytest.mark.parametrize("args", [["verify", "-j", "1"], ["verify", "--property"], ["report", "--out", "rep/x"],
                                  ["simulate", "oswald2022-one-layer", "--quick", "--out", "sim/x"]],
                         ids=["serial", "property", "report", "simulate"])
def test_ctrl_c_stops_every_long_command(args, tmp_path):
    code, stopped, out, err, alive = _interrupt(args, wait=4.0, tmp_path=tmp_path)
    assert code == cli.EXIT_INTERRUPTED and stopped < 2.0 and not alive
    assert "interrupted" in err and "Traceback" not in err
    assert not (tmp_path / "rep").exists() and not (tmp_path / "sim").exists(), "left a directory it created"


# ----------------------------------------------------------------------------- bounded resources
def test_jobs_capped_at_cores_and_claims(capsys, monkeypatch):
    monkeypatch.setattr(cli, "_cores", lambda: 2)
    assert cli._choose_jobs(10000, 25) == 2
    assert "capped at 2" in capsys.readouterr().err
    assert cli._choose_jobs(2, 1) == 1                 # never more workers than claims
    assert cli._choose_jobs(None, 3) == 1              # few claims: one process
    assert cli._choose_jobs(None, 25) == 2


@pytest.mark.parametrize("claim_id,at,largest", [
    ("oswald2022.O1", {"Nx": 100000, "Ny": 1, "N": 1}, "Nx="),
    ("related.N", {"d": 99999999999999999999}, "d="),
    ("zheng2024.C1", {"d": 6, "T": 12}, "d=3"),
])
def test_over_budget_sizes_are_refused_before_work(claim_id, at, largest):
    claim = registry.get(claim_id)
    with pytest.raises(ValueError) as err:
        check_budget([claim], at)
    message = str(err.value)
    assert "estimated at" in message and "--force" in message and largest in message


def test_budget_model_grows_with_the_sizes_and_defaults_fit():
    claim = registry.get("zheng2024.C1")
    small, large = estimate(claim, {"d": 2, "T": 4}), estimate(claim, {"d": 3, "T": 6})
    assert small[0] < large[0] and small[1] < large[1]
    for cid in ("oswald2022.O1", "oswald2022.O2", "zheng2024.C3", "related.ZFB1"):
        check_budget([registry.get(cid)], {})           # the default sizes are within budget


def test_cli_refuses_over_budget_and_force_is_accepted(capsys):
    assert cli.main(["verify", "related.N", "--at", "d=99999999999999999999"]) == cli.EXIT_USAGE
    assert "over the budget" in capsys.readouterr().err
    assert cli.main(["verify", "related.ZFB1", "--at", "d=2", "--force"]) == cli.EXIT_OK


# ----------------------------------------------------------------------------- no silent flags
@pytest.mark.parametrize("argv,fragment", [
    (["verify", "--examples", "3"], "--examples does not apply without --property"),
    (["verify", "--seed", "1"], "--seed does not apply without --property"),
    (["verify", "--property", "--at", "d=2"], "--at does not apply with --property"),
    (["verify", "--property", "-j", "2"], "-j/--jobs does not apply with --property"),
    (["verify", "--property", "--slow"], "--slow does not apply with --property"),
    (["verify", "zheng2024.C1", "--at", "d=1,d=3"], "size d is given twice"),
    (["verify", "related.N", "--at", "d=2", "--slow"], "--slow does not apply with --at"),
    (["verify", "related.N", "--force"], "--force does not apply without --at"),
    (["simulate", "--quick"], "--quick does not apply"),
    (["simulate", "oswald2022-one-layer", "--seed", "-1"], "--seed must be a non-negative integer"),
])
def test_flags_that_do_not_apply_are_errors(argv, fragment, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert cli.main(argv) == cli.EXIT_USAGE
    assert fragment in capsys.readouterr().err
    assert not (tmp_path / "mesacheck-out").exists()


# ----------------------------------------------------------------------------- atomic outputs
def test_atomic_write_leaves_old_file_on_failure(tmp_path):
    target = tmp_path / "a.txt"
    atomic_write(target, "old")

    def broken(tmp):
        with open(tmp, "w") as fh:
            fh.write("half")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        atomic_write(target, broken)
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"], "temporary file left behind"
    atomic_write(target, b"new")
    assert target.read_bytes() == b"new"


def test_output_directory_removed_when_interrupted_and_empty(tmp_path):
    with pytest.raises(KeyboardInterrupt):
        with output_directory(tmp_path / "a" / "b"):
            raise KeyboardInterrupt
    assert not (tmp_path / "a").exists()
    (tmp_path / "kept").mkdir()
    with pytest.raises(RuntimeError):
        with output_directory(tmp_path / "kept"):
            raise RuntimeError
    assert (tmp_path / "kept").is_dir()                 # existed before: never removed


@pytest.mark.slow
def test_figures_are_written_atomically(tmp_path):
    import numpy as np

    from numerics import plots

    path = plots.heatmaps(str(tmp_path / "h.png"), {"M": np.eye(2)})
    assert open(path, "rb").read(8) == b"\x89PNG\r\n\x1a\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["h.png"]


# ----------------------------------------------------------------------------- Hypothesis storage
def test_hypothesis_storage_is_a_user_cache(monkeypatch, tmp_path):
    from proofs_check import strategies

    monkeypatch.delenv(strategies.STORAGE_ENV, raising=False)
    monkeypatch.delenv("HYPOTHESIS_STORAGE_DIRECTORY", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert strategies.hypothesis_storage() == str(tmp_path / "cache" / "mesacheck" / "hypothesis")
    monkeypatch.setenv(strategies.STORAGE_ENV, str(tmp_path / "mine"))
    assert strategies.hypothesis_storage() == str(tmp_path / "mine")


def test_property_run_writes_nothing_in_the_working_directory(tmp_path):
    env = dict(os.environ, PYTHONPATH=ROOT, MESACHECK_HYPOTHESIS_DIR=str(tmp_path / "store"))
    work = tmp_path / "work"
    work.mkdir()
    done = subprocess.run([sys.executable, "-m", "proofs_check.cli", "verify", "--property", "oswald2022.O1.exact",
                           "--examples", "2", "--seed", "0"], cwd=work, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert list(work.iterdir()) == [], "Hypothesis wrote into the working directory"


# ----------------------------------------------------------------------------- fuzz the command line
def _fake_claims() -> dict:
    def ok():
        return verified("ok", Method.NUMERIC_TOLERANCE, "fine")

    def unsure():
        return inconclusive("unsure", Method.NUMERIC_TOLERANCE, "undecided", "test reason")

    sized = Check("sized", Method.SYMBOLIC_AT_SIZES, ok, parameters=("d", "T"), minimums={"T": (3, "T >= 3")},
                  sized=lambda d=1, T=3: ok())
    claims = [Claim("fake.A", "a", "src", checks=[Check("ok", Method.NUMERIC_TOLERANCE, ok)]),
              Claim("fake.B", "b", "src", checks=[Check("unsure", Method.NUMERIC_TOLERANCE, unsure)]),
              Claim("fake.S", "s", "src", checks=[sized])]
    return {c.id: c for c in claims}


TOKENS = st.sampled_from(["fake", "fake.A", "fake.B", "fake.S", "nope", "", "--json", "--slow", "--at", "d=2",
                          "d=2,T=3", "T=2", "d=0", "d=x", "q=1", "d=2,d=3", "=", ",", "-j", "--jobs", "1", "2",
                          "0", "-1", "99999", "3.5", "--property", "--examples", "--seed", "--no-progress",
                          "--force", "--quick", "--out", "outdir", "--help", "-h", "--bogus", "zheng2024-fig1",
                          "\x00", "é"])
COMMANDS = st.sampled_from(["list", "verify", "show", "latex", "simulate", "report", "bogus", "--help", ""])


@pytest.fixture
def fake_cli(monkeypatch, tmp_path):
    from numerics import simulations

    from proofs_check import properties

    monkeypatch.setattr(registry, "_REGISTRY", _fake_claims())
    monkeypatch.setattr(registry, "_LOADED", True)
    monkeypatch.setattr(properties, "run_properties", lambda **kw: 0)
    monkeypatch.setattr(simulations, "simulate", lambda *a, **k: simulations.SimulationResult("x", "ok", "stub"))
    monkeypatch.setattr(cli, "_cores", lambda: 2)
    monkeypatch.chdir(tmp_path)


@settings(max_examples=150, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(command=COMMANDS, rest=st.lists(TOKENS, max_size=6))
def test_cli_fuzz_never_tracebacks(fake_cli, capsys, command, rest):
    argv = ([command] if command else []) + rest
    try:
        code = cli.main(argv)
    except SystemExit as exit_:  # --help
        code = exit_.code
    captured = capsys.readouterr()
    assert code in (0, 1, 2, 3, 130), (argv, code)
    assert "Traceback" not in captured.err, argv
    if code == 2:
        assert captured.err.count("\n") <= 1 or command in ("", "--help") or "--help" in rest or "-h" in rest, argv
