"""simulate(): argument validation, divergence as a status, files written."""
import json
import os

import numpy as np
import pytest

from numerics import sampling
from numerics.simulations import simulate, simulation_names


def test_unknown_name_lists_valid_names():
    with pytest.raises(ValueError) as err:
        simulate("zheng2024-fig9")
    for name in simulation_names():
        assert name in str(err.value)


@pytest.mark.parametrize("kwargs,message", [
    ({"lr": 0}, "lr must be a positive number"),
    ({"lr": -1e-4}, "lr must be a positive number"),
    ({"epochs": 0}, "epochs must be a positive integer"),
    ({"epochs": -3}, "epochs must be a positive integer"),
    ({"steps": 100}, "parameter 'steps' does not apply to simulate\\('zheng2024-fig1'\\)"),
    ({"tau": 1}, "unknown parameter 'tau'"),
], ids=["lr-zero", "lr-negative", "epochs-zero", "epochs-negative", "steps-not-used", "unknown-param"])
def test_bad_parameters(kwargs, message):
    with pytest.raises(ValueError, match=message) as err:
        simulate("zheng2024-fig1", **kwargs)
    assert "\n" not in str(err.value)


def test_unwritable_out_dir(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(ValueError, match="cannot write to out_dir"):
        simulate("oswald2022-one-layer", out_dir=str(blocker / "sub"), steps=1)


def test_divergence_reported_with_epoch(tmp_path):
    res = simulate("zheng2024-full-one", quick=True, lr=1.0, epochs=20, m=8, out_dir=str(tmp_path))
    assert res.status == "diverged"
    assert "diverged at epoch" in res.message
    data = json.load(open(res.json_path))      # strict JSON: NaN never written
    assert data["status"] == "diverged"


def test_oswald_short_run_writes_series_and_names_the_range(tmp_path):
    res = simulate("oswald2022-one-layer", steps=20, batch=64, out_dir=str(tmp_path), seed=1)
    assert res.status == "ok"
    assert all(os.path.exists(f) for f in res.figures)
    data = json.load(open(res.json_path))
    assert set(data["series"]) == {"U(-0.5,0.5)", "U(-1,1)"}
    # the one-step GD loss does not depend on the training: E[y^2]/2 scales with the input variance
    gd = data["summary"]["one_step_gd_loss"]
    assert gd["U(-1,1)"] == pytest.approx(4 * gd["U(-0.5,0.5)"], rel=0.1)
    assert data["summary"]["range_reproducing_paper_0.2"] == "U(-0.5,0.5)"


def test_sampling_is_seeded_and_lawful():
    a = sampling.zheng_sequences(50, 5, 3, "sparse", 2.0, rng=3)
    b = sampling.zheng_sequences(50, 5, 3, "sparse", 2.0, rng=3)
    np.testing.assert_array_equal(a, b)
    assert np.all(np.count_nonzero(a[:, 0], axis=1) == 1) and np.allclose(np.abs(a), np.abs(a[:, :1]))
    np.testing.assert_allclose(np.abs(a).sum(axis=2), 2.0)
    X, Y, xq, yq = sampling.oswald_tasks(100, r=2.0, rng=0)
    assert X.shape == (100, 10, 10) and np.max(np.abs(X)) <= 1.0 and np.max(np.abs(X)) > 0.9


def test_figures_for_papers_pdf_style_provenance_and_backend(tmp_path):
    import matplotlib

    backend = matplotlib.get_backend()
    res = simulate("oswald2022-one-layer", steps=10, batch=32, out_dir=str(tmp_path), seed=3)
    assert matplotlib.get_backend() == backend            # the user's backend is never forced
    pngs = [f for f in res.figures if f.endswith(".png")]
    assert pngs and all(os.path.exists(f[:-4] + ".pdf") and f[:-4] + ".pdf" in res.figures for f in pngs)
    assert open(pngs[0][:-4] + ".pdf", "rb").read(5) == b"%PDF-"
    prov = json.load(open(res.json_path))["provenance"]
    assert prov["seed"] == 3 and prov["quick"] is False and prov["parameters"] == {"steps": 10, "batch": 32}
    assert prov["numpy"] == np.__version__ and "scipy" in prov and "mesacheck" in prov
    assert "<img src=\"data:image/png;base64," in res._repr_html_()


def test_learned_gamma_uses_the_gdpp_convention():
    from numerics import training
    from numerics.simulations import _learned_gamma

    X, Y, _, _ = sampling.oswald_tasks(20, N=10, Nx=4, r=1.0, rng=np.random.default_rng(0))
    for gamma in (0.3, -0.05):
        assert _learned_gamma(*training.gdpp_weights(4, 10, 0.5, gamma), X, Y) == pytest.approx(gamma, rel=1e-12)
