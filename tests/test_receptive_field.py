"""Receptive fields: closed form = top-down recurrence = autograd; published table; bad input."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from torch import nn

from dlbook.receptive_field import (
    ARCHITECTURES,
    Field,
    Layer,
    bottleneck_resnet,
    conv_stack,
    gradient_spread,
    gradient_support,
    input_gradient,
    layers_from_module,
    receptive_field_top_down,
    receptive_fields,
    uniform_stack,
)

layer_st = st.builds(
    Layer,
    kernel=st.integers(1, 5),
    stride=st.integers(1, 3),
    padding=st.integers(0, 2),
    dilation=st.integers(1, 3),
)


@given(st.lists(layer_st, min_size=1, max_size=8))
def test_top_down_recurrence_equals_closed_form(layers):
    fields = receptive_fields(layers)
    for i, field in enumerate(fields):
        assert receptive_field_top_down(layers[: i + 1]) == field.size
        assert field.stride == math.prod(layer.stride for layer in layers[: i + 1])


@given(st.lists(layer_st, min_size=1, max_size=4), st.integers(0, 3))
def test_autograd_support_is_the_field(layers, extra):
    """All-ones convolutions, 1-D: a unit's non-zero gradient spans exactly its field, from u S - P."""
    field = receptive_fields(layers)[-1]
    net = conv_stack([Layer(la.kernel, la.stride, la.padding, la.dilation, "conv") for la in layers], dims=1)
    unit = -(-field.padding // field.stride) + extra  # the first unit whose field starts in the input
    first, last = field.span(unit)
    assert first >= 0
    assert gradient_support(net, (1, 1, last + 1 + extra), (unit,)) == ((first, last),)


# The published table (google-research/receptive_field, RECEPTIVE_FIELD_TABLE.md, the rows at input resolution 224,
# whose paddings the README quotes): end-point -> (RF, effective stride, effective padding).
PUBLISHED = {
    "alexnet_v2": {
        "conv1": (11, 4, 0),
        "pool1": (19, 8, 0),
        "conv2": (51, 8, 16),
        "conv3": (99, 16, 32),
        "conv4": (131, 16, 48),
        "conv5": (163, 16, 64),
        "pool5": (195, 32, 64),
    },
    "vgg_16": {
        "conv1_1": (3, 1, 1),
        "pool1": (6, 2, 2),
        "conv2_1": (10, 2, 4),
        "pool2": (16, 4, 6),
        "conv3_1": (24, 4, 10),
        "conv3_2": (32, 4, 14),
        "pool3": (44, 8, 18),
        "conv4_1": (60, 8, 26),
        "conv4_2": (76, 8, 34),
        "pool4": (100, 16, 42),
        "conv5_1": (132, 16, 58),
        "conv5_2": (164, 16, 74),
        "pool5": (212, 32, 90),
    },
    "mobilenet_v1": {
        "Conv2d_0": (3, 2, 0),
        **{
            f"Conv2d_{i}_pointwise": row
            for i, row in enumerate(
                [(7, 2, 2), (11, 4, 2), (19, 4, 6), (27, 8, 6), (43, 8, 14), (59, 16, 14), (91, 16, 30)]
                + [(123, 16, 46), (155, 16, 62), (187, 16, 78), (219, 16, 94), (251, 32, 94), (315, 32, 126)],
                start=1,
            )
        },
    },
    "resnet_v1_50": {
        "block1/unit_3/conv3": (35, 8, 15),
        "block2/unit_4/conv3": (99, 16, 47),
        "block3/unit_6/conv3": (291, 32, 143),
        "block4/unit_3/conv3": (483, 32, 239),
    },
}


@pytest.mark.parametrize("net", sorted(PUBLISHED))
def test_published_table(net):
    fields = dict(zip([la.name for la in ARCHITECTURES[net]], receptive_fields(ARCHITECTURES[net]), strict=True))
    for end_point, (size, stride, padding) in PUBLISHED[net].items():
        field = fields[end_point]
        assert (field.size, field.stride, field.padding) == (size, stride, padding), end_point


def test_kernel_smaller_than_stride_leaves_holes():
    """The closed form gives the field's extent; with k < s some pixels inside it never reach the unit."""
    layers = [Layer(1, 2, name="conv"), Layer(3, name="conv")]
    field = receptive_fields(layers)[-1]
    grad = input_gradient(conv_stack(layers, dims=1), (1, 1, 9), (1,))
    assert field.span(1) == (2, 6)
    assert grad.nonzero().flatten().tolist() == [2, 4, 6]


def test_vgg_conv5_3_and_torchvision_resnet():
    assert receptive_fields(ARCHITECTURES["vgg_16"][:-1])[-1].size == 196
    assert receptive_fields(ARCHITECTURES["resnet50_torchvision"])[-1] == Field(427, 32, 213)
    assert receptive_fields(ARCHITECTURES["resnet50_caffe"])[-1].size == 483


@pytest.mark.parametrize(
    "stride_at, net", [("first", "resnet50_torchvision"), ("last", "resnet_v1_50"), ("caffe", "resnet50_caffe")]
)
def test_residual_network_support_is_the_main_path_field(stride_at, net):
    """With its shortcuts, the network sees what its longest path (the main path) sees."""
    field = receptive_fields(ARCHITECTURES[net])[-1]
    support = gradient_support(bottleneck_resnet(stride_at), (1, 1, 512, 512), (8, 8))
    assert support == (field.span(8), field.span(8))


def test_vgg_max_pooling_follows_the_arg_max():
    layers = ARCHITECTURES["vgg_16"]
    field, conv5_3 = receptive_fields(layers)[-1], receptive_fields(layers[:-1])[-1]
    assert gradient_support(conv_stack(layers), (1, 1, 224, 224), (3, 3)) == (field.span(3),) * 2
    for seed in range(4):
        support = gradient_support(conv_stack(layers, pool="max"), (1, 1, 224, 224), (3, 3), seed=seed)
        # inside the field of one of the two conv5_3 units the last 2x2 max pool picks from
        for lo, hi in support:
            assert any(conv5_3.span(u)[0] <= lo and hi <= conv5_3.span(u)[1] for u in (6, 7))


@pytest.mark.parametrize("n", [1, 2, 5, 12])
def test_uniform_stack_erf_spread(n):
    """n uniform 3-tap kernels: the gradient is the n-fold convolution, variance 2n/3, support 2n + 1."""
    grad = input_gradient(uniform_stack(n), (1, 1, 2 * n + 1), (0,))
    assert gradient_spread(grad) == pytest.approx(math.sqrt(2 * n / 3), rel=1e-12)
    assert bool((grad > 0).all())
    assert receptive_fields([Layer(3)] * n)[-1].size == 2 * n + 1
    ref = torch.ones(1, dtype=torch.float64)
    for _ in range(n):  # the reference: repeated numpy-style full convolution
        ref = torch.nn.functional.conv1d(ref.view(1, 1, -1), torch.full((1, 1, 3), 1 / 3.0).double(), padding=2)
    assert torch.allclose(grad, ref.flatten())


def test_wavenet_dilations():
    assert receptive_fields([Layer(2, dilation=2**i) for i in range(10)])[-1].size == 1024


def test_layers_from_module_reads_hand_written_stacks():
    net = nn.Sequential(
        nn.Conv2d(3, 8, 5, stride=2, padding=2),
        nn.BatchNorm2d(8),
        nn.ReLU(),
        nn.Sequential(nn.MaxPool2d(3, 2, 1), nn.Conv2d(8, 8, 3, padding=2, dilation=2)),
        nn.AvgPool2d(2),
        nn.Conv2d(8, 4, 3, padding="same"),
    )
    got = [(la.kernel, la.stride, la.padding, la.dilation) for la in layers_from_module(net, (1, 3, 32, 32))]
    assert got == [(5, 2, 2, 1), (3, 2, 1, 1), (3, 1, 2, 2), (2, 2, 0, 1), (3, 1, 1, 1)]
    one_d = nn.Sequential(nn.Conv1d(1, 1, 4, padding="valid"), nn.MaxPool1d(2), nn.AvgPool1d(3, 1, 1))
    got = [(la.kernel, la.stride, la.padding) for la in layers_from_module(one_d, (1, 1, 20))]
    assert got == [(4, 1, 0), (2, 2, 0), (3, 1, 1)]
    vgg = ARCHITECTURES["vgg_16"]
    assert [(la.kernel, la.stride, la.padding) for la in layers_from_module(conv_stack(vgg), (1, 1, 64, 64))] == [
        (la.kernel, la.stride, la.padding) for la in vgg
    ]


@pytest.mark.parametrize(
    "kwargs, arg",
    [
        ({"kernel": 0}, "kernel"),
        ({"kernel": 3, "stride": 0}, "stride"),
        ({"kernel": 3, "dilation": 0}, "dilation"),
        ({"kernel": 3, "padding": -1}, "padding"),
    ],
)
def test_bad_layer(kwargs, arg):
    with pytest.raises(ValueError, match=arg):
        Layer(**kwargs)


def test_bad_layer_lists():
    for fn in (receptive_fields, receptive_field_top_down):
        with pytest.raises(ValueError, match="layers"):
            fn([])
        with pytest.raises(TypeError, match="layers"):
            fn([3])


def test_bad_modules_and_units():
    with pytest.raises(TypeError, match="module"):
        layers_from_module(nn.Sequential(nn.Conv2d(1, 1, 3), nn.Flatten()), (1, 1, 8, 8))
    with pytest.raises(TypeError, match="module"):
        layers_from_module(bottleneck_resnet(), (1, 1, 64, 64))
    with pytest.raises(ValueError, match="module"):
        layers_from_module(nn.Sequential(nn.Conv2d(1, 1, (3, 5))), (1, 1, 8, 8))
    with pytest.raises(ValueError, match="input_shape"):
        layers_from_module(nn.Sequential(nn.Conv2d(1, 1, 3)), (1, 1, 2, 2))
    net = conv_stack([Layer(3, 2)])
    with pytest.raises(ValueError, match="unit"):
        gradient_support(net, (1, 1, 9, 9), (4, 0))
    with pytest.raises(ValueError, match="unit"):
        gradient_support(net, (1, 1, 9, 9), (1,))
    with pytest.raises(ValueError, match="stride_at"):
        bottleneck_resnet("middle")
