"""ONNX export of sknn's estimators through skl2onnx.

Importing this module registers, with skl2onnx, a shape calculator and a
converter for each sknn estimator (and skl2onnx's classifier parser, with
its ``zipmap``, ``nocl`` and ``output_class_labels`` options, for the
classifiers), so :func:`skl2onnx.to_onnx` converts them alone or inside a
:class:`~sklearn.pipeline.Pipeline` or
:class:`~sklearn.compose.ColumnTransformer`, as it converts scikit-learn's
own models. ``import sknn`` never imports this module, nor skl2onnx.

The converters read the fitted network (``network_``: the spec and its
weights) and write every layer that acts at inference: dense layers as
``Gemm``, batch norm folded into the dense layer it follows (or, elsewhere,
the per-unit affine map it is at inference), a periodic embedding of the
inputs (``Mul``, ``Add``, ``Cos`` and ``Concat`` between two ``Reshape``),
each activation, and the loss's output link; dropout is the identity at
inference and is left out.

A graph computes in the dtype sknn computes in for an input of the
graph's type: a float input computes in float32; a double input in
float64, unless the estimator rounds its input to float32 first (DeepNet
and StackedAutoencoder with ``dtype='float32'``, a copy made by
``with_inference_dtype('float32')`` or ``'float16'``), as the graph then
does too, returning double outputs. Weights are initializers of the
compute dtype. A float32 graph uses ONNX's fused activations (``Elu``,
``LeakyRelu``, ``PRelu``, ...: each node costs about 0.3 microseconds per
call in ONNX Runtime). A float64 graph writes them with elementary
operators: ONNX attributes are single precision (``Elu``'s alpha would be
rounded), and ONNX Runtime has no float64 kernel of ``Erf``, ``Softplus``,
``PRelu``, ``LeakyRelu``, ``Elu`` or ``Selu``.

:data:`ACTIVATION_BUILDERS` maps each built-in hidden activation's registry
name to the function that writes it; an activation registered with
:func:`sknn.register_activation` brings its own (``onnx_builder=``). One
without either cannot be exported, and the converter says so. A builder is called as
``builder(graph, x, alpha)``: ``graph.op(op_type, *inputs, **attributes)``
adds a node and returns its output's name, ``graph.const(value)`` adds a
constant in the compute dtype, ``x`` is the name of the activation's input
and ``alpha`` its constant (PReLU's learned slopes, an array).
"""

from __future__ import annotations

import functools
import math

import numpy as np
from numpy.polynomial import chebyshev
from onnx import TensorProto, numpy_helper
from scipy.special import erfcx
from skl2onnx import to_onnx as skl2onnx_to_onnx
from skl2onnx import update_registered_converter
from skl2onnx.common.data_types import (
    DoubleTensorType,
    FloatTensorType,
    Int64TensorType,
    StringTensorType,
)
from skl2onnx.common.utils import check_input_and_output_types
from skl2onnx.common.utils_classifier import get_label_classes
from sklearn.utils.validation import check_is_fitted

from sknn.estimators._inference import COMPUTE_DTYPES
from sknn.estimators.autoencoder import StackedAutoencoder
from sknn.estimators.deep_net import DeepNetClassifier, DeepNetRegressor
from sknn.estimators.mlp import MLPClassifier, MLPRegressor
from sknn.estimators.perceptron import PerceptronClassifier
from sknn.nn.activations import (
    _SELU_ALPHA,
    _SELU_SCALE,
    RRELU_LOWER,
    RRELU_UPPER,
    resolve_activation,
)
from sknn.nn.layers.periodic import TWO_PI
from sknn.spec import Activation, BatchNorm, Dense, Dropout, PeriodicEmbedding

__all__ = ["to_onnx"]

_INPUT_TYPES = [FloatTensorType, DoubleTensorType]
_PROTO_TYPES = {np.dtype(np.float32): TensorProto.FLOAT, np.dtype(np.float64): TensorProto.DOUBLE}


