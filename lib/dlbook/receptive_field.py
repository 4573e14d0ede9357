r"""Receptive fields: which input pixels can affect one unit of a convolutional network.

A stack of convolutions and poolings along one axis is a list of ``Layer``\ s
(kernel $k_l$, stride $s_l$, padding $p_l$, dilation $d_l$), read from the
input up. A dilated kernel spans $k'_l = d_l (k_l - 1) + 1$ input positions.
After layer $L$ a unit sees

$$
r_L = 1 + \sum_{l=1}^{L} (k'_l - 1) \prod_{i<l} s_i,\qquad
S_L = \prod_{l=1}^{L} s_l,\qquad
P_L = \sum_{l=1}^{L} p_l \prod_{i<l} s_i,
$$

input pixels (the receptive field), output unit $u$ covers the input pixels
$u S_L - P_L, \dots, u S_L - P_L + r_L - 1$ (effective stride $S_L$, effective
padding $P_L$; Araujo, Norris & Sim, Distill 2019). The same per axis in 2-D.

``gradient_support`` finds the same pixels with autograd, and
``input_gradient`` gives the gradient map whose spread is the *effective*
receptive field (Luo et al., 2016).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from dlbook.checks import check_choice, check_instance, check_int, check_seed, check_str, check_tensor, check_values

__all__ = [
    "ARCHITECTURES",
    "bottleneck_resnet",
    "Field",
    "Layer",
    "conv_stack",
    "gradient_spread",
    "gradient_support",
    "input_gradient",
    "layers_from_module",
    "receptive_field_top_down",
    "receptive_fields",
    "uniform_stack",
]


@dataclass(frozen=True)
class Layer:
    r"""One convolution or pooling along one axis: ``kernel`` taps, ``dilation`` apart."""

    kernel: int
    stride: int = 1
    padding: int = 0
    dilation: int = 1
    name: str = ""

    def __post_init__(self) -> None:
        for arg in ("kernel", "stride", "dilation"):
            check_int(arg, getattr(self, arg), min_value=1)
        check_int("padding", self.padding, min_value=0)
        check_str("name", self.name)

    @property
    def span(self) -> int:
        r"""Input positions the (dilated) kernel covers: $d\,(k - 1) + 1$."""
        return self.dilation * (self.kernel - 1) + 1


@dataclass(frozen=True)
class Field:
    r"""A unit's receptive field: ``size`` input pixels; output unit $u$ starts at $u S - P$."""

    size: int
    stride: int
    padding: int

    def span(self, unit: int) -> tuple[int, int]:
        r"""The first and last input pixel of output unit ``unit``: $(uS - P,\ uS - P + r - 1)$."""
        unit = check_int("unit", unit, min_value=0)
        first = unit * self.stride - self.padding
        return first, first + self.size - 1


def _check_layers(layers: Any) -> list[Layer]:
    layers = check_values("layers", layers)
    for layer in layers:
        check_instance("layers[i]", layer, Layer)
    return layers


def receptive_fields(layers: Sequence[Layer]) -> list[Field]:
    r"""The ``Field`` after each layer, by the closed form.

    $r_L = 1 + \sum_{l \le L} (k'_l - 1) \prod_{i<l} s_i$,
    $S_L = \prod_{l \le L} s_l$, $P_L = \sum_{l \le L} p_l \prod_{i<l} s_i$.
    """
    layers = _check_layers(layers)
    fields, size, jump, padding = [], 1, 1, 0  # jump: the stride so far
    for layer in layers:
        size += (layer.span - 1) * jump
        padding += layer.padding * jump
        jump *= layer.stride
        fields.append(Field(size, jump, padding))
    return fields


def receptive_field_top_down(layers: Sequence[Layer]) -> int:
    r"""The last layer's receptive field, from the top down.

    Start with $r = 1$ (one unit of the last layer); for each layer, from the
    last down to the first, $r \leftarrow (r - 1)\, s + k'$: the $r$ units it
    must see are $s$ apart and each needs $k'$ positions of the layer below.
    """
    layers = _check_layers(layers)
    r = 1
    for layer in reversed(layers):
        r = (r - 1) * layer.stride + layer.span
    return r


#: Modules that act on each position alone: they leave the geometry as it is.
_POINTWISE = (
    nn.ReLU,
    nn.LeakyReLU,
    nn.GELU,
    nn.SiLU,
    nn.Sigmoid,
    nn.Tanh,
    nn.Identity,
    nn.Dropout,
    nn.BatchNorm1d,
    nn.BatchNorm2d,
)
_CONV = (nn.Conv1d, nn.Conv2d)
_POOL = (nn.MaxPool1d, nn.MaxPool2d, nn.AvgPool1d, nn.AvgPool2d)


