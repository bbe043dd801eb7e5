"""dnnkit: the claims of the "Training Deep Neural Networks" chapter as executable, multi-seed evidence."""

from . import _moved

_moved.install()  # first: old module paths (dnnkit.training ...) resolve to the layer subpackages

__version__ = "0.1.0"

# What a repository of its own needs to declare claims (light: no torch import).
from .evidence.claims import Amendment, Claim, Expect  # noqa: E402
from .evidence.knobs import QuickFull  # noqa: E402

__all__ = ["Amendment", "Claim", "Expect", "QuickFull", "__version__"]