class _Graph:
    """The nodes and constants one converter adds, computing in ``dtype``."""

    def __init__(self, scope, container, dtype):
        self.scope, self.container, self.dtype = scope, container, np.dtype(dtype)

    def op(self, op_type, *inputs, output=None, **attributes):
        output = output or self.scope.get_unique_variable_name(op_type.lower())
        self.container.add_node(op_type, list(inputs), output,
                                name=self.scope.get_unique_operator_name(op_type), **attributes)
        return output

    def const(self, value, dtype=None):
        array = np.asarray(value, dtype=dtype or self.dtype)
        name = self.scope.get_unique_variable_name("c")
        if array.dtype.kind in "OUS":  # class labels
            self.container.add_initializer(name, TensorProto.STRING, list(array.shape),
                                           [str(label).encode("utf-8") for label in array])
        else:
            self.container.add_initializer(name, None, None, numpy_helper.from_array(array))
        return name

    def cast(self, x, dtype, output=None):
        return self.op("Cast", x, output=output, to=_PROTO_TYPES[np.dtype(dtype)])


# -- activations ----------------------------------------------------------------
def _leaky_relu(graph, x, slope):
    if graph.dtype == np.float32:
        return graph.op("LeakyRelu", x, alpha=slope)
    # sknn's max(z, slope z) (min for a slope above 1): exactly the leaky value
    return graph.op("Max" if slope <= 1.0 else "Min", x, graph.op("Mul", x, graph.const(slope)))


def _prelu(graph, x, slopes):
    if graph.dtype == np.float32:
        return graph.op("PRelu", x, graph.const(slopes))
    # sknn's max(z, 0) + slope * min(z, 0), with one learned slope per unit
    negative = graph.op("Min", x, graph.const(0.0))
    return graph.op("Add", graph.op("Relu", x), graph.op("Mul", negative, graph.const(slopes)))


def _elu(graph, x, alpha, scale=None):
    if graph.dtype == np.float32:  # one node (float attributes are exact in float32)
        return (graph.op("Elu", x, alpha=alpha) if scale is None
                else graph.op("Selu", x, alpha=alpha, gamma=scale))
    # max(z, 0) + alpha (exp(min(z, 0)) - 1); ONNX has no expm1, and exp - 1 is off by
    # at most one unit of exp's rounding, a negligible absolute error
    negative = graph.op("Sub", graph.op("Exp", graph.op("Min", x, graph.const(0.0))),
                        graph.const(1.0))
    if alpha != 1.0:
        negative = graph.op("Mul", negative, graph.const(alpha))
    out = graph.op("Add", graph.op("Relu", x), negative)
    return out if scale is None else graph.op("Mul", out, graph.const(scale))


def _log1p(graph, u):
    # ONNX has no Log1p: log(w) u / (w - 1) with w = 1 + u cancels the rounding of
    # w (Goldberg 1991, theorem 4); where w rounds to 1, log1p(u) is u
    one = graph.const(1.0)
    w = graph.op("Add", u, one)
    corrected = graph.op("Mul", graph.op("Log", w),
                         graph.op("Div", u, graph.op("Sub", w, one)))
    return graph.op("Where", graph.op("Equal", w, one), u, corrected)


def _softplus(graph, x, alpha=None):
    if graph.dtype == np.float32:  # ONNX Runtime's float32 Softplus is accurate for z << 0
        return graph.op("Softplus", x)
    # max(z, 0) + log1p(exp(-|z|)), as sknn computes it: accurate for z << 0 too
    tail = graph.op("Exp", graph.op("Neg", graph.op("Abs", x)))
    return graph.op("Add", graph.op("Relu", x), _log1p(graph, tail))


@functools.cache
def _erfcx_polynomial(degree=20, center=3.0):
    """Power-series coefficients of ``erfcx(a)`` in ``t = (a - center) / (a + center)``, a >= 0.

    A Chebyshev interpolant of SciPy's ``erfcx`` on ``t`` in [-1, 1] (all of
    a >= 0); with these defaults the normal CDF built from it is within
    2e-15 of SciPy's ``ndtr`` everywhere.
    """
    def erfcx_of_t(t):
        return np.where(t < 1, erfcx(center * (1 + t) / np.maximum(1 - t, 1e-300)), 0.0)

    return chebyshev.cheb2poly(chebyshev.chebinterpolate(erfcx_of_t, degree)), center


