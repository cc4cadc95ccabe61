"""labgate: a trusted research environment for pseudonymised register microdata on JupyterHub."""

__version__ = "0.1.0"
