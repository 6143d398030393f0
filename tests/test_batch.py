"""Many networks at once: each result equals training that configuration alone."""

import contextlib

import numpy as np
import pytest
from sklearn.datasets import make_moons

import twolayer
from twolayer import Config, Trainer, train_many


def moons(seed=0, n=300, noise=0.2):
    X, y = make_moons(n_samples=n, noise=noise, random_state=seed)
    return X.T, y.reshape(1, -1).astype(float)


def alone(X, Y, config, iterations, X_test=None, Y_test=None):
    trainer = Trainer(
        X,
        Y,
        config.hidden_size,
        config.learning_rate,
        init=config.init,
        l2=config.l2,
        random_state=config.random_state,
        X_test=X_test,
        Y_test=Y_test,
    )
    with contextlib.suppress(twolayer.TrainingDiverged):
        trainer.train(iterations)
    return trainer


CONFIGS = [
    Config(lr, h, seed, init, l2)
    for lr in (0.1, 1.0, 3.0)
    for h in (1, 5, 8)
    for seed in (0, 1)
    for init, l2 in [("he", 0.0)]
] + [Config(0.5, 5, 2, "small", 0.3), Config(10.0, 5, 0)]


@pytest.mark.parametrize("threads", [1, 2])
def test_each_result_equals_training_alone(threads):
    X, Y = moons(0)
    Xt, Yt = moons(1, n=80)
    results = train_many(X, Y, CONFIGS, 1500, X_test=Xt, Y_test=Yt, threads=threads)
    assert [r.config for r in results] == CONFIGS
    for config, result in zip(CONFIGS, results, strict=True):
        trainer = alone(X, Y, config, 1500, Xt, Yt)
        np.testing.assert_allclose(result.costs, trainer.history["cost"], rtol=0, atol=1e-9, err_msg=str(config))
        for name, value in trainer.params.items():
            np.testing.assert_allclose(result.params[name], value, rtol=0, atol=1e-9)
        A = trainer.predict_proba(X)
        assert result.accuracy == pytest.approx(np.mean((A > 0.5) == (Y[0] > 0.5)))
        assert np.isfinite(result.test_cost) and 0 <= result.test_accuracy <= 1
        assert (result.diverged is None) == (trainer.diverged is None)
    assert results[-1].diverged is not None and "learning rate 10" in str(results[-1].diverged)


def test_two_threads_train_two_stacks_at_once(monkeypatch):
    """threads=2 really trains on two threads (the benchmarks' 2-thread rows time this): each of the two
    stacks waits at a barrier for the other, which only passes if both run at the same time."""
    import threading

    from twolayer import batch

    barrier, threads = threading.Barrier(2, timeout=30), set()
    original = batch.Stack.run

    def run(self, iterations, record=None):
        threads.add(threading.get_ident())
        barrier.wait()
        return original(self, iterations, record)

    monkeypatch.setattr(batch.Stack, "run", run)
    X, Y = moons(0, n=100)
    train_many(X, Y, [Config(0.1, 5, 0), Config(0.3, 5, 0)], 20, threads=2)
    assert len(threads) == 2 and threading.get_ident() not in threads


def test_each_configuration_may_have_its_own_data():
    data = [moons(seed, noise=noise) for seed, noise in [(0, 0.1), (1, 0.3), (2, 0.5)]]
    X = np.stack([d[0] for d in data])
    Y = np.stack([d[1] for d in data])
    configs = [Config(0.3, 5, 0), Config(0.3, 5, 0), Config(0.3, 4, 1)]
    results = train_many(X, Y, configs, 500)
    for (Xj, Yj), config, result in zip(data, configs, results, strict=True):
        np.testing.assert_allclose(result.costs, alone(Xj, Yj, config, 500).history["cost"], rtol=0, atol=1e-9)
    assert results[0].costs[-1] != results[1].costs[-1]  # same config, different data


