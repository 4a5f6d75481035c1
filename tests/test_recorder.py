"""The recorder against the numbers printed in seeds 000 and 004 (../shared/reference/seeds.md)."""

import numpy as np
import pytest

from nnviz3d.recorder import train
from nnviz3d.scene import load_scene

TOL = 1e-7  # the seed prints 8 significant digits; we must agree to all of them


@pytest.fixture(scope="module")
def iamtrask():
    scene = load_scene()
    return train(scene.network, scene.render.epochs)


def test_initial_weights_match_seed(iamtrask):
    syn0, syn1 = iamtrask.spec.weights
    np.testing.assert_allclose(
        syn0,
        [
            [-0.16595599, 0.44064899, -0.99977125, -0.39533485],
            [-0.70648822, -0.81532281, -0.62747958, -0.30887855],
            [-0.20646505, 0.07763347, -0.16161097, 0.370439],
        ],
        atol=TOL,
    )
    np.testing.assert_allclose(syn1.ravel(), [-0.5910955, 0.75623487, -0.94522481, 0.34093502], atol=TOL)


def test_forward_pass_of_iteration_1(iamtrask):
    u = iamtrask.updates[(1, 1)]
    np.testing.assert_allclose(
        u.activations[0],
        [
            [0.44856632, 0.51939863, 0.45968497, 0.59156505],
            [0.28639589, 0.32350963, 0.31236398, 0.51538526],
            [0.40795614, 0.62674606, 0.23841622, 0.49377636],
            [0.25371248, 0.42628115, 0.14321233, 0.41732254],
        ],
        atol=TOL,
    )
    np.testing.assert_allclose(u.outputs.ravel(), [0.47372957, 0.48895696, 0.54384086, 0.54470837], atol=TOL)
    np.testing.assert_allclose(
        u.output_errors.ravel(), [-0.47372957, 0.51104304, 0.45615914, -0.54470837], atol=TOL
    )
    assert u.mean_abs_error == pytest.approx(0.4964100319, abs=1e-10)


def test_backward_pass_of_iteration_1(iamtrask):
    u = iamtrask.updates[(1, 1)]
    l2_delta = -u.deltas[1]
    np.testing.assert_allclose(l2_delta.ravel(), [-0.11810546, 0.12769844, 0.11316304, -0.13508831], atol=TOL)
    l1_error = -u.activation_grads[0]
    np.testing.assert_allclose(l1_error[0], [0.0698116, -0.08931546, 0.11163621, -0.04026629], atol=TOL)
    l1_delta = -u.deltas[0]
    np.testing.assert_allclose(l1_delta[0], [0.01726822, -0.02229526, 0.02772761, -0.00972897], atol=TOL)
    np.testing.assert_allclose(
        -u.weight_gradients[1].ravel(),
        [-0.00451386, -0.00669325, -0.00676932, -0.00455133],
        atol=TOL,
    )
    np.testing.assert_allclose(
        u.weights_after[1].ravel(), [-0.59560936, 0.74954163, -0.95199413, 0.33638369], atol=TOL
    )
    np.testing.assert_allclose(
        u.weights_after[0],
        [
            [-0.16699282, 0.43568423, -1.00352547, -0.3968903],
            [-0.7067957, -0.8191728, -0.63773812, -0.3092039],
            [-0.20566016, 0.07150791, -0.16356387, 0.37002849],
        ],
        atol=TOL,
    )


