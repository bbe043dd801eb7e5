"""A dense net read with skip connections: SELU's "the architecture must be sequential" condition, broken on purpose.

No new module: an MLP's own hidden blocks, with the output of every `every`-th block added back `every` blocks later
(x_{i+every} = blocks(x_i) + x_i), so the weights are exactly those of the sequential reading.
"""

from __future__ import annotations

import torch


@torch.no_grad()
def residual_hidden_outputs(model, X: torch.Tensor, every: int = 2) -> list[torch.Tensor]:
    """Each hidden block's output when a skip connection spans every `every` blocks (the first skip starts at the
    first block's output, where the width is the hidden width). ValueError for every < 1; every = 1 adds each
    block's input to its output from the second block on."""
    if isinstance(every, bool) or not isinstance(every, int) or every < 1:
        raise ValueError(f"residual_hidden_outputs: every={every!r}; allowed: an int >= 1 (blocks spanned by a skip)")
    if not hasattr(model, "hidden") or not hasattr(model, "input"):
        raise ValueError(f"residual_hidden_outputs needs dnnkit's MLP (input, hidden blocks), got {type(model).__name__}")
    x = model.hidden[0](model.input(X))
    outputs, skip = [x], x
    for i, block in enumerate(model.hidden[1:], start=1):
        x = block(x)
        if i % every == 0:
            x = x + skip
            skip = x
        outputs.append(x)
    return outputs
