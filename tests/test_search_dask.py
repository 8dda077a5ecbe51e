"""The same search on a real Dask cluster (worker processes, loopback only)."""

import os

import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.model_selection import RandomizedSearchCV
from sklearn.preprocessing import StandardScaler

from sknn import MLPClassifier, search_space

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _score_and_pid(estimator, X, y):
    # which process fitted the candidate, next to its accuracy
    return {"accuracy": estimator.score(X, y), "pid": os.getpid()}


def _search():
    estimator = MLPClassifier(hidden_layer_sizes=(8,), max_iter=20, random_state=0)
    space = search_space(estimator, "random", params=["learning_rate_init", "alpha",
                                                      "activation", "batch_norm"])
    return RandomizedSearchCV(estimator, space, n_iter=4, cv=3, random_state=0, n_jobs=2,
                              scoring=_score_and_pid, refit="accuracy")


@pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::ResourceWarning",
                            "ignore::UserWarning")
def test_randomized_search_on_a_dask_cluster_equals_the_local_run():
    distributed = pytest.importorskip("dask.distributed")
    import joblib

    X, y = load_iris(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    local = _search().fit(X, y)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        with joblib.parallel_config(backend="dask"):
            remote = _search().fit(X, y)
        worker_pids = set(client.run(os.getpid).values())
    # every fit ran in one of the cluster's worker processes
    remote_pids = {remote.cv_results_[f"split{i}_test_pid"][j] for i in range(3)
                   for j in range(4)}
    assert len(worker_pids) == 2 and remote_pids <= worker_pids
    assert local.cv_results_["params"] == remote.cv_results_["params"]
    np.testing.assert_array_equal(remote.cv_results_["mean_test_accuracy"],
                                  local.cv_results_["mean_test_accuracy"])
    assert remote.best_params_ == local.best_params_