def test_recorded_values_are_the_iamtrask_arithmetic(iamtrask):
    """Bit-for-bit: re-run the original 11 lines and compare the shown epochs exactly."""
    X = np.array([[0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1]])
    y = np.array([[0], [1], [1], [0]])
    np.random.seed(1)
    syn0 = 2 * np.random.random((3, 4)) - 1
    syn1 = 2 * np.random.random((4, 1)) - 1
    for j in range(2000):
        l1 = 1 / (1 + np.exp(-np.dot(X, syn0)))
        l2 = 1 / (1 + np.exp(-np.dot(l1, syn1)))
        l2_error = y - l2
        l2_delta = l2_error * (l2 * (1 - l2))
        l1_error = l2_delta.dot(syn1.T)
        l1_delta = l1_error * (l1 * (1 - l1))
        if j + 1 in (1, 2, 3, 1998, 1999, 2000):
            u = iamtrask.updates[(j + 1, 1)]
            assert np.array_equal(u.activations[1], l2)
            assert np.array_equal(-u.deltas[0], l1_delta)
        syn1 += l1.T.dot(l2_delta)
        syn0 += X.T.dot(l1_delta)
        if j + 1 in (1, 2, 3, 1998, 1999, 2000):
            assert np.array_equal(iamtrask.updates[(j + 1, 1)].weights_after[0], syn0)


@pytest.mark.parametrize(
    ("iteration", "display_error"),
    [
        (1, 0.4964100319),
        (2, 0.4962957889),
        (1998, 0.0241487730),
        (1999, 0.0241398230),
        (2000, 0.0241308819),
        (10001, 0.0085845257),
        (60000, 0.0031835307),
    ],
)
def test_display_error_per_iteration(iamtrask, iteration, display_error):
    assert iamtrask.summaries.mean_abs_error[iteration - 1] == pytest.approx(display_error, abs=1e-9)


def test_summaries_cover_every_epoch_and_details_only_the_shown(iamtrask):
    s = iamtrask.summaries
    assert len(s.loss) == len(s.mean_abs_error) == 60000
    assert s.weight_stats.shape == (60000, 2, 4)
    assert sorted(iamtrask.updates) == [(e, 1) for e in (1, 2, 3, 1998, 1999, 2000)]
    # squared loss, sum reduction: 1/2 * sum of squared errors of iteration 1
    u = iamtrask.updates[(1, 1)]
    assert s.loss[0] == pytest.approx(0.5 * np.sum(u.output_errors**2), rel=1e-12)
    assert u.loss == pytest.approx(s.loss[0], rel=1e-12)
    # weight stats are those of the weights at the end of the epoch
    w = u.weights_after[0]
    np.testing.assert_allclose(s.weight_stats[0, 0], [w.min(), w.mean(), w.max(), w.std()])
    assert s.accuracy[59999] == 1.0


def test_seed_004_hand_calculation():
    """3-2-2, sigmoid hidden, identity output, lr 0.1; the seed's values are float32."""
    scene = load_scene("scenes/handcalc_322.toml")
    u = train(scene.network, [1]).updates[(1, 1)]
    np.testing.assert_allclose(u.preactivations[0], [[0.6, 1.2]], atol=1e-12)
    np.testing.assert_allclose(u.activations[0], [[0.64565629, 0.76852483]], atol=1e-5)
    np.testing.assert_allclose(u.outputs, [[2.18270588, 5.01106834]], atol=1e-5)
    assert u.loss == pytest.approx(10.4264374, abs=1e-5)
    # the seed writes matrices (out x in); ours are (in x out)
    np.testing.assert_allclose(
        u.weight_gradients[1].T, [[1.4092778, 1.67746365], [2.58977151, 3.0826056]], atol=1e-5
    )
    np.testing.assert_allclose(
        u.weight_gradients[0].T,
        [[3.25237656, 6.50475311, 9.75712967], [3.63076901, 7.26153803, 10.89230728]],
        atol=1e-5,
    )
    np.testing.assert_allclose(
        u.weights_after[0].T,
        [[-0.22523767, -0.5504753, -0.87571293], [-0.16307689, -0.5261538, -0.88923079]],
        atol=1e-5,
    )
    np.testing.assert_allclose(
        u.weights_after[1].T, [[0.85907221, 1.83225369], [2.74102283, 3.69173956]], atol=1e-5
    )


def _spec(**changes):
    from dataclasses import replace

    return replace(load_scene().network, **changes)