def test_train_many_rejects_bad_arguments():
    X, Y = moons(0, n=50)
    with pytest.raises(ValueError, match="at least one Config"):
        train_many(X, Y, [], 10)
    with pytest.raises(ValueError, match="twolayer.Config"):
        train_many(X, Y, [{"learning_rate": 0.3}], 10)
    with pytest.raises(ValueError, match="learning_rate"):
        train_many(X, Y, [Config(learning_rate=-1)], 10)
    with pytest.raises(ValueError, match="hidden_size"):
        train_many(X, Y, [Config(hidden_size=0)], 10)
    with pytest.raises(ValueError, match="iterations"):
        train_many(X, Y, [Config()], 0)
    with pytest.raises(ValueError, match="X_test and Y_test must be given together"):
        train_many(X, Y, [Config()], 10, X_test=X)
    with pytest.raises(ValueError, match="2 data sets for 3 configs"):
        train_many(np.stack([X, X]), np.stack([Y, Y]), [Config()] * 3, 10)
    for record in ([], [[0, 1]], [0.0, 1.0], [1, 1, 2], [2, 1], [-1, 3], [0, 10]):
        with pytest.raises(ValueError, match="record must"):
            train_many(X, Y, [Config()], 10, record=np.asarray(record))


RECORD_CONFIGS = [Config(lr, h, seed) for lr in (0.3, 3.0, 10.0) for h in (2, 5) for seed in (0, 1)] + [
    Config(1.0, 5, 2, "small", 0.3)  # with an L2 penalty in its cost
]


@pytest.mark.parametrize("batch_size", [None, 32])
def test_recording_some_steps_gives_the_same_numbers(batch_size):
    """record=steps: those steps' costs exactly, the same final parameters and the same diverged networks
    (retrained alone: every step) as recording every step; 1,000 steps make two blocks of 500 points."""
    X, Y = moons(0, n=500)
    record = np.unique(np.r_[0, np.arange(3, 1000, 7), 999])
    every = train_many(X, Y, RECORD_CONFIGS, 1000, batch_size=batch_size)
    some = train_many(X, Y, RECORD_CONFIGS, 1000, batch_size=batch_size, record=record)
    assert any(r.diverged is not None for r in every) and any(r.diverged is None for r in every)
    for full, thin in zip(every, some, strict=True):
        assert (full.diverged is None) == (thin.diverged is None), full.config
        for name, value in full.params.items():
            np.testing.assert_array_equal(thin.params[name], value)
        if full.diverged is None:
            np.testing.assert_array_equal(thin.steps, record)
            np.testing.assert_array_equal(thin.costs, full.costs[record])
        else:
            assert thin.steps is None and str(thin.diverged) == str(full.diverged)
            np.testing.assert_array_equal(thin.costs, full.costs)


@pytest.mark.parametrize("ratio", [1.0, 1.02, 1.1, 1.5, 2.0, 5.0])
def test_the_divergence_check_flags_the_same_networks_with_fewer_costs(monkeypatch, ratio):
    """The stack itself, with divergence ratios that put many steps' costs near the limit (at 1.0 the bound,
    at least log 2, never rules a step out: every cost is computed) or none (5): the same networks flagged, and
    the recorded costs of the others exact, with every step's cost computed or with those of `record` only."""
    from twolayer import batch

    monkeypatch.setattr(batch, "DIVERGENCE_RATIO", ratio)
    X, Y = moons(1, n=400)
    record = np.arange(0, 600, 50)
    data = [(X, Y)] * len(RECORD_CONFIGS)
    costs, bad = batch.Stack(RECORD_CONFIGS, data, "tanh").run(600)
    some, some_bad = batch.Stack(RECORD_CONFIGS, data, "tanh").run(600, record)
    np.testing.assert_array_equal(some_bad, bad)
    np.testing.assert_array_equal(some[~bad], costs[~bad][:, record])
    if ratio <= 2.0:  # both outcomes happen: some networks flagged (the rates of 10), some not
        assert 0 < bad.sum() < len(bad)
