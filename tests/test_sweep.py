"""Sweeps over grids (numerics/sweep.py) and `mesacheck sweep`."""
import json
from concurrent.futures import ThreadPoolExecutor

import pytest

from numerics import sweep
from proofs_check.cli import main

TINY = {"d": [1], "T": [4, 6], "m": [20], "epochs": [2], "lr": [1e-3], "mode": ["population"]}


@pytest.mark.parametrize("grid,fragment", [
    ({"T": [10, 2]}, "point 1 (d=5, T=2"),
    ({"law": ["gaussian", "cauchy"]}, "law must be one of"),
    ({"lr": [0.0]}, "lr must be a positive"),
    ({"init": [(0.1,)]}, "init must be a pair"),
    ({"m": [10.5]}, "m must be an integer"),
    ({"mode": ["exact"]}, "mode must be one of"),
    ({"sigma": [1]}, "unknown setting 'sigma'"),
    ({"T": []}, "grid['T'] is empty"),
    ({"init": (0.1, 0.1)}, "must be a list of values"),
], ids=["T", "law", "lr", "init", "m", "mode", "unknown", "empty", "not-a-list"])
def test_invalid_grid_fails_before_any_work_naming_point_and_setting(grid, fragment, monkeypatch):
    monkeypatch.setattr(sweep, "run_point", lambda *a: pytest.fail("work started"))
    with pytest.raises(sweep.SweepError, match=None) as info:
        sweep.run_sweep(grid)
    assert fragment in str(info.value)


def test_failed_point_is_recorded_and_finished_points_are_skipped(tmp_path, monkeypatch):
    real = sweep._run

    def flaky(point, seed):
        if point["T"] == 6:
            raise RuntimeError("worker fell over")
        return real(point, seed)

    monkeypatch.setattr(sweep, "_run", flaky)
    with ThreadPoolExecutor(2) as ex:
        rows = sweep.run_sweep(TINY, executor=ex, out_dir=str(tmp_path), figure=False)
    assert [r["status"] for r in rows] == ["ok", "error"] and "worker fell over" in rows[1]["error"]
    assert rows[0]["limit_ab"] == pytest.approx(1 / 5)      # C4, Gaussian d = 1: kappa1 / kappa2 = 3 / 15
    table = json.loads((tmp_path / "results.json").read_text())
    assert len(table["rows"]) == 2 and set(sweep.COLUMNS) <= set(table["rows"][0])
    assert (tmp_path / "results.csv").read_text().count("\n") == 3
    # resumption: the finished point is skipped, the failed one rerun (now healthy)
    monkeypatch.setattr(sweep, "_run", real)
    seen = []
    monkeypatch.setattr(sweep, "run_point", lambda p, seed=0, _rp=sweep.run_point: seen.append(p["T"]) or _rp(p, seed))
    again = sweep.run_sweep(TINY, out_dir=str(tmp_path), figure=False)
    assert seen == [6] and [r["status"] for r in again] == ["ok", "ok"]
    assert again[0] == rows[0]                               # replayed row, same seed and values


def test_seed_depends_on_settings_not_position():
    a = sweep.run_sweep({**TINY, "T": [4]})
    b = sweep.run_sweep({**TINY, "T": [6, 4]})
    assert a[0]["seed"] == b[1]["seed"] and a[0]["ab"] == b[1]["ab"]


def test_cli_sweep_bad_input_exit_2(tmp_path, capsys):
    assert main(["sweep", '{"T": [2]}', "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "T must be an integer >= 3" in err
    assert main(["sweep", json.dumps(TINY), "--out", str(tmp_path), "--dask", "tcp://127.0.0.1:9",
                 "--dask-timeout", "1", "--no-progress"]) in (2,)
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cannot reach the Dask scheduler" in err


def test_dask_local_cluster(tmp_path):
    distributed = pytest.importorskip("dask.distributed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        rows = sweep.run_sweep(TINY, executor=client.get_executor(), out_dir=str(tmp_path), figure=False)
    assert [r["status"] for r in rows] == ["ok", "ok"]
    local = sweep.run_sweep(TINY, figure=False)
    assert [r["ab"] for r in rows] == [r["ab"] for r in local]      # same seeded task, any executor