def test_gradients_match_central_differences_for_every_activation_and_loss():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(5, 3))
    cases = [
        (("tanh", "sigmoid"), "squared", "mean", rng.uniform(size=(5, 2))),
        (("relu", "identity"), "squared", "sum", rng.normal(size=(5, 2))),
        (("sigmoid", "softmax"), "cross_entropy", "mean", np.eye(2)[[0, 1, 1, 0, 1]]),
        (("tanh", "sigmoid"), "cross_entropy", "sum", np.array([[0, 1]] * 5, float)),
    ]
    from nnviz3d.mlp import initial_parameters, per_record_loss

    for acts, loss, reduction, t in cases:
        w, b = initial_parameters([3, 4, 2], "normal", seed=3, scale=0.7, bias=True)
        spec = _spec(
            layers=(3, 4, 2),
            activations=acts,
            loss=loss,
            reduction=reduction,
            weights=tuple(w),
            biases=tuple(b),
            inputs=x,
            targets=t,
            epochs=1,
            batch_size=5,
        )
        u = train(spec, [1]).updates[(1, 1)]

        def total_loss(ws, bs, acts=acts, loss=loss, reduction=reduction, t=t):
            from nnviz3d.mlp import ACTIVATIONS

            a = x
            for wi, bi, name in zip(ws, bs, acts, strict=True):
                a = ACTIVATIONS[name].forward(a @ wi + bi)
            total = per_record_loss(loss, acts[-1], a, t).sum()
            return total / len(x) if reduction == "mean" else total

        eps = 1e-6
        for layer in range(2):
            num = np.zeros_like(w[layer])
            for idx in np.ndindex(*w[layer].shape):
                wp = [m.copy() for m in w]
                wm = [m.copy() for m in w]
                wp[layer][idx] += eps
                wm[layer][idx] -= eps
                num[idx] = (total_loss(wp, b) - total_loss(wm, b)) / (2 * eps)
            np.testing.assert_allclose(u.weight_gradients[layer], num, atol=1e-7, err_msg=str(acts))
            numb = np.zeros_like(b[layer])
            for k in range(len(b[layer])):
                bp = [m.copy() for m in b]
                bm = [m.copy() for m in b]
                bp[layer][k] += eps
                bm[layer][k] -= eps
                numb[k] = (total_loss(w, bp) - total_loss(w, bm)) / (2 * eps)
            np.testing.assert_allclose(u.bias_gradients[layer], numb, atol=1e-7)


def test_minibatches_with_shuffle_are_seeded_and_cover_every_record():
    spec = _spec(batch_size=3, shuffle=True, shuffle_seed=7, epochs=5)
    a = train(spec, [2])
    b = train(spec, [2])
    rows = np.concatenate([u.record_indices for u in a.epoch_updates(2)])
    assert sorted(rows) == [0, 1, 2, 3]
    assert len(a.epoch_updates(2)) == 2
    np.testing.assert_array_equal(a.summaries.loss, b.summaries.loss)
    # the second batch starts from the first batch's weights
    u1, u2 = a.epoch_updates(2)
    assert u2.weights_before is u1.weights_after


def test_divergence_runs_to_the_end_and_says_where():
    trace = train(_spec(learning_rate=1e6, activations=("sigmoid", "identity"), epochs=200), [1, 200])
    first = trace.diverged_at
    assert first is not None and 1 < first <= 200
    s = trace.summaries
    assert np.all(np.isfinite(s.loss[: first - 1])) and np.all(np.isfinite(s.weight_stats[: first - 1]))
    assert not (np.isfinite(s.loss[first - 1]) and np.all(np.isfinite(s.weight_stats[first - 1])))
    assert not np.isfinite(s.loss[-1])
    last = trace.updates[(200, 1)]
    assert not np.all(np.isfinite(last.weights_after[0]))  # the values are kept as they are


def test_finite_training_reports_no_divergence(iamtrask):
    assert iamtrask.diverged_at is None
