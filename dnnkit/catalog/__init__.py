"""dnnkit's own claims, one module per chapter section, each defining CLAIMS.

The ablation suite declares them the way a user's repository declares its own: `ablations/conftest.py` lists
`CLAIMS` (this module's), which the pytest plugin picks up at collection.
"""

from . import (
    activations,
    batch_norm,
    dropout,
    gradient_clipping,
    guidelines,
    initialization,
    minibatch,
    optimizers,
    regularization,
    schedules,
    sparsity,
    transfer,
)

SECTIONS = (initialization, activations, batch_norm, gradient_clipping, transfer, optimizers, minibatch, schedules,
            regularization, dropout, sparsity, guidelines)
CLAIMS = tuple(claim for section in SECTIONS for claim in section.CLAIMS)
