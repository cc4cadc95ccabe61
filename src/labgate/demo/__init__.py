"""The demo: a throwaway directory, a small world of synthetic data, and the hub on top.

Nothing here is used in production; it exists so that `make demo` shows the product
working end to end on one machine, and so that end-to-end tests start from the same world.
"""
