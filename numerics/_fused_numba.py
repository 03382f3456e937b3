"""The generic fused kernel in numba (any ``d``): the loops of :mod:`numerics.fused` over
``lanes`` sequences side by side. Imported only when it runs (numba costs about 65 MB of memory
and 0.3 s to import, the C kernel neither)."""
import numpy as np
from numba import njit, prange

#: fastmath flags without ``nnan``/``ninf``: divergence detection relies on non-finite values.
_FLAGS = {"contract", "reassoc", "nsz", "arcp"}


@njit(parallel=True, fastmath=_FLAGS, cache=True)
def _kernel(xr, xi, Pr, Pi, Qr, Qi, need_grad, out):  # pragma: no cover - compiled
    """Blocks stored by FusedData(copy=True): shape (blocks, T, d, lanes)."""
    for b in prange(xr.shape[0]):
        _block_pass(xr[b], xi[b], Pr, Pi, Qr, Qi, need_grad, out[b])


@njit(parallel=True, fastmath=_FLAGS, cache=True)
def _kernel_view(xv, Pr, Pi, Qr, Qi, need_grad, L, out):  # pragma: no cover - compiled
    """The caller's sequences through a real view, shape (m, T, d, 2), one block re-laid out at a time."""
    m, T, d, _ = xv.shape
    ft = Pr.dtype
    for b in prange((m + L - 1) // L):
        X = np.zeros((T, d, L), ft)                                   # padding stays zero
        Y = np.zeros((T, d, L), ft)
        i0 = b * L
        nI = min(L, m - i0)
        for t in range(T):
            for j in range(d):
                for i in range(nI):
                    X[t, j, i] = xv[i0 + i, t, j, 0]
                    Y[t, j, i] = xv[i0 + i, t, j, 1]
        _block_pass(X, Y, Pr, Pi, Qr, Qi, need_grad, out[b])


@njit(fastmath=_FLAGS, cache=True, inline="always")
def _block_pass(X, Y, Pr, Pi, Qr, Qi, need_grad, out):  # pragma: no cover - compiled
    """Loss and gradient sums of one block, X, Y of shape (T, d, lanes), into out (one row)."""
    T, d, L = X.shape
    d2 = 2 * d
    n1 = d * d2
    n2 = d2 * d2
    ft = X.dtype
    Cr = np.zeros((d, d, L), ft)
    Ci = np.zeros((d, d, L), ft)
    Dr = np.zeros((d, d, L), ft)
    Di = np.zeros((d, d, L), ft)
    er = np.zeros((d2, L), ft)
    ei = np.zeros((d2, L), ft)
    qr = np.zeros((d2, L), ft)
    qi = np.zeros((d2, L), ft)
    vr = np.zeros((d2, L), ft)
    vi = np.zeros((d2, L), ft)
    rr = np.zeros((d, L), ft)
    ri = np.zeros((d, L), ft)
    wr = np.zeros(L, ft)
    wi = np.zeros(L, ft)
    lo = np.zeros(L, ft)
    gPr = np.zeros((d, d2, L), ft)
    gPi = np.zeros((d, d2, L), ft)
    gQr = np.zeros((d2, d2, L), ft)
    gQi = np.zeros((d2, d2, L), ft)
    # s = 0: C_0 = x_0 x_0^H, D_0 = 0
    for j in range(d):
        for k in range(d):
            for l in range(L):
                Cr[j, k, l] = X[0, j, l] * X[0, k, l] + Y[0, j, l] * Y[0, k, l]
                Ci[j, k, l] = Y[0, j, l] * X[0, k, l] - X[0, j, l] * Y[0, k, l]
    for s in range(1, T - 1):
        inv = 1.0 / s
        # running sums: C += x_s x_s^H, D += x_s x_{s-1}^H
        for j in range(d):
            for k in range(d):
                for l in range(L):
                    a = X[s, j, l]
                    bb = Y[s, j, l]
                    c = X[s, k, l]
                    e = Y[s, k, l]
                    Cr[j, k, l] += a * c + bb * e
                    Ci[j, k, l] += bb * c - a * e
                    c = X[s - 1, k, l]
                    e = Y[s - 1, k, l]
                    Dr[j, k, l] += a * c + bb * e
                    Di[j, k, l] += bb * c - a * e
        for j in range(d):
            for l in range(L):
                er[j, l] = X[s, j, l]
                ei[j, l] = Y[s, j, l]
                er[d + j, l] = X[s - 1, j, l]
                ei[d + j, l] = Y[s - 1, j, l]
        # q = Q e
        _matvec(Qr, Qi, er, ei, qr, qi)
        # v = S q / s
        _apply_S(Cr, Ci, Dr, Di, X, Y, s, qr, qi, vr, vi, wr, wi, inv)
        # r = P v - x_{s+1}
        for j in range(d):
            for l in range(L):
                rr[j, l] = -X[s + 1, j, l]
                ri[j, l] = -Y[s + 1, j, l]
            for k in range(d2):
                pr = Pr[j, k]
                pi = Pi[j, k]
                for l in range(L):
                    rr[j, l] += pr * vr[k, l] - pi * vi[k, l]
                    ri[j, l] += pr * vi[k, l] + pi * vr[k, l]
            for l in range(L):
                lo[l] += 0.5 * (rr[j, l] * rr[j, l] + ri[j, l] * ri[j, l])
        if not need_grad:
            continue
        # gP += r v^H
        for j in range(d):
            for k in range(d2):
                for l in range(L):
                    gPr[j, k, l] += rr[j, l] * vr[k, l] + ri[j, l] * vi[k, l]
                    gPi[j, k, l] += ri[j, l] * vr[k, l] - rr[j, l] * vi[k, l]
        # g = P^H r (into q), h = S g / s (into v)
        for k in range(d2):
            for l in range(L):
                qr[k, l] = 0.0
                qi[k, l] = 0.0
            for j in range(d):
                pr = Pr[j, k]
                pi = Pi[j, k]
                for l in range(L):
                    qr[k, l] += pr * rr[j, l] + pi * ri[j, l]
                    qi[k, l] += pr * ri[j, l] - pi * rr[j, l]
        _apply_S(Cr, Ci, Dr, Di, X, Y, s, qr, qi, vr, vi, wr, wi, inv)
        # gQ += h e^H
        for a in range(d2):
            for c in range(d2):
                for l in range(L):
                    gQr[a, c, l] += vr[a, l] * er[c, l] + vi[a, l] * ei[c, l]
                    gQi[a, c, l] += vi[a, l] * er[c, l] - vr[a, l] * ei[c, l]
    acc = 0.0
    for l in range(L):
        acc += lo[l]
    out[0] = acc
    if need_grad:
        for j in range(d):
            for k in range(d2):
                sr = 0.0
                si = 0.0
                for l in range(L):
                    sr += gPr[j, k, l]
                    si += gPi[j, k, l]
                out[1 + j * d2 + k] = sr
                out[1 + n1 + j * d2 + k] = si
        for a in range(d2):
            for c in range(d2):
                sr = 0.0
                si = 0.0
                for l in range(L):
                    sr += gQr[a, c, l]
                    si += gQi[a, c, l]
                out[1 + 2 * n1 + a * d2 + c] = sr
                out[1 + 2 * n1 + n2 + a * d2 + c] = si


@njit(fastmath=_FLAGS, cache=True, inline="always")
def _matvec(Mr, Mi, ur, ui, outr, outi):  # pragma: no cover - compiled
    n, k2 = Mr.shape
    L = ur.shape[1]
    for a in range(n):
        for l in range(L):
            outr[a, l] = 0.0
            outi[a, l] = 0.0
        for c in range(k2):
            mr = Mr[a, c]
            mi = Mi[a, c]
            for l in range(L):
                outr[a, l] += mr * ur[c, l] - mi * ui[c, l]
                outi[a, l] += mr * ui[c, l] + mi * ur[c, l]


@njit(fastmath=_FLAGS, cache=True, inline="always")
def _apply_S(Cr, Ci, Dr, Di, X, Y, s, ur, ui, vr, vi, wr, wi, inv):  # pragma: no cover - compiled
    """v = S_s u * inv with S_s = [[C_s, D_s], [D_s^H, C_s - x_s x_s^H]]."""
    d = Cr.shape[0]
    L = ur.shape[1]
    # w = x_s^H u2
    for l in range(L):
        wr[l] = 0.0
        wi[l] = 0.0
    for k in range(d):
        for l in range(L):
            a = X[s, k, l]
            b = Y[s, k, l]
            wr[l] += a * ur[d + k, l] + b * ui[d + k, l]
            wi[l] += a * ui[d + k, l] - b * ur[d + k, l]
    for j in range(d):
        for l in range(L):
            # - x_s w  (bottom block correction)
            a = X[s, j, l]
            b = Y[s, j, l]
            vr[d + j, l] = -(a * wr[l] - b * wi[l])
            vi[d + j, l] = -(a * wi[l] + b * wr[l])
            vr[j, l] = 0.0
            vi[j, l] = 0.0
    for j in range(d):
        for k in range(d):
            for l in range(L):
                cr = Cr[j, k, l]
                ci = Ci[j, k, l]
                dr = Dr[j, k, l]
                di = Di[j, k, l]
                # top: C u1 + D u2
                vr[j, l] += cr * ur[k, l] - ci * ui[k, l] + dr * ur[d + k, l] - di * ui[d + k, l]
                vi[j, l] += cr * ui[k, l] + ci * ur[k, l] + dr * ui[d + k, l] + di * ur[d + k, l]
                # bottom row k: (D^H)_{k j} u1_j = conj(D_{j k}) u1_j ; C_{k j} u2_j = conj(C_{j k}) u2_j
                vr[d + k, l] += dr * ur[j, l] + di * ui[j, l] + cr * ur[d + j, l] + ci * ui[d + j, l]
                vi[d + k, l] += dr * ui[j, l] - di * ur[j, l] + cr * ui[d + j, l] - ci * ur[d + j, l]
    for a in range(2 * d):
        for l in range(L):
            vr[a, l] *= inv
            vi[a, l] *= inv
