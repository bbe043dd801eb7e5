"""Claim catalogs, one module per chapter section; dnnkit.claims discovers them."""
