# ruff: noqa: RUF001  (Japanese text uses full-width punctuation on purpose)
"""Every sentence the video shows, in English and Japanese.

Templates are ``str.format`` strings; numbers are formatted by the caller (see
``timeline.fmt``) so that both languages show exactly the same digits.
"""

from __future__ import annotations

import unicodedata

LANGUAGES = ("en", "ja")

MESSAGES: dict[str, dict[str, str]] = {
    "en": {
        "init": "Initialise syn{k} ({rows}x{cols}): the weights l{k} -> l{k1}, {how}",
        "loop": "Start the training loop: {epochs} iterations over {records}",
        "records_all": "all {n} records",
        "records_one": "the one record",
        "skip": "... {gap} iterations later: iteration {epoch} begins",
        "input": "Record {row} of {n}: input layer l0 = [{x}], target y = [{t}]",
        "hidden": "Hidden node {j}",
        "hidden_of": "Hidden node {j} of l{k}",
        "output": "Output node {j}",
        "node": "{name}: z = {terms} = {z};   {act}(z) = {a}",
        "sum_of": "sum of {n} inputs x weights",
        "output_error": "l{k}_error = y - l{k} = {terms}",
        "compact_input": "l0: the input layer for all {n} records at once",
        "compact_layer": "l{k}: layer {k} for all {n} records at once (one matrix product)",
        "compact_error": "l{k}_error = y - l{k} for all {n} records",
        "example": "; the spheres show record {row}",
        "display_error": "Display error = mean(|l{k}_error|) over the batch = {e}   (loss = {loss})",
        "error_hidden": "l{k}_error = l{k1}_delta . syn{k}.T: each hidden node's share of the output's "
        "delta, through its weights",
        "delta": "l{k}_delta = l{k}_error x {slope}: how much each node's input should move",
        "slope_sigmoid": "the sigmoid's slope l{k}*(1-l{k})",
        "slope_identity": "1 (identity)",
        "slope_other": "the slope of {act}",
        "slope_cross_entropy": "1 (with cross-entropy the slope cancels: delta = y - output)",
        "panel_sum": "sum over the batch = {v}",
        "node_sum": "sum {v}",
        "key_forward": "on a weight: input x weight",
        "key_backward": "violet: delta x weight, sent back",
        "key_delta": "on a node: its delta, summed over the batch",
        "key_update": "sleeve: the change (blue grew, orange shrank)",
        "key_thickness": "thickness = |weight|, sphere = value",
        "update": "syn{k} += {lr}l{k}.T . l{k1}_delta: every weight l{k} -> l{k1} moves "
        "(largest change {big})",
        "magnified": "   [changes drawn x{m}, the same all video]",
        "end": "End of iteration {epoch}: display error {e}",
        "title_sub": "{layers} network, {epochs} iterations: the forward pass, the error, "
        "and backpropagation",
        "card_forward": "Iteration {epoch}: forward pass",
        "card_backward": "Iteration {epoch}: backward pass",
        "card_compact": "Iteration {epoch}: the whole batch at once",
        "iteration": "iteration {e} / {n}",
        "evolve": "{label}: iteration {epoch}, loss {loss}, accuracy {acc}, argmax {argmax}",
        "epoch_batch": "epoch {e} / {n}, batch {b} / {nb}",
        "before_training": "before training",
        "display_error_hud": "display error (it. {e})  {v}",
        "batch_error_hud": "batch error (epoch {e}, batch {b})  {v}",
        "display_error_none": "display error  -",
        "status_error": "mean |error| {v}",
        "slope_title": "sigmoid slope at each value",
        "slope_axis": "z",
        "changes_title": "change of syn{k} (rows l{k}, cols l{k1})",
        "changes_title_t": "change of syn{k} (rows l{k1}, cols l{k})",
        "change_size_title": "largest change",
        "key_positive": "blue +",
        "key_negative": "orange -",
        "legend_positive": "blue: positive weight",
        "legend_negative": "orange: negative weight",
        "legend_thickness": "thickness = |weight|",
        "legend_size": "sphere size = value",
        "legend_beads_log": "beads: one per record, size ~ log|value|",
        "legend_squares": "grey square: output, green square: target",
        "legend_signs": "beads and halos: blue +, orange -",
        "legend_beads": "beads: one per record, size = value",
        "legend_invalid": "red: NaN or inf (training diverged)",
        "records_header": "rec",
        "records_x": "X",
        "records_y": "y",
        "table_output": "l{k}",
        "table_target": "y",
        "table_error": "y - l{k}",
        "panel_matrix": "{name} =",
        "panel_rows": "{name} (rows = records) =",
        "panel_change": "syn{k} change =",
        "panel_gradient": "gradient dE/dsyn{k} =",
        "panel_new": "new syn{k} =",
        "plot_error": "display error (ticks: shown)",
        "plot_error_epoch": "mean |error| per epoch (ticks: shown)",
        "plot_update": "largest weight change",
        "plot_fit": "learned (white) vs target (green)",
        "plot_accuracy": "accuracy: train white, test green",
        "plot_weights": "syn{k}, b{k}: min mean max std",
        "plot_path": "W1 rows in 3D and 3 projections",
        "plot_bias": "b2 (log-spaced iterations)",
    },
    "ja": {
        "init": "syn{k}（{rows}x{cols}）を初期化：l{k} → l{k1} の重み、{how}",
        "loop": "学習ループ開始：{records}で {epochs} 回繰り返す",
        "records_all": "全 {n} 件のレコード",
        "records_one": "1 件のレコード",
        "skip": "…… {gap} 回後：{epoch} 回目の繰り返し",
        "input": "レコード {row}/{n}：入力層 l0 = [{x}]、正解 y = [{t}]",
        "hidden": "隠れ層の {j} 番目ノード",
        "hidden_of": "l{k} の {j} 番目ノード",
        "output": "出力層の {j} 番目ノード",
        "node": "{name}：z = {terms} = {z}、 {act}(z) = {a}",
        "sum_of": "{n} 個の入力 × 重みの和",
        "output_error": "l{k}_error = y - l{k} = {terms}",
        "compact_input": "l0：全 {n} 件の入力をまとめて設定",
        "compact_layer": "l{k}：全 {n} 件をまとめて計算（行列積 1 回）",
        "compact_error": "全 {n} 件の l{k}_error = y - l{k}",
        "example": "、球はレコード {row} の値",
        "display_error": "平均絶対誤差 = mean(|l{k}_error|) = {e}（損失 = {loss}）",
        "error_hidden": "l{k}_error = l{k1}_delta・syn{k}.T：出力のデルタを重み経由で各ノードに配分",
        "delta": "l{k}_delta = l{k}_error × {slope}：各ノードの入力をどれだけ動かすか",
        "slope_sigmoid": "シグモイドの傾き l{k}*(1-l{k})",
        "slope_identity": "1（恒等関数）",
        "slope_other": "{act} の傾き",
        "slope_cross_entropy": "1（交差エントロピーでは傾きが打ち消され delta = y - 出力）",
        "panel_sum": "バッチの合計 = {v}",
        "node_sum": "合計 {v}",
        "key_forward": "重みの上：入力 × 重み",
        "key_backward": "紫：delta × 重み（逆向きに送る）",
        "key_delta": "ノードの上：delta のバッチ合計",
        "key_update": "外側の筒：変化（青は増加、橙は減少）",
        "key_thickness": "太さ = |重み|、球 = 値",
        "update": "syn{k} += {lr}l{k}.T・l{k1}_delta：l{k} → l{k1} の全ての重みを更新（最大の変化 {big}）",
        "magnified": "（変化は動画を通して {m} 倍で描画）",
        "end": "{epoch} 回目の繰り返し終了：平均絶対誤差 {e}",
        "title_sub": "{layers} のネットワーク、{epochs} 回の学習：順伝播、誤差、誤差逆伝播",
        "card_forward": "{epoch} 回目：順伝播",
        "card_backward": "{epoch} 回目：逆伝播",
        "card_compact": "{epoch} 回目：バッチ全体をまとめて",
        "iteration": "繰り返し {e} / {n}",
        "evolve": "{label}：{epoch} 回目、損失 {loss}、正解率 {acc}、argmax {argmax}",
        "epoch_batch": "エポック {e} / {n}、バッチ {b} / {nb}",
        "before_training": "学習前",
        "display_error_hud": "平均絶対誤差（{e} 回目） {v}",
        "batch_error_hud": "バッチの誤差（エポック {e}、バッチ {b}） {v}",
        "display_error_none": "平均絶対誤差  -",
        "status_error": "平均絶対誤差 {v}",
        "slope_title": "各値でのシグモイドの傾き",
        "slope_axis": "z",
        "changes_title": "syn{k} の変化（行 l{k}、列 l{k1}）",
        "changes_title_t": "syn{k} の変化（行 l{k1}、列 l{k}）",
        "change_size_title": "最大の変化（対数目盛り）",
        "key_positive": "青 +",
        "key_negative": "橙 -",
        "legend_positive": "青：正の重み",
        "legend_negative": "橙：負の重み",
        "legend_thickness": "太さ = |重み|",
        "legend_size": "球の大きさ = 値",
        "legend_beads_log": "小球：レコードごと、大きさ ~ log|値|",
        "legend_squares": "灰色の四角：出力、緑の四角：正解",
        "legend_signs": "小球と光輪：青は正、橙は負",
        "legend_beads": "小球：レコードごと、大きさ = 値",
        "legend_invalid": "赤：NaN または inf（学習が発散）",
        "records_header": "番号",
        "records_x": "入力 X",
        "records_y": "正解 y",
        "table_output": "出力 l{k}",
        "table_target": "正解 y",
        "table_error": "誤差 y - l{k}",
        "panel_matrix": "{name} =",
        "panel_rows": "{name}（行 = レコード）=",
        "panel_change": "syn{k} の変化 =",
        "panel_gradient": "勾配 dE/dsyn{k} =",
        "panel_new": "新しい syn{k} =",
        "plot_error": "平均絶対誤差（目盛り：表示回）",
        "plot_error_epoch": "エポックごとの平均 |誤差|（目盛り：表示回）",
        "plot_update": "重みの最大変化",
        "plot_fit": "学習した曲線（白）と目標の関数（緑）",
        "plot_accuracy": "エポックごとの正解率：学習（白）、テスト（緑）",
        "plot_weights": "syn{k}, b{k}：最小 平均 最大 標準偏差",
        "plot_path": "W1 の各行（3D と 3 つの射影）",
        "plot_bias": "b2（対数間隔の回）",
    },
}


def message(lang: str, key: str, **values: object) -> str:
    """The sentence ``key`` in ``lang``, filled with ``values``."""
    return MESSAGES[lang][key].format(**values)


def columns(text: str) -> int:
    """Width of ``text`` in a monospaced font's columns: kana and kanji take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def pad_columns(text: str, width: int, right: bool = True) -> str:
    """``text`` padded with spaces to ``width`` columns (right-aligned unless ``right`` is
    False), counting columns as a monospaced CJK font draws them, not characters."""
    fill = " " * max(0, width - columns(text))
    return fill + text if right else text + fill


def has_non_ascii(text: str) -> bool:
    return any(ord(c) > 127 for c in text)
