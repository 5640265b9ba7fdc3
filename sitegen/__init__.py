"""sitegen: a static site generator for paper listings."""

__version__ = "0.1.0"

#: The name sitegen is published under on PyPI ("sitegen" there is an unrelated
#: project). The command and this import package keep the name ``sitegen``.
DISTRIBUTION = "sitegen-papers"
