"""Example (a): a new parametrisation. Separate key and query matrices, W_KQ = K^T Q of rank 1, on Zheng et
al.'s autoregressive task x_{t+1} = W x_t (random phases), tokens e_i = (x_i; x_{i-1}).

The value rows are held fixed at (I; 0) (the value reads x_i, as on Zheng's manifold); K and Q are trained.
The pipeline derives the exact population loss and its gradient flow. A loss that depends on K and Q only
through K^T Q makes the flow conserve K K^T - Q Q^T (the factors stay balanced); K K^T + Q Q^T is not
conserved. The public check decides both exactly.
"""
import sympy as sp
from mesacheck import proofs_check as pc
from mesacheck.theory import (AutoregressiveTask, LinearAttention, RealGaussian, gradient_flow, population_loss,
                              zheng_model)

d, T = 2, 4
zheng = zheng_model(d)                                  # the paper's merged-KQ model: embedding, readout, rho
value = sp.Matrix.vstack(sp.eye(d), sp.zeros(d, d))    # readout rows of W_PV, (E, d)
model = LinearAttention(embedding=zheng.embedding, readout=list(zheng.readout), normaliser=zheng.normaliser,
                        parametrisation="separate", rank=1, fixed={"v_1": value})
flow = gradient_flow(population_loss(model, AutoregressiveTask(d, law=RealGaussian(d), T=T)))
print(f"{len(model.symbols)} trained weights in", ", ".join(k for k in sorted(model.parameters) if k != "v_1"))

K, Q = model.parameters["K_1"], model.parameters["Q_1"]
balance = {"K K^T - Q Q^T": (K * K.T - Q * Q.T)[0, 0], "K K^T + Q Q^T": (K * K.T + Q * Q.T)[0, 0]}
for name, quantity in balance.items():
    result = pc.check_conserved(flow, quantity, sizes={"d": d, "T": T})
    print(f"{name} conserved: {result.status.value}", f"({result.scope})" if result.scope else "")
