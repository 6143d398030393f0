"""Which training samples each mini-batch step uses: stateless, so any step can be found again.

Step t (counting from 0) belongs to epoch e = t // steps_per_epoch and is batch b = t % steps_per_epoch
of it. Each epoch visits the samples in its own shuffled order,

    order_e = np.random.default_rng((seed, e)).permutation(m)

and batch b is order_e[b * batch_size : (b + 1) * batch_size] (the last batch of an epoch may be
short). Nothing is carried from step to step, so training in pieces (pause/resume) or replaying a
run from its seed gives the same batches. The full batch (batch_size = m) is not shuffled at all:
a step then uses every sample in their original order, exactly as full-batch gradient descent.
"""

import numpy as np


def steps_per_epoch(m: int, batch_size: int) -> int:
    return -(-m // batch_size)  # ceil(m / batch_size)


def epoch_order(seed: int, epoch: int, m: int) -> np.ndarray:
    """The order in which epoch `epoch` visits the m samples."""
    return np.random.default_rng((seed, epoch)).permutation(m)


def shuffle_seed(random_state, rng: np.random.Generator) -> int:
    """The seed of the epochs' orders: random_state itself when it is an integer, else drawn from
    `rng` (the generator that drew the initial weights), so an integer seed names the whole run."""
    if isinstance(random_state, int):
        return random_state
    return int(rng.integers(2**32))


class Schedule:
    """The batches of a run: `batch(t)` gives step t's (order, start, stop), with the order of its
    epoch cached (one permutation per epoch)."""

    def __init__(self, m: int, batch_size: int, seed: int):
        self.m, self.batch_size, self.seed = m, batch_size, seed
        self.steps_per_epoch = steps_per_epoch(m, batch_size)
        self.epoch, self.order = -1, None

    def batch(self, t: int) -> tuple[np.ndarray, int, int]:
        epoch, b = divmod(t, self.steps_per_epoch)
        if epoch != self.epoch:
            self.epoch, self.order = epoch, epoch_order(self.seed, epoch, self.m)
        start = b * self.batch_size
        return self.order, start, min(start + self.batch_size, self.m)
