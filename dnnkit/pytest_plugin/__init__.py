"""dnnkit's pytest plugin, split by job as pytest-benchmark's is: plugin (hooks and options), options (options
resolved from the config), fixture (the `claim` fixture), session (collecting evidence across xdist workers).
The result files it writes are dnnkit.results (table and storage here are re-export shims of it); nothing else
in dnnkit imports this package."""