def _one(name: str, value: Any) -> int:
    """One number for every axis: a square kernel, stride, padding or dilation."""
    values = tuple(value) if isinstance(value, (tuple, list)) else (value,)
    if len(set(values)) != 1:
        raise ValueError(f"module {name} must be the same along every axis, got {value}")
    return int(values[0])


def _layer(module: nn.Module, name: str) -> Layer:
    kernel = _one(f"{name}.kernel_size", module.kernel_size)
    stride = _one(f"{name}.stride", module.stride)
    dilation = _one(f"{name}.dilation", getattr(module, "dilation", 1))
    padding = module.padding
    if padding == "valid":
        padding = 0
    elif padding == "same":  # stride 1: the extra position of an even span goes right
        padding = dilation * (kernel - 1) // 2
    return Layer(kernel, stride, _one(f"{name}.padding", padding), dilation, name)


def _modules(module: nn.Module, prefix: str) -> list[tuple[str, nn.Module]]:
    """The leaves of nested ``nn.Sequential`` containers, in the order they are called."""
    if isinstance(module, nn.Sequential):
        return [leaf for key, child in module.named_children() for leaf in _modules(child, f"{prefix}.{key}")]
    if isinstance(module, _CONV + _POOL + _POINTWISE):
        return [(prefix, module)]
    raise TypeError(
        f"module must be nn.Sequential stacks of Conv1d/Conv2d, MaxPool/AvgPool and pointwise layers; "
        f"cannot trace {prefix} ({type(module).__name__})"
    )


def layers_from_module(module: nn.Module, input_shape: Sequence[int]) -> list[Layer]:
    r"""The ``Layer``\ s of a sequential stack, in call order (pointwise layers add none).

    ``input_shape`` (batch first) is run through ``module`` to check that the
    stack accepts it and leaves a non-empty output.
    """
    check_instance("module", module, nn.Module)
    leaves = _modules(module, "module")
    layers = [_layer(leaf, name) for name, leaf in leaves if isinstance(leaf, _CONV + _POOL)]
    if not layers:
        raise ValueError("module must hold at least one convolution or pooling layer")
    _output_shape(module, input_shape)
    return layers


def _check_shape(input_shape: Any) -> tuple[int, ...]:
    shape = check_values("input_shape", input_shape)
    shape = tuple(check_int("input_shape[i]", n, min_value=1) for n in shape)
    if len(shape) not in (3, 4):
        raise ValueError(f"input_shape must be (batch, channels, length) or (batch, channels, H, W), got {shape}")
    return shape


def _output_shape(module: nn.Module, input_shape: Any) -> tuple[int, ...]:
    shape = _check_shape(input_shape)
    param = next(module.parameters(), None)
    dtype = param.dtype if param is not None else torch.float32
    try:
        with torch.no_grad():
            out = module(torch.zeros(shape, dtype=dtype))
    except RuntimeError as exc:
        raise ValueError(f"input_shape {shape} does not fit module: {exc}") from exc
    if not isinstance(out, torch.Tensor) or out.ndim != len(shape) or out.numel() == 0:
        raise ValueError(f"module must map input_shape {shape} to a non-empty map of {len(shape)} dims")
    return tuple(out.shape)


def _check_probe(module: Any, input_shape: Any, unit: Any, seed: Any) -> torch.dtype:
    """Validate ``input_gradient``'s arguments; return the module's dtype."""
    check_instance("module", module, nn.Module)
    check_seed("seed", seed)
    out_shape = _output_shape(module, input_shape)
    unit = tuple(check_values("unit", unit))
    if len(unit) != len(out_shape) - 2:
        raise ValueError(f"unit must give {len(out_shape) - 2} spatial indices, got {unit}")
    for u, n in zip(unit, out_shape[2:], strict=True):
        if check_int("unit[i]", u, min_value=0) >= n:
            raise ValueError(f"unit {unit} lies outside the output map of spatial shape {out_shape[2:]}")
    param = next(module.parameters(), None)
    return param.dtype if param is not None else torch.float32


