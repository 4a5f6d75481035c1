"""Your own data: a CSV file named by the scene; scene and CSV files with a UTF-8 BOM."""

import numpy as np
import pytest

from nnviz3d.cli import main
from nnviz3d.errors import SceneError
from nnviz3d.scene import load_scene

SCENE = """title = "xor from a csv"
[network]
layers = [2, 3, 1]
activations = ["sigmoid", "sigmoid"]
[data]
csv = "xor.csv"
{columns}
[training]
epochs = 5
"""


def _write(tmp_path, csv_text, columns="", bom=False):
    (tmp_path / "xor.csv").write_bytes((b"\xef\xbb\xbf" if bom else b"") + csv_text.encode())
    scene = tmp_path / "s.toml"
    scene.write_bytes((b"\xef\xbb\xbf" if bom else b"") + SCENE.format(columns=columns).encode())
    return scene


def test_a_csv_file_gives_the_records(tmp_path):
    scene = load_scene(_write(tmp_path, "a,b,xor\n0,0,0\n0,1,1\n1,0,1\n1,1,0\n"))
    np.testing.assert_array_equal(scene.network.inputs, [[0, 0], [0, 1], [1, 0], [1, 1]])
    np.testing.assert_array_equal(scene.network.targets, [[0], [1], [1], [0]])


def test_columns_are_chosen_by_name_and_a_bom_is_fine(tmp_path):
    text = "id,xor,b,a\n1,0,0,0\n2,1,1,0\n3,1,0,1\n4,0,1,1\n"
    scene = load_scene(_write(tmp_path, text, 'inputs = ["a", "b"]\ntargets = ["xor"]', bom=True))
    np.testing.assert_array_equal(scene.network.inputs, [[0, 0], [0, 1], [1, 0], [1, 1]])
    np.testing.assert_array_equal(scene.network.targets[:, 0], [0, 1, 1, 0])


def test_a_scene_file_with_a_bom_loads(tmp_path):
    iamtrask = (load_scene.__globals__["default_scene_path"]()).read_bytes()
    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbf" + iamtrask)
    assert load_scene(path).network.layers == (3, 4, 1)


@pytest.mark.parametrize(
    ("text", "columns", "words"),
    [
        ("a,b,xor\n0,0,0\n0,x,1\n", "", "line 3, column 'b': 'x' is not a number"),
        ("a,b,xor\n0,0,0\n", 'inputs = ["a", "c"]', "no column 'c' in"),
        ("", "", "is empty"),
        ("a,b,xor\n", "", "has a header row and no records"),
        ("a,b,c,xor\n0,0,0,0\n", "", "names 3 columns, [network] layers need 2"),
    ],
)
def test_bad_csv_gets_one_clear_line(tmp_path, capsys, text, columns, words):
    scene = _write(tmp_path, text, columns)
    with pytest.raises(SceneError, match=None) as info:
        load_scene(scene)
    assert words in str(info.value)
    assert main(["steps", str(scene)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and words in err


def test_a_missing_csv_is_named(tmp_path):
    scene = tmp_path / "s.toml"
    scene.write_text(SCENE.format(columns=""))
    with pytest.raises(SceneError, match="file not found"):
        load_scene(scene)
