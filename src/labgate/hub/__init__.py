"""The hub-facing part of labgate: the only modules that import JupyterHub."""