def _normal_cdf(graph, x):
    """``Phi(z)``; in float32 from ONNX's Erf, in float64 (ONNX Runtime has no
    float64 Erf) as ``erfc(a) / 2 = exp(-a^2) erfcx(a) / 2`` with ``a = |z| / sqrt(2)``."""
    if graph.dtype == np.float32:
        erf = graph.op("Erf", graph.op("Mul", x, graph.const(1.0 / math.sqrt(2.0))))
        return graph.op("Mul", graph.op("Add", erf, graph.const(1.0)), graph.const(0.5))
    coefficients, center = _erfcx_polynomial()
    a = graph.op("Mul", graph.op("Abs", x), graph.const(1.0 / math.sqrt(2.0)))
    t = graph.op("Div", graph.op("Sub", a, graph.const(center)),
                 graph.op("Add", a, graph.const(center)))
    series = graph.const(coefficients[-1])
    for coefficient in coefficients[-2::-1]:  # Horner's rule
        series = graph.op("Add", graph.op("Mul", series, t), graph.const(coefficient))
    gaussian = graph.op("Exp", graph.op("Neg", graph.op("Mul", a, a)))
    lower_tail = graph.op("Mul", graph.op("Mul", gaussian, series), graph.const(0.5))
    upper = graph.op("Sub", graph.const(1.0), lower_tail)
    return graph.op("Where", graph.op("Less", x, graph.const(0.0)), lower_tail, upper)


#: ONNX builders of the hidden activations, by the name of their registry entry:
#: ``builder(graph, x, alpha) -> output name`` (see the module docstring).
ACTIVATION_BUILDERS = {
    "identity": lambda graph, x, alpha: x,
    "logistic": lambda graph, x, alpha: graph.op("Sigmoid", x),
    "tanh": lambda graph, x, alpha: graph.op("Tanh", x),
    "relu": lambda graph, x, alpha: graph.op("Relu", x),
    "leaky_relu": _leaky_relu,
    "prelu": _prelu,
    # the fixed slope rrelu has at inference (sknn.nn.layers.activation.RReLU)
    "rrelu": lambda graph, x, alpha: _leaky_relu(graph, x, (RRELU_LOWER + RRELU_UPPER) / 2.0),
    "elu": _elu,
    "selu": lambda graph, x, alpha: _elu(graph, x, _SELU_ALPHA, _SELU_SCALE),
    "softplus": _softplus,
    "gelu": lambda graph, x, alpha: graph.op("Mul", x, _normal_cdf(graph, x)),
    "swish": lambda graph, x, alpha: graph.op("Mul", x, graph.op("Sigmoid", x)),
}


def _activation(graph, layer, weights, x):
    fn = resolve_activation(layer.name, layer.alpha)
    builder = ACTIVATION_BUILDERS.get(fn.name) or fn.onnx_builder
    if builder is None:
        raise ValueError(f"Activation {fn.name!r} has no ONNX form, so this network cannot be "
                         f"exported; register it with onnx_builder= "
                         f"(sknn.register_activation).")
    return builder(graph, x, weights.get("slope", fn.alpha))


# -- output links ---------------------------------------------------------------
def _bounded_logistic(graph, z, bounds):
    pred = graph.op("Sigmoid", z)
    if bounds in (None, (0.0, 1.0)):  # sknn's rescaling by 1 and 0 changes nothing
        return pred
    low, high = bounds
    return graph.op("Add", graph.op("Mul", pred, graph.const(high - low)), graph.const(low))


def _bounded_tanh(graph, z, bounds):
    # low + (tanh(z) + 1) * (high - low) / 2 in sknn's order (not exact for (-1, 1))
    low, high = bounds
    pred = graph.op("Add", graph.op("Tanh", z), graph.const(1.0))
    pred = graph.op("Mul", pred, graph.const(0.5 * (high - low)))
    return graph.op("Add", pred, graph.const(low))


#: The loss's output link, by ``LossSpec.output_activation``: ``(graph, z, bounds) -> output``.
_OUTPUT_LINKS = {
    "identity": lambda graph, z, bounds: z,
    "softmax": lambda graph, z, bounds: graph.op("Softmax", z, axis=1),
    "logistic": _bounded_logistic,
    "tanh": _bounded_tanh,
    "relu": lambda graph, z, bounds: graph.op("Relu", z),
    "exp": lambda graph, z, bounds: graph.op("Exp", z),
    "softplus": lambda graph, z, bounds: _softplus(graph, z),
}


