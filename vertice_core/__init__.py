"""vertice_core: the small core of vertice (model, store, reconciler, driver interface).

It holds no HTTP and no cloud SDK. Import the submodules you need; this package
re-exports nothing so that importing it stays cheap.
"""

__version__ = "0.1.0"
