"""dnnkit: the claims of the "Training Deep Neural Networks" chapter as executable, multi-seed evidence."""

__version__ = "0.1.0"