# -- the network ----------------------------------------------------------------
def _batch_norm_affine(layer, weights):
    """``(scale, shift)`` of an inference-mode batch norm, computed as sknn's layer
    does it, in the dtype of its weights."""
    inv_std = 1.0 / np.sqrt(weights["moving_variance"] + layer.epsilon)
    scale = weights["gamma"] * inv_std
    return scale, weights["beta"] - weights["moving_mean"] * scale


def _inference_layers(network, dtype):
    """``(layer, weights)`` of the layers that act at inference, with weights in ``dtype``.

    A batch norm that directly follows a dense layer is folded into it
    (:meth:`~sknn.network.Network.fold_batch_norm` would round the folded
    weights to the network's dtype; folding in ``dtype`` keeps a float32
    network, computed in float64, as exact as sknn's own prediction).
    Dropout, the identity at inference, is left out.
    """
    if network.kernels[0].dtype == np.float16:  # sknn computes float16 weights in float32
        network = network.astype(np.float32)
    kept = []
    for layer, weights in zip(network.spec.layers, network.layer_weights()):
        if isinstance(layer, BatchNorm):
            scale, shift = (value.astype(dtype) for value in _batch_norm_affine(layer, weights))
            if kept and isinstance(kept[-1][0], Dense):
                dense = kept[-1][1]
                dense.update(kernel=dense["kernel"] * scale, bias=dense["bias"] * scale + shift)
                continue
            weights = {"scale": scale, "shift": shift}
        elif isinstance(layer, Dropout):
            continue
        kept.append((layer, {name: value.astype(dtype) for name, value in weights.items()}))
    return kept


def _periodic_embedding(graph, x, weights):
    """``[x_j, cos(2 pi (c_jk x_j + b_jk))]`` per feature, in sknn's order of operations:
    the features as a column each, their cosines beside them, flattened feature by feature."""
    n_features, n_frequencies = weights["frequencies"].shape
    columns = graph.op("Reshape", x, graph.const([-1, n_features, 1], dtype=np.int64))
    angular = graph.const(weights["frequencies"] * TWO_PI)
    argument = graph.op("Add", graph.op("Mul", columns, angular),
                        graph.const(weights["phases"] * TWO_PI))
    blocks = graph.op("Concat", columns, graph.op("Cos", argument), axis=2)
    return graph.op("Reshape", blocks,
                    graph.const([-1, n_features * (1 + n_frequencies)], dtype=np.int64))


def _network_outputs(graph, network, x, link=True):
    """The outputs of ``network`` for the input ``x``: through the loss's link with ``link``."""
    for layer, weights in _inference_layers(network, graph.dtype):
        if isinstance(layer, Dense):
            x = graph.op("Gemm", x, graph.const(weights["kernel"]), graph.const(weights["bias"]))
        elif isinstance(layer, BatchNorm):  # one that follows no dense layer
            x = graph.op("Add", graph.op("Mul", x, graph.const(weights["scale"])),
                         graph.const(weights["shift"]))
        elif isinstance(layer, Activation):
            x = _activation(graph, layer, weights, x)
        elif isinstance(layer, PeriodicEmbedding):
            x = _periodic_embedding(graph, x, weights)
        else:
            raise ValueError(f"A {type(layer).__name__} layer cannot be exported to ONNX.")
    if not link:
        return x
    loss = network.spec.loss
    if loss.output_activation not in _OUTPUT_LINKS:
        raise ValueError(f"Output activation {loss.output_activation!r} of loss {loss.name!r} "
                         f"has no ONNX form, so this network cannot be exported.")
    return _OUTPUT_LINKS[loss.output_activation](graph, x, loss.output_bounds)


def _input_dtype(operator):
    return np.dtype(np.float64 if isinstance(operator.inputs[0].type, DoubleTensorType)
                    else np.float32)


def _start(scope, operator, container):
    """``(graph, input)``: the graph in sknn's compute dtype and the input rounded as sknn does.

    A float graph computes in float32. For a double input, sknn casts to
    the estimator's ``dtype`` (DeepNet, StackedAutoencoder) and then to the
    compute dtype of a ``with_inference_dtype`` copy, in that order.
    """
    model, x = operator.raw_operator, operator.inputs[0].full_name
    graph = _Graph(scope, container, _input_dtype(operator))
    if graph.dtype == np.float64:
        inference_dtype = getattr(model, "_inference_dtype", None)
        for step in (getattr(model, "dtype", None), COMPUTE_DTYPES.get(inference_dtype)):
            if step is not None and np.dtype(step) != graph.dtype:
                graph.dtype = np.dtype(step)
                x = graph.cast(x, graph.dtype)
    return graph, x


