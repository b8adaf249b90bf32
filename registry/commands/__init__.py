"""One module per command: plain functions the CLI calls with plain arguments."""
