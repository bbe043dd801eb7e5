"""dnnkit: the claims of the "Training Deep Neural Networks" chapter as executable, multi-seed evidence."""

from . import _moved

_moved.install()  # first: old module paths (dnnkit.training ...) resolve to the layer subpackages

__version__ = "0.1.0"
