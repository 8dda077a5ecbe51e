"""target_scaling: regressors standardize the target they train on (issue 17)."""

import copy
import io
import warnings

import joblib
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import r2_score
from sklearn.model_selection import GridSearchCV

from sknn import DeepNetRegressor, MLPRegressor
from sknn.callbacks import ModelCheckpoint
from tests.data.make_reference_models import PATH, problem

RNG = np.random.RandomState(0)
X = RNG.randn(240, 4)
Y = X @ [1.0, 2.0, -1.0, 0.5] + np.sin(2 * X[:, 0])
Y_FAR = Y * 1000 + 500  # far from zero, with a large spread
SMALL = {"n_hidden": 2, "n_neurons": 16, "max_iter": 5, "batch_size": 32, "random_state": 0}


def fit_quietly(estimator, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return estimator.fit(*args, **kwargs)


def test_predictions_are_the_network_outputs_mapped_back_to_the_target_scale():
    reg = DeepNetRegressor(**SMALL).fit(X, Y_FAR)
    np.testing.assert_allclose(reg.target_mean_, [Y_FAR.mean()])
    np.testing.assert_allclose(reg.target_scale_, [Y_FAR.std()])
    outputs = reg.network_.predict(X.astype(np.float32)).ravel()  # in the scaled space
    assert abs(outputs.mean()) < 1 < abs(Y_FAR.mean())
    expected = outputs * np.float32(reg.target_scale_[0]) + np.float32(reg.target_mean_[0])
    np.testing.assert_array_equal(reg.predict(X), expected)
    assert reg.predict(X).dtype == np.float32  # the network's dtype, as without scaling


def test_mean_and_scale_are_weighted_per_column_and_a_constant_column_keeps_scale_1():
    weights = RNG.randint(0, 4, size=len(X))
    y = np.column_stack([Y_FAR, np.full(len(X), 7.0)])
    reg = DeepNetRegressor(**SMALL, target_scaling="standard").fit(X, y, sample_weight=weights)
    repeated = np.repeat(y, weights, axis=0)  # integer weights weigh as repeated rows
    np.testing.assert_allclose(reg.target_mean_, repeated.mean(axis=0))
    np.testing.assert_allclose(reg.target_scale_, [repeated[:, 0].std(), 1.0])
    assert np.isfinite(reg.predict(X)).all()  # a scale of 0 would have made the targets NaN


@pytest.mark.parametrize("estimator, scaled", [
    (DeepNetRegressor(**SMALL), True),
    (DeepNetRegressor(**SMALL, output_activation="identity"), True),
    (DeepNetRegressor(**SMALL, loss="huber"), True),
    (DeepNetRegressor(**SMALL, output_activation="softplus"), False),
    (DeepNetRegressor(**SMALL, loss="poisson"), False),
    (DeepNetRegressor(**SMALL, output_activation="tanh", output_bounds=(0, 2e4)), False),
    (MLPRegressor(max_iter=5, random_state=0), False),
    (MLPRegressor(max_iter=5, random_state=0, target_scaling="auto"), True),
])
def test_auto_standardizes_identity_outputs_only_and_mlp_keeps_sklearns_default(estimator,
                                                                                 scaled):
    reg = fit_quietly(clone(estimator), X, np.abs(Y_FAR))
    assert hasattr(reg, "target_mean_") == hasattr(reg, "target_scale_") == scaled


def test_mlp_regressor_default_trains_as_with_scaling_off():
    plain = fit_quietly(MLPRegressor(max_iter=5, random_state=0), X, Y_FAR)
    off = fit_quietly(MLPRegressor(max_iter=5, random_state=0, target_scaling=None), X, Y_FAR)
    np.testing.assert_array_equal(plain.predict(X), off.predict(X))


@pytest.mark.parametrize("params", [{"output_activation": "relu"}, {"loss": "poisson"},
                                    {"output_activation": "logistic", "output_bounds": (0, 1e4)}])
def test_standard_scaling_of_a_non_identity_output_is_refused(params):
    reg = DeepNetRegressor(**SMALL, target_scaling="standard", **params)
    with pytest.raises(ValueError, match="target_scaling='standard'.*output_activation="):
        reg.fit(X, np.abs(Y_FAR))


def test_scaling_is_fitted_once_and_kept_by_partial_fit_and_warm_start():
    reg = DeepNetRegressor(**SMALL).partial_fit(X[:100], Y_FAR[:100])
    first = reg.target_mean_.copy(), reg.target_scale_.copy()
    np.testing.assert_allclose(first[0], [Y_FAR[:100].mean()])
    reg.partial_fit(X[100:], Y_FAR[100:] + 1e4)
    np.testing.assert_array_equal(reg.target_mean_, first[0])
    fit_quietly(reg.set_params(warm_start=True), X, Y_FAR * 3)
    np.testing.assert_array_equal(reg.target_scale_, first[1])
    fit_quietly(reg.set_params(warm_start=False), X, Y_FAR * 3)  # a new fit refits it
    np.testing.assert_allclose(reg.target_scale_, [3 * Y_FAR.std()])
    fit_quietly(reg.set_params(target_scaling=None), X, Y_FAR)
    assert not hasattr(reg, "target_mean_") and not hasattr(reg, "target_scale_")


def test_validation_loss_is_in_the_scaled_space_and_its_score_on_the_target_scale():
    X_val, y_val = X[:60] + 0.1, Y_FAR[:60]
    reg = DeepNetRegressor(**SMALL).fit(X[60:], Y_FAR[60:], validation_data=(X_val, y_val))
    predicted = reg.predict(X_val)
    assert reg.history_["val_score"][-1] == pytest.approx(r2_score(y_val, predicted), abs=1e-5)
    scaled_error = (y_val - predicted) / reg.target_scale_[0]
    assert reg.history_["val_loss"][-1] == pytest.approx(0.5 * np.mean(scaled_error ** 2),
                                                         rel=1e-3)


def test_mc_predict_maps_the_mean_back_and_multiplies_the_spread_by_the_scale():
    reg = DeepNetRegressor(**SMALL, dropout=0.2).fit(X, Y_FAR)
    raw = copy.deepcopy(reg)
    del raw.target_mean_, raw.target_scale_  # predicts in the network's space
    mean, std = reg.mc_predict(X[:20], n_samples=5)
    raw_mean, raw_std = raw.mc_predict(X[:20], n_samples=5)
    scale, shift = np.float32(reg.target_scale_[0]), np.float32(reg.target_mean_[0])
    np.testing.assert_array_equal(mean, raw_mean * scale + shift)
    np.testing.assert_array_equal(std, raw_std * scale)
    assert (std > 1).all()  # on the target's scale, not the unit one


def test_standardizing_an_offset_target_is_what_lets_a_short_training_fit_it():
    params = {**SMALL, "n_neurons": 32, "max_iter": 30}
    X_test, y_test = X[:80], Y_FAR[:80]
    scaled = DeepNetRegressor(**params).fit(X[80:], Y_FAR[80:])
    unscaled = DeepNetRegressor(**params, target_scaling=None).fit(X[80:], Y_FAR[80:])
    assert scaled.score(X_test, y_test) > 0.9
    assert unscaled.score(X_test, y_test) < scaled.score(X_test, y_test) - 0.1


def test_checkpoints_of_the_callbacks_predict_on_the_target_scale(tmp_path):
    path = tmp_path / "model.joblib"
    reg = DeepNetRegressor(**SMALL).set_callbacks(ModelCheckpoint(path)).fit(X, Y_FAR)
    np.testing.assert_array_equal(joblib.load(path).predict(X), reg.predict(X))


def test_a_transferred_network_fits_its_own_scaling():
    source = DeepNetRegressor(**SMALL).fit(X, Y_FAR)
    target = DeepNetRegressor(**{**SMALL, "max_iter": 2}, pretrained=source).fit(X, Y)
    np.testing.assert_allclose(target.target_mean_, [Y.mean()])
    np.testing.assert_allclose(target.target_scale_, [Y.std()])


def test_params_clone_and_grid_search_see_target_scaling():
    reg = DeepNetRegressor(**SMALL)
    assert reg.get_params()["target_scaling"] == "auto"
    assert MLPRegressor().get_params()["target_scaling"] is None
    assert clone(reg.set_params(target_scaling=None)).target_scaling is None
    search = GridSearchCV(DeepNetRegressor(**{**SMALL, "max_iter": 20}),
                          {"target_scaling": [None, "standard"]}, cv=2).fit(X, Y_FAR)
    assert search.best_params_ == {"target_scaling": "standard"}
    assert search.best_estimator_.target_scale_[0] == pytest.approx(Y_FAR.std())


def test_a_pickle_from_before_target_scaling_predicts_and_trains_unscaled():
    X_ref, y_ref = problem("regression")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the version warning, the spent schedule's
        reg = joblib.load(io.BytesIO(joblib.load(PATH)["deep_reg_default"]["pickle"]))
        assert reg.target_scaling is None and not hasattr(reg, "target_mean_")
        reg.partial_fit(X_ref, y_ref)
    assert not hasattr(reg, "target_mean_")
    outputs = reg.network_.predict(X_ref.astype(np.float32)).ravel()
    np.testing.assert_array_equal(reg.predict(X_ref), outputs)
