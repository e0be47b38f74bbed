#!/usr/bin/python3
"""scipy CG + Jacobi per iteration on the peer's grid network (../shared/tools/peer_flow_bench.py:
same generator, seed, boundary rule and tolerance), with the iteration count the peer script does
not print: solve time / iterations is what issue 8 compares hepaflow's Jacobi-PCG iteration with.
Needs scipy < 1.14 (cg(tol=...)). Usage: bench/peer_cg_per_iteration.py N_SIDE [REPEAT]"""
import os, sys, time
import numpy as np, scipy, scipy.sparse as sp, scipy.sparse.linalg as spla

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "tools"))
from peer_flow_bench import grid_network  # noqa: E402  (the peer's own generator)


def main():
    n = int(sys.argv[1]); repeat = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    idx, e, g = grid_network(n)
    N = n**3
    inlet = idx[0].ravel(); outlet = idx[-1].ravel()
    fixed = np.zeros(N, bool); fixed[inlet] = True; fixed[outlet] = True
    p_fix = np.zeros(N); p_fix[inlet] = 800.0; p_fix[outlet] = 533.0
    A = sp.coo_matrix((np.concatenate([g, g, -g, -g]),
                       (np.concatenate([e[:, 0], e[:, 1], e[:, 0], e[:, 1]]),
                        np.concatenate([e[:, 0], e[:, 1], e[:, 1], e[:, 0]]))), shape=(N, N)).tocsr()
    free = ~fixed
    Aff = A[free][:, free].tocsr(); b = -A[free][:, fixed] @ p_fix[fixed]
    d = Aff.diagonal(); M = sp.diags(1.0 / d)
    times = []
    for _ in range(repeat):
        count = [0]
        def callback(_x):
            count[0] += 1
        t0 = time.perf_counter()
        x, info = spla.cg(Aff, b, M=M, tol=1e-10, atol=0.0, maxiter=100000, callback=callback)
        times.append(time.perf_counter() - t0)
    t = sorted(times)[len(times) // 2]
    res = np.linalg.norm(Aff @ x - b) / np.linalg.norm(b)
    print(f"scipy={scipy.__version__} segments={len(e)} unknowns={Aff.shape[0]} nnz={Aff.nnz} solve_s={t:.4f} "
          f"iterations={count[0]} ms_per_iteration={1e3 * t / count[0]:.4f} rel_res={res:.1e} info={info}", flush=True)


if __name__ == "__main__":
    main()
