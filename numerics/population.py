"""The exact population gradient flow of Zheng et al.'s model on M_{A,B}, without sampling.

On ``M_{A,B} = {W^PV = [B, 0], W^KQ = [[0, 0], [A, 0]]}`` the prediction is
``yhat_t = B C_t A x_t`` with ``C_t = (1/(t-1)) sum_{i=2}^t x_i x_{i-1}^H``. With
``x_{t,k} = lambda_k^{t-1} z_k``, the population loss

.. math:: L(A, B) = \\tfrac12 \\sum_{p,p'} (B^H B)_{p'p} F_{pp'}(A)
          - \\operatorname{Re} \\sum_{k,p} B_{kp} G_{kp}(A) + \\tfrac12 c,

is a polynomial whose coefficients are two exact tensors,

* ``K[p,q,r,p',q',r'] = sum_t E[C_t[p,q] x_{t,r} conj(C_t[p',q'] x_{t,r'})]`` (so that
  ``F_{pp'} = sum A_{qr} conj(A_{q'r'}) K[p,q,r,p',q',r']``),
* ``J[k,p,q,r] = sum_t E[conj(x_{t+1,k}) C_t[p,q] x_{t,r}]`` (``G_{kp} = sum A_{qr} J[k,p,q,r]``),
* ``c = sum_t E||x_{t+1}||^2``.

Each tensor entry factors into a moment of z (exact, from the law) times a phase coefficient:
by the phase lemma ``E[lambda^n] = [n = 0]`` the expectation over W of the product of powers is
1 exactly when the net exponent of every lambda_k vanishes, which depends only on which of the
indices coincide (a set partition of the index positions). For each partition the surviving
(t, i, i') are counted exactly on the integer grid, weighted by ``1/(t-1)^2`` (``1/(t-1)`` for J).

This is derived from the model's definition independently of ``theory/``; agreement of the two
is one of the checks. Real laws of z only (Gaussian, sparse, full-one, Rademacher).

Gradient convention: ``grad_w = dL/du + i dL/dv = 2 dL/d conj(w)`` (as in
:mod:`numerics.training`), flow ``dw/dtau = -grad_w``.
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from theory.validation import (require_callable, require_finite_array, require_int, require_positive,
                               require_type)

from . import flows

LAWS = ("gaussian", "sparse", "full-one", "rademacher")


# --- exact moments of z -----------------------------------------------------------------------

def _double_factorial_odd(n: int) -> int:
    return math.prod(range(n - 1, 0, -2)) if n > 0 else 1


def moment_from_counts(counts: np.ndarray, law: str, d: int, scale: float = 1.0) -> np.ndarray:
    """``E[prod_k z_k^{n_k}]`` for rows of multiplicities ``counts`` (shape (..., d)).

    gaussian: N(0, scale^2 I); sparse: scale * s * e_k (k uniform, s = +-1);
    full-one: all ones; rademacher: scale * (+-1)^d.
    """
    counts = np.asarray(counts)
    n = counts.sum(-1)
    even = np.all(counts % 2 == 0, axis=-1)
    if law == "gaussian":
        df = np.vectorize(_double_factorial_odd)(counts).prod(-1)
        return np.where(even, df * scale ** n, 0.0).astype(float)
    if law == "sparse":
        one_coord = (counts > 0).sum(-1) <= 1
        return np.where(even & one_coord, scale ** n / d, 0.0).astype(float)
    if law == "full-one":
        return np.ones(counts.shape[:-1])
    if law == "rademacher":
        return np.where(even, scale ** n, 0.0).astype(float)
    raise ValueError(f"unknown law {law!r}: choose one of {', '.join(LAWS)}")


def _check_law(law, d, scale, T=None) -> None:
    if law not in LAWS:
        raise ValueError(f"unknown law {law!r}: choose one of {', '.join(LAWS)}")
    require_int("d", d, 1, "the token dimension counts coordinates")
    require_positive("scale", scale, "the scale of the initial token")
    if T is not None:
        require_int("T", T, 3, "the first prediction needs two context tokens")


def _check_AB(co, A, B, nameA="A", nameB="B"):
    require_type("co", co, PopulationCoefficients, "a PopulationCoefficients (from population_coefficients)")
    shape = (co.d, co.d)
    return (require_finite_array(nameA, A, shape=shape, why=f"A is d x d with d = {co.d}"),
            require_finite_array(nameB, B, shape=shape, why=f"B is d x d with d = {co.d}"))


def _all_indices(d: int, n: int) -> np.ndarray:
    return np.indices((d,) * n).reshape(n, -1).T


def moment_tensor(law: str, d: int, order: int, scale: float = 1.0) -> np.ndarray:
    """``M[i_1, ..., i_n] = E[z_{i_1} ... z_{i_n}]``, shape ``(d,) * order`` (exact)."""
    _check_law(law, d, scale)
    require_int("order", order, 1, "the number of coordinates in the moment")
    idx = _all_indices(d, order)
    counts = np.zeros((len(idx), d), dtype=int)
    for j in range(order):
        counts[np.arange(len(idx)), idx[:, j]] += 1
    return moment_from_counts(counts, law, d, scale).reshape((d,) * order)


def kappas(law: str, d: int, scale: float = 1.0) -> dict:
    """``kappa_0..kappa_3`` of the spec (coordinate j = 0), from :func:`moment_from_counts`."""
    _check_law(law, d, scale)
    def mom(c):
        return float(moment_from_counts(np.array(c), law, d, scale))
    e = np.eye(d, dtype=int)
    k3 = sum(mom(2 * e[0] + 4 * e[k]) for k in range(1, d))
    return {"kappa0": mom(2 * e[0]), "kappa1": mom(4 * e[0]), "kappa2": mom(6 * e[0]), "kappa3": k3}


def harmonic(n: int) -> float:
    return float(sum(1.0 / s for s in range(1, n + 1)))


def limit_ab_from_kappas(law: str, d: int, T: int, scale: float = 1.0) -> float:
    """``kappa_1 / (kappa_2 + kappa_3 H_{T-2} / (T-2))`` (claim C4), kappas from exact moments."""
    _check_law(law, d, scale, T)
    k = kappas(law, d, scale)
    return k["kappa1"] / (k["kappa2"] + k["kappa3"] * harmonic(T - 2) / (T - 2))


# --- phase coefficients by the phase lemma ----------------------------------------------------

def _pattern_codes(idx: np.ndarray) -> np.ndarray:
    """An integer per index tuple encoding which positions are equal (its set partition)."""
    n = idx.shape[1]
    code = np.zeros(len(idx), dtype=np.int64)
    bit = 0
    for a, b in itertools.combinations(range(n), 2):
        code |= (idx[:, a] == idx[:, b]).astype(np.int64) << bit
        bit += 1
    return code


def _phase_coefficients(idx: np.ndarray, forms: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """For each index tuple: sum over grid points of weight * [every lambda_k has net exponent 0].

    forms : (npos, npts) integer exponent each position contributes at each grid point.
    """
    codes = _pattern_codes(idx)
    uniq, first, inverse = np.unique(codes, return_index=True, return_inverse=True)
    values = np.empty(len(uniq))
    for u, row in enumerate(first):
        rep = idx[row]
        ok = np.ones(forms.shape[1], dtype=bool)
        for k in np.unique(rep):
            ok &= forms[rep == k].sum(axis=0) == 0
        values[u] = weights[ok].sum()
    return values[inverse]


def _grid_K(T: int):
    ts, is_, ips = [], [], []
    for t in range(2, T):
        i, ip = np.meshgrid(np.arange(2, t + 1), np.arange(2, t + 1), indexing="ij")
        ts.append(np.full(i.size, t)); is_.append(i.ravel()); ips.append(ip.ravel())
    t, i, ip = (np.concatenate(a) for a in (ts, is_, ips))
    # exponents of lambda contributed by C_t[p,q] x_{t,r} conj(C_t[p',q'] x_{t,r'})
    forms = np.stack([i - 1, -(i - 2), t - 1, -(ip - 1), ip - 2, -(t - 1)]).astype(np.int32)
    return forms, 1.0 / (t - 1.0) ** 2


def _grid_J(T: int):
    ts, is_ = [], []
    for t in range(2, T):
        ts.append(np.full(t - 1, t)); is_.append(np.arange(2, t + 1))
    t, i = np.concatenate(ts), np.concatenate(is_)
    # exponents from conj(x_{t+1,k}) C_t[p,q] x_{t,r}
    forms = np.stack([-t, i - 1, -(i - 2), t - 1]).astype(np.int32)
    return forms, 1.0 / (t - 1.0)


@lru_cache(maxsize=16)
def _phase_tensors(d: int, T: int):
    idx6 = _all_indices(d, 6)
    phK = _phase_coefficients(idx6, *_grid_K(T)).reshape((d,) * 6)
    idx4 = _all_indices(d, 4)
    phJ = _phase_coefficients(idx4, *_grid_J(T)).reshape((d,) * 4)
    return phK, phJ


@dataclass
class PopulationCoefficients:
    """The exact tensors of the population loss on M_{A,B} (see the module docstring).

    Attributes
    ----------
    K : ndarray, shape (d,)*6      real (real laws)
    J : ndarray, shape (d,)*4
    c : float
    d, T : int
    law : str
    scale : float
    """

    K: np.ndarray
    J: np.ndarray
    c: float
    d: int
    T: int
    law: str
    scale: float

    @property
    def Gamma(self) -> float:
        """``(1/d) sum_{p,q,q'} K[p,q,q,p,q',q']``: quadratic coefficient on the diagonal."""
        return float(np.einsum("pqqpss->", self.K).real) / self.d

    @property
    def Lambda(self) -> float:
        """``(1/d) sum_{p,q} J[p,p,q,q]``: linear coefficient on the diagonal."""
        return float(np.einsum("ppqq->", self.J).real) / self.d

    @property
    def limit_ab(self) -> float:
        return self.Lambda / self.Gamma


def population_coefficients(law: str, d: int, T: int, scale: float = 1.0) -> PopulationCoefficients:
    """Exact K, J, c for a real law of z (moments exact, phase sums exact counts)."""
    _check_law(law, d, scale, T)
    if T < 3:
        raise ValueError(f"T must be an integer >= 3 (got {T}): the first prediction needs two context tokens.")
    if law not in LAWS:
        raise ValueError(f"unknown law {law!r}: choose one of {', '.join(LAWS)}")
    phK, phJ = _phase_tensors(d, T)
    # z-moments: E[z_p conj z_q z_r conj z_p' z_q' conj z_r'] = E[z_p z_q z_r z_p' z_q' z_r'] (real z)
    K = moment_tensor(law, d, 6, scale) * phK
    J = moment_tensor(law, d, 4, scale) * phJ
    c = (T - 2) * float(np.trace(moment_tensor(law, d, 2, scale)))
    return PopulationCoefficients(K, J, c, d, T, law, scale)


# --- loss, gradient, flow ---------------------------------------------------------------------

def population_loss(co: PopulationCoefficients, A: np.ndarray, B: np.ndarray) -> float:
    """Exact population loss ``E sum_t (1/2)||B C_t A x_t - x_{t+1}||^2``."""
    A, B = _check_AB(co, A, B)
    d = co.d
    K2 = co.K.reshape(d, d * d, d, d * d)
    a = A.reshape(-1)
    F = np.einsum("piqj,i,j->pq", K2, a, a.conj())
    H = B.conj().T @ B
    G = np.einsum("kpqr,qr->kp", co.J, A)
    return float(0.5 * np.einsum("qp,pq->", H, F).real - np.sum(B * G).real + 0.5 * co.c)


def population_gradient(co: PopulationCoefficients, A: np.ndarray, B: np.ndarray):
    """``(grad_A, grad_B)`` of :func:`population_loss`, each shape (d, d) complex.

    .. math:: \\nabla_B = B F - \\bar G, \\qquad
              (\\nabla_A)_{q'r'} = \\sum H_{p'p} A_{qr} K_{pqrp'q'r'}
              - \\overline{\\textstyle\\sum_{kp} B_{kp} J_{kpq'r'}}
    """
    A, B = _check_AB(co, A, B)
    d = co.d
    K2 = co.K.reshape(d, d * d, d, d * d)
    a = A.reshape(-1)
    F = np.einsum("piqj,i,j->pq", K2, a, a.conj())
    H = B.conj().T @ B
    G = np.einsum("kpqr,qr->kp", co.J, A)
    gB = B @ F - G.conj()
    gA = np.einsum("qp,piqj,i->j", H, K2, a).reshape(d, d) - np.einsum("kp,kpqr->qr", B, co.J).conj()
    return gA, gB


def pack(A, B) -> np.ndarray:
    return np.concatenate([A.real.ravel(), A.imag.ravel(), B.real.ravel(), B.imag.ravel()])


def unpack(y, d):
    n = d * d
    A = (y[:n] + 1j * y[n:2 * n]).reshape(d, d)
    B = (y[2 * n:3 * n] + 1j * y[3 * n:]).reshape(d, d)
    return A, B


def ab_from_state(y, d) -> float:
    """``mean_j Re(A_jj) Re(B_jj)``, the logged ``ab``."""
    A, B = unpack(y, d)
    return float(np.mean(np.diag(A).real * np.diag(B).real))


def population_rhs(co: PopulationCoefficients):
    """Right-hand side ``-grad`` of the population flow in real coordinates (Re A, Im A, Re B, Im B)."""
    d = co.d

    def rhs(t, y):
        gA, gB = population_gradient(co, *unpack(y, d))
        return -pack(gA, gB)

    return rhs


def numerical_jacobian(rhs, h: float = 1e-6):
    """Central-difference Jacobian of ``rhs`` (error O(h^2); only Newton's iteration uses it)."""
    def jac(t, y):
        n = len(y)
        Jm = np.empty((n, n))
        for k in range(n):
            step = h * max(1.0, abs(y[k]))
            e = np.zeros(n)
            e[k] = step
            Jm[:, k] = (rhs(t, y + e) - rhs(t, y - e)) / (2 * step)
        return Jm

    return jac


def integrate_population(co: PopulationCoefficients, A0, B0, t_max: float = 100.0,
                         rtol: float = 1e-12, atol: float = 1e-14, grad_tol: float = 1e-8,
                         n_samples: int = 200) -> flows.FlowResult:
    """Integrate the population flow of (A, B) (LSODA, central-difference Jacobian).

    Conserved along any gradient flow of this model: ``||A||_F^2 - ||B||_F^2`` (the loss is
    invariant under ``(A, B) -> (A/s, sB)``), tracked as ``"|A|^2-|B|^2"``.
    """
    A0, B0 = _check_AB(co, A0, B0, "A0", "B0")
    require_positive("t_max", t_max, "the end of the time span")
    rhs = population_rhs(co)
    return flows.integrate_flow(rhs, pack(np.asarray(A0, complex), np.asarray(B0, complex)), t_max=t_max,
                                jac=numerical_jacobian(rhs), rtol=rtol, atol=atol, grad_tol=grad_tol,
                                n_samples=n_samples,
                                conserved={"|A|^2-|B|^2": lambda y: float(np.sum(y[:2 * co.d ** 2] ** 2)
                                                                          - np.sum(y[2 * co.d ** 2:] ** 2))})


# --- every parameter: the full W^PV (d x 2d) and W^KQ (2d x 2d) ------------------------------

def pack_full(W_PV, W_KQ) -> np.ndarray:
    """Real state vector ``(Re PV, Im PV, Re KQ, Im KQ)`` (row-major) of the full parameters."""
    W_PV = require_finite_array("W_PV", W_PV, ndim=2, why="W^PV has shape (d, 2d)")
    d = W_PV.shape[0]
    require_finite_array("W_PV", W_PV, shape=(d, 2 * d), why="W^PV has shape (d, 2d)")
    W_KQ = require_finite_array("W_KQ", W_KQ, shape=(2 * d, 2 * d), why=f"W^KQ has shape (2d, 2d) = {(2 * d, 2 * d)}")
    W_PV, W_KQ = np.asarray(W_PV, complex), np.asarray(W_KQ, complex)
    return np.concatenate([W_PV.real.ravel(), W_PV.imag.ravel(), W_KQ.real.ravel(), W_KQ.imag.ravel()])


def unpack_full(y, d: int):
    """Inverse of :func:`pack_full`: ``(PV_re, PV_im, KQ_re, KQ_im)``."""
    require_int("d", d, 1, "the token dimension")
    n_pv, n_kq = 2 * d * d, 4 * d * d
    y = require_finite_array("y", y, shape=(2 * n_pv + 2 * n_kq,), why=f"the pack_full state of length 12 d^2",
                             complex_ok=False)
    return (y[:n_pv].reshape(d, 2 * d), y[n_pv:2 * n_pv].reshape(d, 2 * d),
            y[2 * n_pv:2 * n_pv + n_kq].reshape(2 * d, 2 * d), y[2 * n_pv + n_kq:].reshape(2 * d, 2 * d))


def integrate_full_population(gradient, d: int, W_PV0, W_KQ0, t_max: float = 200.0, rtol: float = 1e-11,
                              atol: float = 1e-13, grad_tol: float = 1e-9, n_samples: int = 120) -> flows.FlowResult:
    """Gradient flow of every parameter under the exact population gradient.

    Parameters
    ----------
    gradient : callable (PV_re, PV_im, KQ_re, KQ_im) -> (dL/dPV_re, dL/dPV_im, dL/dKQ_re, dL/dKQ_im)
        E.g. ``theory.zheng_full.full_population_gradient(d, T, law).function()``.
    d : int
    W_PV0 : array_like, complex, shape (d, 2d)
    W_KQ0 : array_like, complex, shape (2d, 2d)

    Returns
    -------
    FlowResult
        State in the :func:`pack_full` layout; LSODA with its own finite-difference Jacobian.
    """
    require_callable("gradient", gradient, "a callable (PV_re, PV_im, KQ_re, KQ_im) -> 4 gradients")
    require_int("d", d, 1, "the token dimension")
    require_finite_array("W_PV0", W_PV0)
    require_finite_array("W_KQ0", W_KQ0)
    W_PV0, W_KQ0 = np.asarray(W_PV0, complex), np.asarray(W_KQ0, complex)
    if W_PV0.shape != (d, 2 * d) or W_KQ0.shape != (2 * d, 2 * d):
        raise ValueError(f"W_PV0 must have shape {(d, 2 * d)} and W_KQ0 {(2 * d, 2 * d)} "
                         f"(got {W_PV0.shape} and {W_KQ0.shape})")

    def rhs(t, y):
        return -np.concatenate([np.asarray(g, float).ravel() for g in gradient(*unpack_full(y, d))])

    return flows.integrate_flow(rhs, pack_full(W_PV0, W_KQ0), t_max=t_max, rtol=rtol, atol=atol,
                                grad_tol=grad_tol, n_samples=n_samples)
