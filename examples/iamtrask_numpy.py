"""The 11-line iamtrask network, recorded with nnviz3d.Recorder and rendered.

    python examples/iamtrask_numpy.py            # writes renders/iamtrask_numpy.npz
    nnviz3d render --trace renders/iamtrask_numpy.npz

The loop is iamtrask's own ("A Neural Network in 11 lines of Python", part 1, 3 layers);
the lines marked ``# nnviz3d`` are all that recording adds.
"""

import sys

import numpy as np

from nnviz3d import Recorder  # nnviz3d


def nonlin(x, deriv=False):
    if deriv:
        return x * (1 - x)
    return 1 / (1 + np.exp(-x))


def main(out: str = "renders/iamtrask_numpy.npz", iterations: int = 60000) -> None:
    X = np.array([[0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1]])
    y = np.array([[0], [1], [1], [0]])
    np.random.seed(1)
    syn0 = 2 * np.random.random((3, 4)) - 1
    syn1 = 2 * np.random.random((4, 1)) - 1
    rec = Recorder([3, 4, 1], ["sigmoid", "sigmoid"], X, y, show="1-3,1998-2000")  # nnviz3d
    for j in range(iterations):
        l0 = X
        l1 = nonlin(np.dot(l0, syn0))
        l2 = nonlin(np.dot(l1, syn1))
        l2_error = y - l2
        l2_delta = l2_error * nonlin(l2, deriv=True)
        l1_error = l2_delta.dot(syn1.T)
        l1_delta = l1_error * nonlin(l1, deriv=True)
        before = [syn0.copy(), syn1.copy()]  # nnviz3d
        syn1 += l1.T.dot(l2_delta)
        syn0 += l0.T.dot(l1_delta)
        rec.record(j + 1, l0, y, before, [l1, l2], [l1_delta, l2_delta], [syn0, syn1])  # nnviz3d
    print(rec.save(out))  # nnviz3d


if __name__ == "__main__":
    main(*sys.argv[1:2])