def input_gradient(
    module: nn.Module,
    input_shape: Sequence[int],
    unit: Sequence[int],
    *,
    seed: int = 0,
) -> torch.Tensor:
    r"""$|\partial y_u / \partial x|$, summed over batch and channels.

    $y_u$: the output channels at spatial position ``unit``, summed;
    $x$: uniform in $[0, 1)$, drawn with ``seed`` (positive, so that max
    pooling picks an input-dependent arg-max). Shape ``input_shape[2:]``.
    """
    dtype = _check_probe(module, input_shape, unit, seed)
    gen = torch.Generator().manual_seed(seed)
    x = torch.rand(*input_shape, generator=gen, dtype=dtype)  # (B, C, *sp)
    x.requires_grad_(True)
    y = module(x)  # (B, C', *out_spatial)
    y[(..., *unit)].sum().backward()  # the unit, all batch and channels
    return x.grad.abs().sum(dim=(0, 1))  # (*spatial)


def gradient_support(
    module: nn.Module, input_shape: Sequence[int], unit: Sequence[int], *, seed: int = 0
) -> tuple[tuple[int, int], ...]:
    r"""Per spatial axis, the first and last input pixel with a non-zero gradient for ``unit``.

    See ``input_gradient`` for the input; raises ``ValueError`` if no pixel has one.
    """
    grad = input_gradient(module, input_shape, unit, seed=seed)  # (*spatial)
    nonzero = grad.nonzero()  # (n, ndim)
    if len(nonzero) == 0:
        raise ValueError(f"no input pixel has a non-zero gradient for unit {tuple(unit)}")
    return tuple((int(lo), int(hi)) for lo, hi in zip(nonzero.min(0).values, nonzero.max(0).values, strict=True))


def gradient_spread(gradient: Any) -> float:
    r"""The standard deviation of a 1-D gradient map read as a distribution over positions.

    $\sigma^2 = \sum_i w_i (i - \bar\imath)^2$ with $w_i = |g_i| / \sum_j |g_j|$.
    """
    w = check_tensor("gradient", gradient, ndim=1).abs().double()
    if w.sum() == 0:
        raise ValueError("gradient must not be all zero")
    w = w / w.sum()  # (n,)
    i = torch.arange(len(w), dtype=torch.float64)
    mean = (w * i).sum()
    return float((w * (i - mean) ** 2).sum().sqrt())


def conv_stack(
    layers: Sequence[Layer], *, dims: int = 2, pool: str = "avg", dtype: torch.dtype = torch.float64
) -> nn.Sequential:
    r"""A one-channel network with the geometry of ``layers``: convolutions with every weight 1.

    Layers whose ``name`` starts with ``"pool"`` become ``pool`` pooling
    (``"avg"`` or ``"max"``); the others bias-free convolutions. Weights and
    activations stay positive, so float32 loses no gradient either.
    """
    layers = _check_layers(layers)
    dims = check_int("dims", dims, min_value=1)
    if dims > 2:
        raise ValueError(f"dims must be 1 or 2, got {dims}")
    check_choice("pool", pool, ("avg", "max"))
    check_instance("dtype", dtype, torch.dtype)
    if not dtype.is_floating_point:
        raise ValueError(f"dtype must be a floating-point dtype, got {dtype}")
    conv, pools = (
        (nn.Conv1d, nn.Conv2d)[dims - 1],
        {
            "avg": (nn.AvgPool1d, nn.AvgPool2d)[dims - 1],
            "max": (nn.MaxPool1d, nn.MaxPool2d)[dims - 1],
        },
    )
    modules: list[nn.Module] = []
    for layer in layers:
        if layer.name.startswith("pool"):
            if layer.dilation != 1 and pool == "avg":
                raise ValueError(f"layers: average pooling has no dilation, got {layer}")
            extra = {"dilation": layer.dilation} if pool == "max" else {"count_include_pad": True}
            modules.append(pools[pool](layer.kernel, layer.stride, layer.padding, **extra))
        else:
            c = conv(1, 1, layer.kernel, layer.stride, layer.padding, layer.dilation, bias=False)
            nn.init.ones_(c.weight)
            modules.append(c)
    return nn.Sequential(*modules).to(dtype)


def uniform_stack(n: int, *, kernel: int = 3, dims: int = 1) -> nn.Sequential:
    r"""``n`` stride-1 convolutions whose ``kernel``\ :sup:`dims` weights all equal $1 / k^{\mathrm{dims}}$."""
    n = check_int("n", n, min_value=1)
    kernel = check_int("kernel", kernel, min_value=1)
    net = conv_stack([Layer(kernel, name=f"conv{i}") for i in range(n)], dims=dims)
    with torch.no_grad():
        for conv in net:
            conv.weight.fill_(1 / kernel**dims)
    return net


# ----------------------------------------------------------------------------- published main paths


