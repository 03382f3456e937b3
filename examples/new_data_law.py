"""Example (b): a new data law. In-context regression with inputs from a user's discrete law.

For one layer with value row v = e_2 and W_KQ = diag(a, 0) (one GD step of size a on the prompt), the
population loss is derived from the law's exact moments for every prompt length N. Its fixed point is
a* = N m2 / (m4 + (N - 1) m2^2) with m2, m4 the law's moments; the Gaussian answer N / ((N + 2) m2)
assumes m4 = 3 m2^2 and is REFUTED for this law.
"""
import sympy as sp
from mesacheck import proofs_check as pc
from mesacheck.theory import DiscreteLaw, InContextRegression, LinearAttention, Manifold, SYMBOLS, population_loss

N, a = SYMBOLS["N"], SYMBOLS["a"]
law = DiscreteLaw([[-2], [-1], [1], [2]], [sp.Rational(1, 4)] * 4)   # x = +-1, +-2, equally likely
m2, m4 = law.expect(((2, 0),)), law.expect(((4, 0),))           # E x^2 = 5/2, E x^4 = 17/2

model = LinearAttention(D=1, fixed={"v_1": sp.Matrix([0, 1])})
loss = population_loss(model, InContextRegression(1, law=law))   # exact for every N
flow = Manifold(model, {"W_KQ_1": sp.Matrix([[a, 0], [0, 0]])}, (a,)).restrict(loss)
print("the manifold W_KQ = diag(a, 0) is invariant:", pc.check_invariant(flow, sizes={"D": 1}).status.value)

claims = {"the law's own fixed point": N * m2 / (m4 + (N - 1) * m2 ** 2),
          "the Gaussian formula": N / ((N + 2) * m2)}
for name, a_star in claims.items():
    result = pc.check_fixed_points(flow, [{a: a_star}], sizes={"D": 1})
    print(f"{name}: a* = {sp.factor(a_star)}: {result.status.value}", f"({result.scope})" if result.scope else "")
