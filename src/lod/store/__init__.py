"""Triple store backends. The embedded Oxigraph store is the default."""

from lod.store.embedded import EmbeddedStore

__all__ = ["EmbeddedStore"]
