"""Layer 5, studies: the chapter's larger experiments built from the layers below: transfer learning,
unsupervised pretraining and the exercises (``python -m dnnkit.exercises``). May import everything below
(nn, optim, train, evidence, results, data, plots)."""
