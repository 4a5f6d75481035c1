"""The PyTorch recorder (issue 10): an nn.Sequential recorded through hooks matches the
built-in trainer. Needs torch (the test extra pins 2.13.0); CI counts a skip as a failure."""

import json
import sys
from dataclasses import replace

import numpy as np
import pytest

from nnviz3d import UserError
from nnviz3d.recorder import train
from nnviz3d.scene import load_scene, scene_from_dict
from nnviz3d.tracefile import load_trace
from tests.test_record import FIELDS, _largest_difference

torch = pytest.importorskip("torch", reason="the PyTorch recorder needs torch (pip install torch==2.13.0)")
from torch import nn  # noqa: E402

from nnviz3d.torch import Recorder as TorchRecorder  # noqa: E402


@pytest.fixture(scope="module")
def builtin():
    return train(replace(load_scene().network, epochs=2000), (1, 2, 3, 1998, 1999, 2000))


# -- PyTorch -----------------------------------------------------------------------------


def _iamtrask_in_torch(dtype, epochs=2000, show="1-3,1998-2000"):
    X = torch.tensor([[0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1]], dtype=dtype)
    y = torch.tensor([[0], [1], [1], [0]], dtype=dtype)
    np.random.seed(1)
    syn0, syn1 = 2 * np.random.random((3, 4)) - 1, 2 * np.random.random((4, 1)) - 1
    model = nn.Sequential(
        nn.Linear(3, 4, bias=False), nn.Sigmoid(), nn.Linear(4, 1, bias=False), nn.Sigmoid()
    )
    model = model.to(dtype)
    with torch.no_grad():  # torch keeps weights (out, in): syn0.T
        model[0].weight.copy_(torch.from_numpy(syn0.T))
        model[2].weight.copy_(torch.from_numpy(syn1.T))
    opt = torch.optim.SGD(model.parameters(), lr=1.0)
    rec = TorchRecorder(model, show=show)
    for epoch in range(1, epochs + 1):
        with rec.step(X, y, epoch=epoch) as h:
            loss = 0.5 * ((model(X) - y) ** 2).sum()
            opt.zero_grad()
            loss.backward()
            opt.step()
            h.loss = loss
    return rec


def test_iamtrask_in_torch_matches_the_builtin_trainer(tmp_path, builtin):
    rec = _iamtrask_in_torch(torch.float64)
    path = rec.save(tmp_path / "torch.npz")
    got, _ = load_trace(path)
    assert got.spec.loss == "squared" and got.spec.reduction == "sum" and got.spec.learning_rate == 1.0
    assert got.spec.biases is None and got.spec.layers == (3, 4, 1)
    assert _largest_difference(builtin, got) < 1e-12
    assert got.updates[(1, 1)].weights_before[0].shape == (3, 4)  # (in, out), like syn0


def test_float32_is_kept_and_matches_within_1e_5(builtin):
    got = _iamtrask_in_torch(torch.float32, epochs=3, show="1-3").trace()
    u = got.updates[(3, 1)]
    assert u.activations[1].dtype == np.float32 and u.weights_after[0].dtype == np.float32
    ref = train(replace(load_scene().network, epochs=3), (1, 2, 3))
    for name in FIELDS:
        for a, b in zip(getattr(ref.updates[(3, 1)], name), getattr(u, name), strict=True):
            np.testing.assert_allclose(b, a, atol=1e-5)


SOFTMAX_SCENE = {
    "title": "softmax mini-batches",
    "network": {"layers": [2, 3, 2], "activations": ["tanh", "softmax"], "bias": True,
                "loss": "cross_entropy", "reduction": "mean", "learning_rate": 0.5,
                "init": {"scheme": "normal", "seed": 3, "scale": 0.5}},
    "data": {"inputs": [[0, 0], [0, 1], [1, 0], [1, 1], [0.5, 0.2], [0.1, 0.9]],
             "targets": [[1, 0], [0, 1], [0, 1], [1, 0], [1, 0], [0, 1]]},
    "training": {"epochs": 40, "batch_size": 2},
    "render": {"epochs": "1,40"},
}  # fmt: skip


def test_a_softmax_cross_entropy_minibatch_network_matches_the_builtin_trainer():
    scene = scene_from_dict(SOFTMAX_SCENE)
    spec = scene.network
    ref = train(spec, (1, 40))
    model = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 2), nn.Softmax(dim=1)).double()
    with torch.no_grad():
        for lin, w, b in zip((model[0], model[2]), spec.weights, spec.biases, strict=True):
            lin.weight.copy_(torch.from_numpy(w.T))
            lin.bias.copy_(torch.from_numpy(b))
    opt = torch.optim.SGD(model.parameters(), lr=0.5)
    rec = TorchRecorder(model, show="1,40")
    X, T = torch.from_numpy(spec.inputs), torch.from_numpy(spec.targets)
    for epoch in range(1, 41):
        for b in range(3):
            x, t = X[2 * b : 2 * b + 2], T[2 * b : 2 * b + 2]
            with rec.step(x, t, epoch=epoch) as h:
                p = model(x)
                loss = -(t * torch.log(p)).sum(dim=1).mean()
                opt.zero_grad()
                loss.backward()
                opt.step()
                h.loss = loss
    got = rec.trace()
    assert (got.spec.loss, got.spec.reduction, got.spec.learning_rate) == ("cross_entropy", "mean", 0.5)
    assert sorted(got.updates) == [(1, 1), (1, 2), (1, 3), (40, 1), (40, 2), (40, 3)]
    assert _largest_difference(ref, got) < 1e-12
    assert got.updates[(40, 3)].loss == pytest.approx(ref.updates[(40, 3)].loss, abs=1e-12)


