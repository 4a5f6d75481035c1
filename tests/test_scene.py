"""Scene files: the shipped ones load, and every kind of nonsense is named precisely."""

import tomllib
from pathlib import Path

import pytest

from nnviz3d.errors import SceneError, UserError
from nnviz3d.scene import default_scene_path, load_scene, parse_epoch_spec, parse_resolution

ROOT = Path(__file__).resolve().parent.parent


def test_packaged_default_scene_is_the_repository_scene():
    assert default_scene_path().read_text() == (ROOT / "scenes" / "iamtrask.toml").read_text()
    scene = load_scene()
    assert scene.network.layers == (3, 4, 1)
    assert scene.render.epochs == (1, 2, 3, 1998, 1999, 2000)
    assert scene.render.full == {1, 2, 3}
    assert (scene.render.width, scene.render.height, scene.render.fps) == (1280, 720, 30)


def test_epoch_spec():
    assert parse_epoch_spec("1-3,1998-2000", 2000) == (1, 2, 3, 1998, 1999, 2000)
    assert parse_epoch_spec(" 5 , 2-3", 10) == (2, 3, 5)
    for bad in ("", "a", "3-1", "0-2", "1-", "1--2"):
        with pytest.raises(UserError):
            parse_epoch_spec(bad, 10)
    with pytest.raises(UserError, match="beyond the 10 epochs"):
        parse_epoch_spec("9-11", 10)


def test_resolution():
    assert parse_resolution("1920x1080") == (1920, 1080)
    for bad in ("1280", "1281x720", "0x0", "-2x4", "axb", "100000x100"):
        with pytest.raises(UserError):
            parse_resolution(bad)


BASE = (ROOT / "scenes" / "iamtrask.toml").read_text()


def _write(tmp_path, text):
    p = tmp_path / "s.toml"
    p.write_text(text)
    return p


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("layers = [3, 4, 1]", "layers = [3, 4, 1]\nlayerz = 2", r"\[network\] layerz: unknown key"),
        ("layers = [3, 4, 1]", "layers = [3, 4]", r"\[network\] activations: needs one activation"),
        ("layers = [3, 4, 1]", 'layers = "341"', r"\[network\] layers: expected a list"),
        ('"sigmoid", "sigmoid"', '"sigmoid", "swish"', "unknown activation 'swish'"),
        ("learning_rate = 1.0", "learning_rate = -1.0", "learning_rate: must be positive"),
        ("learning_rate = 1.0", "learning_rate = nan", "learning_rate: must be a finite number"),
        ("targets = [[0], [1], [1], [0]]", "targets = [[0], [1], [1]]", r"\[data\] targets: has shape 3x1"),
        ("targets = [[0], [1], [1], [0]]", "targets = [[0, 1], [1, 1], [1, 1], [0, 1]]", "expected 4x1"),
        ("inputs = [[0, 0, 1],", "inputs = [[0, 0],", r"\[data\] inputs"),
        ("inputs = [[0, 0, 1],", "inputs = [[0, nan, 1],", "NaN or infinity"),
        ("epochs = 60000", "epochs = 0", r"\[training\] epochs: must be >= 1"),
        ('epochs = "1-3,1998-2000"', 'epochs = "1-3,59999-60001"', "beyond the 60000 epochs"),
        ('epochs = "1-3,1998-2000"', 'epochs = "one"', r"\[render\] epochs: cannot read"),
        ('resolution = "1280x720"', 'resolution = "1281x720"', "odd side"),
        ("fps = 30", "fps = 0", r"\[render\] fps: must be between 1 and 240"),
        ("fps = 30", "fps = true", r"\[render\] fps: expected an integer, got a boolean"),
        ('scheme = "iamtrask"', 'scheme = "xavier"', r"\[network.init\] scheme: must be one of"),
        ("bias = false", "bias = false\n[network.init]", "not valid TOML"),
    ],
)
def test_bad_scene_files_name_the_key(tmp_path, old, new, message):
    assert old in BASE
    with pytest.raises(SceneError, match=message):
        load_scene(_write(tmp_path, BASE.replace(old, new, 1)))


def test_explicit_weights_must_have_the_layer_shapes(tmp_path):
    text = (ROOT / "scenes" / "handcalc_322.toml").read_text()
    bad = text.replace("[[1.0, 3.0], [2.0, 4.0]]", "[[1.0, 3.0, 5.0], [2.0, 4.0, 6.0]]")
    with pytest.raises(SceneError, match=r"weights\[1\]: has shape 2x3, expected 2x2"):
        load_scene(_write(tmp_path, bad))


def test_missing_scene_file():
    with pytest.raises(UserError, match="scene file not found"):
        load_scene("no/such/scene.toml")


def test_every_shipped_scene_loads():
    for path in sorted((ROOT / "scenes").glob("*.toml")):
        tomllib.loads(path.read_text())
        if path.stem == "mnist":  # valid, but its data is not in the repository
            with pytest.raises(UserError, match="MNIST folder 'data/mnist' not found"):
                load_scene(path)
        else:
            load_scene(path)
