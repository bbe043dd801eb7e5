"""dnnkit's pytest plugin, split by job as pytest-benchmark's is: plugin (hooks and options), fixture (the
`claim` fixture), session (collecting evidence across xdist workers), table (rich and markdown), storage (files)."""