def _finish(graph, operator, value, index=0):
    """Write ``value`` to the operator's output ``index``, in the input's dtype."""
    output = operator.outputs[index].full_name
    if graph.dtype != _input_dtype(operator):
        return graph.cast(value, _input_dtype(operator), output=output)
    return graph.op("Identity", value, output=output)


# -- classifiers ----------------------------------------------------------------
def _multilabel(model):
    if isinstance(model, PerceptronClassifier):
        return model._multilabel
    return model._label_binarizer.y_type_ == "multilabel-indicator"


def _class_labels(scope, model):
    """The labels the graph outputs (indices with option ``nocl``): int64 or strings."""
    labels = np.asarray(np.asarray(get_label_classes(scope, model)).tolist())  # unboxes objects
    if labels.dtype.kind in "biu" or (labels.dtype.kind == "f"
                                      and np.array_equal(labels, np.round(labels))):
        return labels.astype(np.int64)
    if labels.dtype.kind == "U":
        return labels
    raise ValueError(f"ONNX export needs integer or string class labels, got "
                     f"{type(model).__name__}.classes_ = {model.classes_!r}.")


def _write_classifier(graph, scope, operator, scores, threshold):
    """Labels (the argmax's class, or the indicators ``scores > threshold`` for
    multilabel targets) and ``scores`` as the probabilities output."""
    model = operator.raw_operator
    if _multilabel(model):
        fires = graph.op("Greater", scores, graph.const(threshold))
        graph.op("Cast", fires, output=operator.outputs[0].full_name, to=TensorProto.INT64)
    else:
        index = graph.op("ArgMax", scores, axis=1, keepdims=0)
        labels = _class_labels(scope, model)
        graph.op("Gather", graph.const(labels, labels.dtype), index,
                 output=operator.outputs[0].full_name)
    _finish(graph, operator, scores, index=1)


def _convert_network_classifier(scope, operator, container):
    graph, x = _start(scope, operator, container)
    model = operator.raw_operator
    proba = _network_outputs(graph, model._network(), x)
    if model.n_outputs_ == 1:  # binary: one logistic unit, predict_proba's two columns
        proba = graph.op("Concat", graph.op("Sub", graph.const(1.0), proba), proba, axis=1)
    # the argmax of the two columns is sknn's threshold p > 0.5: 1 - p is exact for p >= 0.5
    _write_classifier(graph, scope, operator, proba, 0.5)


def _convert_perceptron(scope, operator, container):
    graph, x = _start(scope, operator, container)
    model = operator.raw_operator
    z = graph.op("Gemm", x, graph.const(model.coef_), graph.const(model.intercept_), transB=1)
    if model.coef_.shape[0] == 1 and not model._multilabel:
        # skl2onnx's scores of a binary linear classifier, (-z, z): their argmax is z > 0,
        # the step function's rule for 'sign' and 'heaviside' alike
        z = graph.op("Concat", graph.op("Neg", z), z, axis=1)
    _write_classifier(graph, scope, operator, z, 0.0)


def _classifier_shapes(operator):
    check_input_and_output_types(operator, good_input_types=_INPUT_TYPES)
    model = operator.raw_operator
    check_is_fitted(model)
    n_rows = operator.inputs[0].get_first_dimension()
    labels = _class_labels(operator.scope_inst, model)
    label_type = StringTensorType if labels.dtype.kind == "U" else Int64TensorType
    multilabel = _multilabel(model)
    operator.outputs[0].type = label_type([n_rows, len(labels)] if multilabel else [n_rows])
    operator.outputs[1].type = type(operator.inputs[0].type)([n_rows, len(labels)])


# -- regressors and the autoencoder ---------------------------------------------
def _convert_network_regressor(scope, operator, container):
    model = operator.raw_operator
    graph, x = _start(scope, operator, container)
    outputs = _network_outputs(graph, model._network(), x)
    if getattr(model, "target_mean_", None) is not None:  # back from target_scaling's space
        outputs = graph.op("Add", graph.op("Mul", outputs, graph.const(model.target_scale_)),
                           graph.const(model.target_mean_))
    _finish(graph, operator, outputs)


