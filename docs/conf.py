"""Sphinx configuration (stub; the full documentation is a later issue)."""

project = "sknn"
author = "sknn developers"
copyright = "sknn developers"

extensions = [
    "sphinx.ext.autodoc",
    "numpydoc",
]

exclude_patterns = ["_build"]
html_theme = "alabaster"
