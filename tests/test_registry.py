"""The name -> implementation registry behind every concept module."""

import pytest

from sknn._registry import Registry
from sknn.engines import ENGINES
from sknn.nn.activations import ACTIVATIONS
from sknn.nn.initializers import INITIALIZERS
from sknn.nn.losses import LOSSES
from sknn.nn.optimizers import OPTIMIZERS
from sknn.schedules import SCHEDULES

ALL_REGISTRIES = [ACTIVATIONS, INITIALIZERS, LOSSES, OPTIMIZERS, SCHEDULES, ENGINES]
REGISTRY_IDS = [registry.kind for registry in ALL_REGISTRIES]


def _colours():
    registry = Registry("colour")
    red, green = object(), object()
    registry.register("red", "rouge", "rot")(red)
    registry.register("green")(green)
    return registry, red, green


def test_register_returns_the_entry_so_it_works_as_a_decorator():
    registry = Registry("thing")

    @registry.register("fn")
    def fn():
        return 1

    assert fn() == 1
    assert registry.get("fn") is fn


def test_aliases_resolve_to_the_canonical_entry():
    registry, red, _ = _colours()
    assert registry.get("red") is red
    assert registry.get("rouge") is red
    assert registry.get("rot") is red


def test_names_lists_canonical_names_sorted_and_all_names_adds_aliases():
    registry, _, _ = _colours()
    assert registry.names() == ["green", "red"]
    assert registry.all_names() == ["green", "red", "rot", "rouge"]


def test_contains_accepts_names_and_aliases():
    registry, _, _ = _colours()
    assert "red" in registry and "rouge" in registry
    assert "blue" not in registry


def test_unknown_name_raises_value_error_listing_every_valid_choice():
    registry, _, _ = _colours()
    with pytest.raises(ValueError, match="Unknown colour 'blue'") as excinfo:
        registry.get("blue")
    assert "Valid choices are: green, red, rot, rouge." in str(excinfo.value)


def test_non_string_entries_pass_through_get_unchanged():
    registry, _, _ = _colours()
    custom = object()
    assert registry.get(custom) is custom
    assert registry.get(None) is None


@pytest.mark.parametrize("key", ["red", "rouge", "green"])
def test_registering_a_taken_name_or_alias_is_rejected(key):
    registry, red, _ = _colours()
    with pytest.raises(ValueError, match=f"colour '{key}' is already registered"):
        registry.register(key)(object())
    with pytest.raises(ValueError, match="already registered"):
        registry.register("blue", key)(object())
    assert registry.get("red") is red


def test_rejected_registration_leaves_the_registry_unchanged():
    registry, _, _ = _colours()
    before = (registry.names(), registry.all_names())
    with pytest.raises(ValueError):
        registry.register("blue", "bleu", "rouge")(object())
    assert (registry.names(), registry.all_names()) == before
    assert "blue" not in registry and "bleu" not in registry


def test_unregister_removes_the_name_and_its_aliases_and_frees_them():
    registry, _, green = _colours()
    registry.unregister("red")
    assert registry.names() == ["green"] and registry.all_names() == ["green"]
    assert "rouge" not in registry
    blue = object()
    registry.register("blue", "rouge")(blue)
    assert registry.get("rouge") is blue and registry.get("green") is green
    with pytest.raises(ValueError, match="colour 'red' is not registered"):
        registry.unregister("red")
    with pytest.raises(ValueError, match="colour 'rouge' is not registered"):
        registry.unregister("rouge")  # an alias goes with its name, not alone


@pytest.mark.parametrize("registry", ALL_REGISTRIES, ids=REGISTRY_IDS)
def test_project_registry_rejects_unknown_names_with_its_choices(registry):
    with pytest.raises(ValueError, match=f"Unknown {registry.kind}") as excinfo:
        registry.get("definitely-not-registered")
    for name in registry.all_names():
        assert name in str(excinfo.value)


@pytest.mark.parametrize("registry", ALL_REGISTRIES, ids=REGISTRY_IDS)
def test_project_registry_entries_are_retrievable_by_every_name(registry):
    assert registry.names(), "a registry shipped with sknn should not be empty"
    for name in registry.all_names():
        assert registry.get(name) is not None


def test_project_registries_hold_the_documented_names():
    assert ACTIVATIONS.names() == ["elu", "gelu", "heaviside", "identity", "leaky_relu",
                                   "logistic", "prelu", "relu", "rrelu", "selu", "sign",
                                   "softplus", "swish", "tanh"]
    assert LOSSES.names() == ["absolute_error", "binary_log_loss", "huber", "log_loss",
                              "poisson", "squared_error"]
    assert OPTIMIZERS.names() == ["adagrad", "adam", "adamax", "adamw", "nadam", "rmsprop",
                                  "sgd"]
    assert SCHEDULES.names() == ["constant", "cosine", "exponential", "invscaling",
                                 "one_cycle", "piecewise", "plateau", "power"]
    assert "sklearn" in INITIALIZERS and "glorot_uniform" in INITIALIZERS
    assert "numpy" in ENGINES