def _convert_autoencoder(scope, operator, container):
    graph, x = _start(scope, operator, container)
    codes = _network_outputs(graph, operator.raw_operator.network_, x, link=False)
    _finish(graph, operator, codes)


def _single_output_shape(width):
    def calculate(operator):
        check_input_and_output_types(operator, good_input_types=_INPUT_TYPES)
        check_is_fitted(operator.raw_operator)
        n_rows = operator.inputs[0].get_first_dimension()
        operator.outputs[0].type = type(operator.inputs[0].type)(
            [n_rows, width(operator.raw_operator)])
    return calculate


_CLASSIFIER_OPTIONS = {"zipmap": [True, False, "columns"], "nocl": [False, True],
                       "output_class_labels": [False, True]}

for _model, _shapes, _converter in [
        (MLPClassifier, _classifier_shapes, _convert_network_classifier),
        (DeepNetClassifier, _classifier_shapes, _convert_network_classifier),
        (PerceptronClassifier, _classifier_shapes, _convert_perceptron),
        (MLPRegressor, _single_output_shape(lambda model: model.n_outputs_),
         _convert_network_regressor),
        (DeepNetRegressor, _single_output_shape(lambda model: model.n_outputs_),
         _convert_network_regressor),
        (StackedAutoencoder, _single_output_shape(lambda model: model.coefs_[-1].shape[1]),
         _convert_autoencoder)]:
    update_registered_converter(
        _model, f"Sknn{_model.__name__}", _shapes, _converter,
        options=_CLASSIFIER_OPTIONS if _shapes is _classifier_shapes else None)


def to_onnx(model, X_sample, *, zipmap=False, target_opset=None):
    """Convert a fitted sknn estimator, or a pipeline that contains them, to ONNX.

    :func:`skl2onnx.to_onnx` with sknn's converters registered (importing
    :mod:`sknn.onnx` registers them) and the option ``zipmap`` set for
    every sknn classifier. The graph's input is named ``'X'`` and has the
    dtype of ``X_sample`` (float32 or float64) and any number of rows.

    Parameters
    ----------
    model : estimator or pipeline
        A fitted sknn estimator, or a scikit-learn pipeline (``Pipeline``,
        ``ColumnTransformer``, ...) of estimators skl2onnx converts.
    X_sample : array-like of shape (n_samples, n_features)
        A few rows of input; only their dtype and width are used.
    zipmap : bool or 'columns', default=False
        skl2onnx's option for classifiers: False returns the probabilities
        as one tensor, True (skl2onnx's own default) as a list of
        ``{label: probability}`` dicts, 'columns' as one output per class.
        ONNX's ZipMap takes float32 only: a float64 graph needs False.
    target_opset : int or None, default=None
        The ONNX opset; None uses skl2onnx's default.

    Returns
    -------
    onnx_model : onnx.ModelProto
        Serialize it with ``SerializeToString()`` for
        ``onnxruntime.InferenceSession``. A classifier's graph outputs
        ``'label'`` and ``'probabilities'``, a regressor's and a
        transformer's ``'variable'``.

    Examples
    --------
    >>> import numpy as np
    >>> import onnxruntime as ort
    >>> from sklearn.datasets import load_iris
    >>> from sknn import MLPClassifier
    >>> from sknn.onnx import to_onnx
    >>> X, y = load_iris(return_X_y=True)
    >>> X = X.astype(np.float32)
    >>> clf = MLPClassifier(hidden_layer_sizes=(8,), max_iter=300, random_state=0).fit(X, y)
    >>> session = ort.InferenceSession(to_onnx(clf, X[:1]).SerializeToString(),
    ...                                providers=["CPUExecutionProvider"])
    >>> labels, proba = session.run(None, {"X": X[:5]})
    >>> bool(np.array_equal(labels, clf.predict(X[:5])))
    True
    >>> bool(np.allclose(proba, clf.predict_proba(X[:5]), rtol=1e-5, atol=1e-6))
    True
    """
    classifiers = (MLPClassifier, DeepNetClassifier, PerceptronClassifier)
    return skl2onnx_to_onnx(model, X_sample, target_opset=target_opset,
                            options={cls: {"zipmap": zipmap} for cls in classifiers})
