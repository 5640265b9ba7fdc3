"""Outputs besides the HTML pages, one module each.

- :mod:`~sitegen.outputs.bibtex` and :mod:`~sitegen.outputs.data`: citation
  entries and ``papers.json`` records (their per-paper parts are made by the
  derive stage), ``papers.bib``, ``papers.json`` and ``robots.txt``;
- :mod:`~sitegen.outputs.feeds` and :mod:`~sitegen.outputs.sitemap`;
- :mod:`~sitegen.outputs.jobs`: the plan stage's entry point to all of them;
- :mod:`~sitegen.outputs.search`: the search index, the post-process stage;
- :mod:`~sitegen.outputs.hosting`: files and limits of static hosts.

This package module imports none of them, so that a stage using one (the
derive stage uses the citation formats) does not load the others.
"""
