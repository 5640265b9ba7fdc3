"""The sources a site follows (``[[sources]]`` of ``sitegen.toml``) and ``sitegen update``.

``spec`` declares each kind and its keys (the config loader checks them),
``fetch`` turns one source into parsed papers over polite HTTP, ``state``
keeps the date of each source's last successful run in a committed file, and
``update`` runs them all and merges through the import path.
"""