def _vgg_16() -> list[Layer]:
    """TF-Slim's vgg_16: 3x3 'SAME' convolutions, 2x2 'VALID' max pooling."""
    layers = []
    for block, n in enumerate([2, 2, 3, 3, 3], start=1):
        layers += [Layer(3, 1, 1, name=f"conv{block}_{i}") for i in range(1, n + 1)]
        layers.append(Layer(2, 2, 0, name=f"pool{block}"))
    return layers


def _alexnet_v2() -> list[Layer]:
    """TF-Slim's alexnet_v2, up to pool5 (the fully connected layers see the whole map)."""
    return [
        Layer(11, 4, 0, name="conv1"),
        Layer(3, 2, 0, name="pool1"),
        Layer(5, 1, 2, name="conv2"),
        Layer(3, 2, 0, name="pool2"),
        Layer(3, 1, 1, name="conv3"),
        Layer(3, 1, 1, name="conv4"),
        Layer(3, 1, 1, name="conv5"),
        Layer(3, 2, 0, name="pool5"),
    ]


def _mobilenet_v1() -> list[Layer]:
    """TF-Slim's mobilenet_v1: 3x3 depthwise + 1x1 pointwise; 'SAME' at an even input size."""
    strides = [1, 2, 1, 2, 1, 2, 1, 1, 1, 1, 1, 2, 1]
    layers = [Layer(3, 2, 0, name="Conv2d_0")]  # 'SAME', stride 2, even size: no padding before
    for i, s in enumerate(strides, start=1):
        layers += [
            Layer(3, s, 1 if s == 1 else 0, name=f"Conv2d_{i}_depthwise"),
            Layer(1, name=f"Conv2d_{i}_pointwise"),
        ]
    return layers


def _resnet_50(stride_at: str) -> list[Layer]:
    """The main path of ResNet-50: conv1, pool1, then 3-4-6-3 bottlenecks 1x1 -> 3x3 -> 1x1.

    ``stride_at`` says where a stage halves the map: ``"last"`` (TF-Slim's
    resnet_v1_50: the 3x3 of a stage's last unit, stage 4 keeps its size),
    ``"first"`` (torchvision: the 3x3 of the next stage's first unit) or
    ``"caffe"`` (He et al.'s Caffe model: the first 1x1 of that unit).
    """
    pool_padding = 1 if stride_at == "first" else 0  # TF-Slim: 'SAME' at 112; Caffe: none
    layers = [Layer(7, 2, 3, name="conv1"), Layer(3, 2, pool_padding, name="pool1")]
    for stage, units in enumerate([3, 4, 6, 3], start=1):
        for unit in range(1, units + 1):
            s1 = s2 = 1
            if stride_at == "last" and unit == units and stage < 4 or stride_at == "first" and unit == 1 and stage > 1:
                s2 = 2
            elif stride_at == "caffe" and unit == 1 and stage > 1:
                s1 = 2
            name = f"block{stage}/unit_{unit}"
            layers += [
                Layer(1, s1, name=f"{name}/conv1"),
                Layer(3, s2, 1, name=f"{name}/conv2"),
                Layer(1, name=f"{name}/conv3"),
            ]
    return layers


class _Bottleneck(nn.Module):
    """One residual unit: 1x1 -> 3x3 -> 1x1 on the main path, plus a 1x1 (or identity) shortcut."""

    def __init__(self, path: list[Layer]) -> None:
        super().__init__()
        self.path = conv_stack(path)
        stride = path[0].stride * path[1].stride
        self.shortcut = conv_stack([Layer(1, stride, name="shortcut")]) if stride > 1 else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, 1, H, W) -> (B, 1, H / s, W / s)
        return self.path(x) + self.shortcut(x)


def bottleneck_resnet(stride_at: str = "first") -> nn.Sequential:
    r"""A one-channel ResNet-50 with shortcuts, weights 1 and average pooling (see ``ARCHITECTURES``).

    ``stride_at``: ``"last"`` (TF-Slim), ``"first"`` (torchvision) or ``"caffe"``.
    """
    check_choice("stride_at", stride_at, ("last", "first", "caffe"))
    layers = _resnet_50(stride_at)
    units = [_Bottleneck(layers[i : i + 3]) for i in range(2, len(layers), 3)]
    return nn.Sequential(conv_stack(layers[:2]), *units)


#: Main paths of published networks, one axis, as in their reference code.
ARCHITECTURES: dict[str, list[Layer]] = {
    "alexnet_v2": _alexnet_v2(),
    "vgg_16": _vgg_16(),
    "resnet_v1_50": _resnet_50("last"),
    "resnet50_torchvision": _resnet_50("first"),
    "resnet50_caffe": _resnet_50("caffe"),
    "mobilenet_v1": _mobilenet_v1(),
}
