"""The files a site copies rather than renders: theme and site static files, host files.

Kept apart from the pipeline in :mod:`sitegen.site`: the site's own
``static/`` files are checked against every generated path before they join
the jobs (:func:`sitegen.site_checks.check_static`), and none is skipped
without a word, not even one named like sitegen's own bookkeeping files.
"""

from __future__ import annotations

import hashlib
from functools import partial

from sitegen.config import Config
from sitegen.keys import Job
from sitegen.outputs.hosting import host_files
from sitegen.theme import Theme


def host_jobs(config: Config) -> list[Job]:
    """``.nojekyll`` and, with a custom domain, ``CNAME``: what static hosts look for."""
    return [Job(path, hashlib.sha1(data, usedforsecurity=False).hexdigest(), partial(bytes, data))
            for path, data in sorted(host_files(config).items())]


def theme_static_jobs(theme: Theme) -> list[Job]:
    """The theme's static files, under ``static/`` of the site."""
    return [Job(f"static/{rel}", digest, (theme.folder / "static" / rel).read_bytes)
            for rel, digest in sorted(theme.static.items())]


def own_static_jobs(config: Config) -> list[Job]:
    """The site's own ``static/`` files, at the top of the site (checked by ``check_static``)."""
    jobs = []
    own = config.root / "static"
    if own.is_dir():
        for path in sorted(own.rglob("*")):
            if path.is_file() and not path.is_symlink():
                data = path.read_bytes()
                key = hashlib.sha1(data, usedforsecurity=False).hexdigest()
                jobs.append(Job(path.relative_to(own).as_posix(), key, partial(bytes, data)))
    return jobs
