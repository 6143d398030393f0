"""The tutorial's network written out plainly, as its author did: the reference for speed and costs.

Dicts, `np.dot`, new arrays each step. The only change from the tutorial is that the initial
weights come from a `numpy.random.Generator` (drawn in the same order as `twolayer` draws them:
W1, then W2), so both implementations start from the same point and their costs can be compared.
"""

import numpy as np


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def set_parameters(X, Y, hidden_size, rng):
    input_size = X.shape[0]
    output_size = Y.shape[0]
    W1 = rng.standard_normal((hidden_size, input_size)) * np.sqrt(2 / input_size)
    b1 = np.zeros((hidden_size, 1))
    W2 = rng.standard_normal((output_size, hidden_size)) * np.sqrt(2 / hidden_size)
    b2 = np.zeros((output_size, 1))
    return {"W1": W1, "W2": W2, "b1": b1, "b2": b2}


def forward_propagation(X, params):
    Z1 = np.dot(params["W1"], X) + params["b1"]
    A1 = np.tanh(Z1)
    Z2 = np.dot(params["W2"], A1) + params["b2"]
    y = sigmoid(Z2)
    return y, {"Z1": Z1, "Z2": Z2, "A1": A1, "y": y}


def cost(predict, actual):
    m = actual.shape[1]
    cost__ = -np.sum(np.multiply(np.log(predict), actual) + np.multiply((1 - actual), np.log(1 - predict))) / m
    return np.squeeze(cost__)


def back_propagation(X, Y, params, cache):
    m = X.shape[1]
    dy = cache["y"] - Y
    dW2 = (1 / m) * np.dot(dy, np.transpose(cache["A1"]))
    db2 = (1 / m) * np.sum(dy, axis=1, keepdims=True)
    dZ1 = np.dot(np.transpose(params["W2"]), dy) * (1 - np.power(cache["A1"], 2))
    dW1 = (1 / m) * np.dot(dZ1, np.transpose(X))
    db1 = (1 / m) * np.sum(dZ1, axis=1, keepdims=True)
    return {"dW1": dW1, "dW2": dW2, "db1": db1, "db2": db2}


def update_parameters(gradients, params, learning_rate):
    W1 = params["W1"] - learning_rate * gradients["dW1"]
    b1 = params["b1"] - learning_rate * gradients["db1"]
    W2 = params["W2"] - learning_rate * gradients["dW2"]
    b2 = params["b2"] - learning_rate * gradients["db2"]
    return {"W1": W1, "W2": W2, "b1": b1, "b2": b2}


def fit(X, Y, learning_rate, hidden_size, number_of_iterations=5000, random_state=0):
    params = set_parameters(X, Y, hidden_size, np.random.default_rng(random_state))
    cost_ = []
    for _ in range(number_of_iterations):
        y, cache = forward_propagation(X, params)
        costit = cost(y, Y)
        gradients = back_propagation(X, Y, params, cache)
        params = update_parameters(gradients, params, learning_rate)
        cost_.append(costit)
    return params, cost_
