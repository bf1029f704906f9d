"""A linked open data publisher for digital editions: tables → RDF → validated release → web.

Kept free of third-party imports: the mapper's environment imports `lod.normalise` from here.
"""

__version__ = "0.1.0"
