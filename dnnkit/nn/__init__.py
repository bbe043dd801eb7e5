"""Layer 1, the networks: models (MLP, build_mlp), weight initializers, activations, batch norm, regularizers,
MC dropout, sparsity and the diagnostics that look inside a network. Imports torch and dnnkit.nn only: nothing
here knows how a network is trained or judged."""
