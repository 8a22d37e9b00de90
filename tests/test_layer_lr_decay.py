"""Layer-wise LR decay: one learning rate per depth, head at `lr`, each layer below at `layer_lr_decay` times it."""

from __future__ import annotations

from pathlib import Path

import pytest

from emotion.models.classifier import EmotionClassifier, layer_depth


def test_depth_from_parameter_names_of_bert_and_distilbert() -> None:
    assert layer_depth("bert.embeddings.word_embeddings.weight", 6) == 0
    assert layer_depth("distilbert.embeddings.LayerNorm.bias", 6) == 0
    assert layer_depth("bert.encoder.layer.0.attention.self.query.weight", 6) == 1
    assert layer_depth("distilbert.transformer.layer.5.ffn.lin1.weight", 6) == 6
    assert layer_depth("bert.pooler.dense.weight", 6) == 7
    assert layer_depth("classifier.bias", 6) == 7


def test_each_layer_trains_at_decay_times_the_one_above(tiny_model: Path) -> None:
    model = EmotionClassifier(str(tiny_model), lr=1e-3, weight_decay=0.01, layer_lr_decay=0.5)
    layers = model.model.config.num_hidden_layers
    groups = model.parameter_groups()
    lr_of = {
        name: group["lr"]
        for name, parameter in model.model.named_parameters()
        for group in groups
        if any(parameter is member for member in group["params"])
    }
    assert len(lr_of) == len(list(model.model.parameters()))  # every parameter in exactly one group
    assert sum(len(group["params"]) for group in groups) == len(lr_of)
    assert lr_of["classifier.weight"] == pytest.approx(1e-3)
    assert lr_of["distilbert.embeddings.word_embeddings.weight"] == pytest.approx(1e-3 * 0.5 ** (layers + 1))
    for index in range(layers):
        in_layer = [lr for name, lr in lr_of.items() if f".layer.{index}." in name]
        assert in_layer and in_layer == pytest.approx([1e-3 * 0.5 ** (layers - index)] * len(in_layer))
    no_decay = {id(parameter) for group in groups if group["weight_decay"] == 0.0 for parameter in group["params"]}
    assert no_decay == {id(parameter) for parameter in model.model.parameters() if parameter.ndim < 2}


def test_without_decay_two_groups_as_the_trainer_has(tiny_model: Path) -> None:
    model = EmotionClassifier(str(tiny_model), lr=1e-3, weight_decay=0.01)
    groups = model.parameter_groups()
    assert [(group["lr"], group["weight_decay"]) for group in groups] == [(1e-3, 0.01), (1e-3, 0.0)]
    assert sum(len(group["params"]) for group in groups) == len(list(model.model.parameters()))