@pytest.mark.parametrize(
    ("module", "name"),
    [(lambda: nn.Conv2d(1, 1, 3), "Conv2d"), (lambda: nn.Dropout(0.5), "Dropout"),
     (lambda: nn.BatchNorm1d(4), "BatchNorm1d")],
)  # fmt: skip
def test_unsupported_modules_are_named(module, name):
    model = nn.Sequential(nn.Linear(3, 4), module(), nn.Linear(4, 1))
    with pytest.raises(UserError, match=rf"model\[1\] is {name}: not supported") as info:
        TorchRecorder(model)
    assert ("record a run trained without it" in str(info.value)) == (name == "Dropout")


def test_a_torch_run_renders_through_the_cli(tmp_path, capsys):
    from nnviz3d.cli import main

    path = _iamtrask_in_torch(torch.float64, epochs=3, show="1-3").save(tmp_path / "run.npz")
    assert main(["steps", "--json", "--trace", str(path)]) == 0
    captions = [row["caption"] for row in json.loads(capsys.readouterr().out)]
    assert any(
        c.startswith("Hidden node h1: z = 0×(-0.166) + 0×(-0.706) + 1×(-0.206) = -0.206;") for c in captions
    )
    assert main(["frame", "--trace", str(path), "--step", "10", "--resolution", "320x180",
                 "--out", str(tmp_path / "f.png")]) == 0  # fmt: skip
    assert (tmp_path / "f.png").stat().st_size > 1000
    assert "torch" in sys.modules


def test_mse_loss_is_recorded_as_half_squares_with_the_rate_scaled(tmp_path):
    """torch's MSELoss (mean of squares, no 1/2) as a user writes it: a tanh/sigmoid XOR
    with biases. The weights are torch's own; the rate is recorded times 2/n_out."""
    import torch.nn.functional as F

    X = torch.tensor([[0.0, 0], [0, 1], [1, 0], [1, 1]], dtype=torch.float64)
    y = torch.tensor([[0.0], [1], [1], [0]], dtype=torch.float64)
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1), nn.Sigmoid()).double()
    opt = torch.optim.SGD(model.parameters(), lr=0.5)
    rec = TorchRecorder(model, show="1-2,300")
    for epoch in range(1, 301):
        with rec.step(X, y, epoch=epoch):
            loss = F.mse_loss(model(X), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
    got = rec.trace()
    assert (got.spec.loss, got.spec.reduction, got.spec.learning_rate) == ("squared", "mean", 1.0)
    np.testing.assert_allclose(got.updates[(300, 1)].weights_after[1].T, model[2].weight.detach().numpy())
    # and the built-in trainer, from the same start with 1/2 squares averaged at rate 1, agrees
    ref = train(replace(got.spec, epochs=300), (1, 2, 300))
    assert _largest_difference(ref, got) < 1e-12


def _mse_xor(epochs: int, give_loss: bool, backward=lambda loss: loss.backward()):
    import torch.nn.functional as F

    X = torch.tensor([[0.0, 0], [0, 1], [1, 0], [1, 1]], dtype=torch.float64)
    y = torch.tensor([[0.0], [1], [1], [0]], dtype=torch.float64)
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1), nn.Sigmoid()).double()
    opt = torch.optim.SGD(model.parameters(), lr=0.3)
    rec = TorchRecorder(model, show=f"1-{epochs}")
    for epoch in range(1, epochs + 1):
        with rec.step(X, y, epoch=epoch) as h:
            loss = F.mse_loss(model(X), y)
            opt.zero_grad()
            backward(loss)
            opt.step()
            torch_losses.append(float(loss.detach()))
            if give_loss:
                h.loss = loss
    return rec


torch_losses: list[float] = []


def test_a_loss_not_found_is_null_in_inspect_and_steps_and_said_so_in_the_caption(tmp_path, capsys):
    import json

    from nnviz3d.cli import main

    # torch.autograd.backward(loss) is not loss.backward(): the loss is not captured
    path = _mse_xor(2, give_loss=False, backward=torch.autograd.backward).save(tmp_path / "run.npz")
    got, _ = load_trace(path)
    assert got.spec.learning_rate == pytest.approx(0.6)  # 0.3 x 2/n_out: the caption names the loss
    assert np.isnan(got.updates[(1, 1)].loss)
    assert main(["inspect", "--trace", str(path), "--epoch", "1", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["loss"] is None
    assert main(["inspect", "--trace", str(path), "--epoch", "1"]) == 0
    assert "loss = null (not recorded: give it as h.loss)" in capsys.readouterr().out.splitlines()
    assert main(["steps", "--json", "--trace", str(path)]) == 0
    rows = json.loads(capsys.readouterr().out)  # valid JSON: no NaN
    shown = [r for r in rows if r["kind"] == "display_error"]
    assert shown and all(r["values"]["loss"] is None for r in shown)
    assert shown[0]["caption"].endswith(
        "(loss E = 1/2 sum of squared errors, averaged over the batch = not recorded)"
    )


@pytest.mark.parametrize("give_loss", [True, False])
def test_a_given_or_captured_mse_loss_is_recorded_as_the_half_squares_it_is_shown_as(give_loss):
    torch_losses.clear()
    got = _mse_xor(2, give_loss=give_loss).trace()  # not given: captured from loss.backward()
    u = got.updates[(2, 1)]
    half_squares = 0.5 * float(((u.targets - u.activations[-1]) ** 2).sum()) / len(u.targets)
    assert u.loss == pytest.approx(half_squares, abs=1e-15)
    assert u.loss == pytest.approx(torch_losses[1] / 2, abs=1e-15)  # MSELoss = that x 2/n_out
    assert torch.Tensor.backward.__name__ == "backward" and "nnviz3d" not in torch.Tensor.backward.__module__
