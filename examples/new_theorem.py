"""Example (c): a new theorem, and a wrong variant of it REFUTED.

Theorem. In-context regression in dimension D = 2 with label noise of variance sigma^2 (x ~ N(0, I),
w ~ N(0, I)). For one layer with value row v = e_3 and W_KQ = a diag(1, 1, 0), the population loss has the
single fixed point a* = N / (N + D + 1 + sigma^2), for every prompt length N, and the trained layer predicts
like one GD step of that size. The noise-free step N / (N + D + 1) is a wrong variant.
"""
import sympy as sp
from mesacheck import proofs_check as pc
from mesacheck.theory import InContextRegression, LinearAttention, Manifold, SYMBOLS, one_step_gd, population_loss

N, a, sigma = SYMBOLS["N"], SYMBOLS["a"], SYMBOLS["sigma"]
D = 2
model = LinearAttention(D=D, fixed={"v_1": sp.Matrix([0, 0, 1])})
loss = population_loss(model, InContextRegression(D, noise=sigma ** 2))
flow = Manifold(model, {"W_KQ_1": sp.diag(a, a, 0)}, (a,)).restrict(loss)
print("invariant manifold:", pc.check_invariant(flow, sizes={"D": D}).status.value)

statements = {"theorem": N / (N + D + 1 + sigma ** 2), "wrong variant": N / (N + D + 1)}
for name, step in statements.items():
    fixed = pc.check_fixed_points(flow, [{a: step}], sizes={"D": D})
    print(f"{name}: a* = {step}: {fixed.status.value}", f"({fixed.scope})" if fixed.scope else "")

at = {"W_KQ_1": sp.diag(1, 1, 0) * statements["theorem"]}
gd = pc.check_prediction(model, at, one_step_gd(D, statements["theorem"]), sizes={"D": D})
print("the trained layer is one GD step:", gd.status.value, f"({gd.scope})")
