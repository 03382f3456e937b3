"""Claims of closely related work (spec ``related.md``), each derived from its model's definition."""
from __future__ import annotations

from ..registry import Check, Claim, register
from ..verdicts import Method, combine

DIMENSIONS = (1, 2, 3, 4)


def _label_noise_stated():
    """related.N as stated: eta* = n / (n + d + 1 + s^2)."""
    import sympy as sp

    from theory.related import n_sym, s_sym

    d = sp.Symbol("d", integer=True, positive=True)
    return n_sym / (n_sym + d + 1 + s_sym ** 2)


def stated_label_noise_step(n, d, s):
    """The stated optimum eta* = n / (n + d + 1 + s^2) (the claim under test), read from the claim's statement."""
    import sympy as sp

    from theory.related import n_sym, s_sym

    from ..registry import stated

    values = {n_sym: n, sp.Symbol("d", integer=True, positive=True): d, s_sym: s}
    return sp.sympify(stated("related.N")).subs(values, simultaneous=True)


def check_label_noise(dimensions=DIMENSIONS, stated=stated_label_noise_step):
    from theory.related import n_sym, optimal_step, s_sym

    from ..zero import check_equal

    results = []
    for d in dimensions:
        derived = optimal_step(d)
        result = check_equal("eta* for every n", derived, stated(n_sym, d, s_sym), Method.SYMBOLIC_AT_SIZES,
                             f"d = {d}, symbolic n and noise s", sizes={"d": d}, derived_step=derived)
        results.append(result)
        if result.status.value != "VERIFIED":
            break
    return combine("eta* for every n", results,
                   f"the minimiser of the derived risk equals n/(n + d + 1 + s^2) for symbolic n and s at d in "
                   f"{list(dimensions)}")


def _label_noise_statement():
    import sympy as sp

    from theory.related import n_sym, optimal_step, s_sym

    from theory.printing import at_sizes

    # the derived optimal step at each checked dimension; every one matches n / (n + d + 1 + s^2)
    eta = sp.Symbol("eta_star")
    return tuple(at_sizes(sp.Eq(eta, optimal_step(k), evaluate=False), d=k) for k in DIMENSIONS)


register(Claim(
    id="related.N",
    stated=_label_noise_stated,
    title="One-step GD with label noise: the optimal step is n/(n + d + 1 + s^2) (every n and s; d = 1..4)",
    source="spec related.md, section N (a consistency target derived from the model, not a published statement)",
    hypotheses=["x_i, x_q ~ N(0, I_d), w ~ N(0, I_d), y_i = w^T x_i + eps_i, eps_i ~ N(0, s^2), independent",
                "predictor eta (1/n) sum_i y_i x_i^T x_q"],
    statement=_label_noise_statement,
    checks=[Check("eta* for every n", Method.SYMBOLIC_AT_SIZES, check_label_noise, parameters=("d",),
                  sized=lambda d=2: check_label_noise(dimensions=(d,)))],
    description="The risk E(yhat - w^T x_q)^2 is derived as a quadratic in eta: E|v|^2 splits into equal and "
                "distinct sample indices (exact for symbolic n), each expectation a Gaussian moment functional on "
                "monomials; its minimiser is compared with the stated formula for symbolic n and s.",
))


def _zfb_stated():
    """ZFB1 as stated: Gamma = (1 + 1/N) Lambda + (1/N) tr(Lambda) I, as the two coefficients."""
    import sympy as sp

    from theory.related import N_sym

    return sp.Tuple(1 + 1 / N_sym, 1 / N_sym)


def stated_zfb_coefficients(N):
    """The stated coefficients (of Lambda, of tr(Lambda) I) in Gamma, read from the claim's statement."""
    import sympy as sp

    from theory.related import N_sym

    from ..registry import stated

    return tuple(sp.sympify(e).subs(N_sym, N) for e in stated("related.ZFB1"))


def check_zfb_moment(dimensions=(1, 2, 3)):
    import sympy as sp

    from theory.related import N_sym, zfb_second_moment

    from ..zero import check_equal

    results = []
    for d in dimensions:
        moment, Lambda = zfb_second_moment(d)
        c_lambda, c_trace = stated_zfb_coefficients(N_sym)
        Gamma = c_lambda * Lambda + c_trace * Lambda.trace() * sp.eye(d)
        result = check_equal("E[(XX^T/N)^2] = Gamma Lambda", moment, Gamma * Lambda, Method.SYMBOLIC_AT_SIZES,
                             f"d = {d}, symbolic N and diagonal Lambda", sizes={"d": d}, derived_moment=moment)
        results.append(result)
        if result.status.value != "VERIFIED":
            break
    return combine("E[(XX^T/N)^2] = Gamma Lambda", results,
                   f"for symbolic N and diagonal Lambda = diag(lambda_1..lambda_d), d in {list(dimensions)}")


def _zfb_statement():
    import sympy as sp

    from theory.related import zfb_second_moment

    from theory.printing import Expectation, at_sizes

    d = 2
    moment, Lambda = zfb_second_moment(d)
    N = sp.Symbol("N", positive=True, integer=True)
    Gamma, Lam = sp.MatrixSymbol("Gamma", d, d), sp.MatrixSymbol("Lambda", d, d)
    X = sp.MatrixSymbol("X", d, N)
    second = Expectation(sp.MatPow(X * X.T / N, 2))
    return (sp.Eq(second, Gamma * Lam, evaluate=False),
            sp.Eq(Gamma, (1 + 1 / N) * Lam + sp.Trace(Lam) / N * sp.Identity(d), evaluate=False),
            at_sizes(sp.Eq(Lam, Lambda, evaluate=False), d=d),
            at_sizes(sp.Eq(second, moment, evaluate=False), d=d))


register(Claim(
    id="related.ZFB1",
    stated=_zfb_stated,
    title="Zhang-Frei-Bartlett moment identity E[(XX^T/N)^2] = Gamma Lambda (every N; d = 1, 2, 3, diagonal Lambda)",
    source="Zhang, Frei, Bartlett 2023 (JMLR 2024), arXiv 2306.09927; spec related.md",
    hypotheses=["x_i ~ N(0, Lambda) iid, i = 1..N", "Gamma = (1 + 1/N) Lambda + tr(Lambda)/N I",
                "Lambda diagonal (any covariance reduces to it by rotation)"],
    statement=_zfb_statement,
    checks=[Check("E[(XX^T/N)^2] = Gamma Lambda", Method.SYMBOLIC_AT_SIZES, check_zfb_moment, parameters=("d",),
                  sized=lambda d=2: check_zfb_moment(dimensions=(d,)))],
    description="The double sum over samples is split into equal and distinct indices (exact for symbolic N); "
                "E[x x^T x x^T] is a Gaussian moment functional on monomials; the result is compared entrywise.",
))
