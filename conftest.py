"""The repository's own pytest setup. The claim harness and the data fixtures (digits, digits500, mnist1d, ...) are
dnnkit's pytest plugin (dnnkit/pytest_plugin), which a user's repository gets the same way."""
