"""The ``Site``: load and validate everything first, then build as a flat list of stages.

Stages of :meth:`Site.build`: check the output folder, load content (all
problems at once), derive views (tags, months, orders), plan jobs (pages,
static files, outputs), write changed files into staging (reusing unchanged
ones), run post-processors, swap staging in, save the cache.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from pathlib import Path

from sitegen import __version__
from sitegen.cache import BuildCache, ParseStore, content_signature
from sitegen.config import Config
from sitegen.content import ContentScan, load_content, scan_content
from sitegen.content_pages import load_pages, page_jobs, with_menu
from sitegen.errors import BuildError, ContentError, Problem, SitegenError, StrictError
from sitegen.model import Paper
from sitegen.output import MARKER, Patch, Staging, refuse_reason
from sitegen.outputs import output_jobs, post_process, prepare_view
from sitegen.outputs.hosting import host_files
from sitegen.outputs.search import forget_index
from sitegen.pages import Job, SiteData, make_key, plan_pages
from sitegen.render import Renderer
from sitegen.taxonomy import Tagger, group_tags, load_rules, paper_tags, tag_slug
from sitegen.views import MonthView, PaperView, make_view, month_views, tag_views
from sitegen.writer import SEARCH_DIR, Plan, folder_stamps, make_plan, write_plan

CACHE_DIR = ".sitegen-cache"


@dataclass
class BuildResult:
    """What a build did."""

    pages: int = 0
    written: int = 0
    unchanged: int = 0
    seconds: float = 0.0
    warnings: list[Problem] = field(default_factory=list)
    skipped: bool = False

    def summary(self) -> str:
        if self.skipped:
            return f"nothing changed: {self.pages} files unchanged ({self.seconds:.2f} s)"
        return (f"built {self.pages} files: {self.written} written, {self.unchanged} unchanged "
                f"({self.seconds:.2f} s)")


class Site:
    """One site: its config, content, theme and output."""

    def __init__(self, config: Config, quiet: bool = False, verbose: bool = False,
                 cache_dir: Path | None = None, parallel: bool = True,
                 defer_search: bool = False, store: ParseStore | None = None) -> None:
        """``defer_search`` leaves the search index to :meth:`finish_search` (the preview
        reloads pages first); ``parallel`` allows forked render workers; ``store``
        is parsed content kept in memory from earlier builds (the preview's)."""
        self.config = config
        self.quiet = quiet
        self.verbose = verbose
        self.cache_dir = cache_dir or config.root / CACHE_DIR
        self.parallel = parallel
        self.defer_search = defer_search
        self._pending: tuple[SiteData, Path] | None = None
        self._record: Callable[[], None] = _nothing
        self._store: ParseStore | None = store
        self.warnings: list[Problem] = list(config.warnings)

    @property
    def store(self) -> ParseStore | None:
        """The parsed content this site read (to hand to the next build of the same site)."""
        return self._store

    # Stage 1: the output folder must be safe to replace.
    def check_output(self, renderer: Renderer) -> Path:
        out = self.config.output_path
        protected = [self.config.content_path, self.config.root / "templates", renderer.theme,
                     self.cache_dir]
        reason = refuse_reason(out, self.config.root, protected)
        if reason:
            raise BuildError(Problem(str(self.config.output_dir), 0,
                                     f"refusing to use this output folder: it {reason}"))
        return out

    # Stage 2: load and validate every content file.
    def load(self, env_key: str, use_cache: bool = True, scan: ContentScan | None = None,
             renderer: Renderer | None = None) -> SiteData:
        """Read all papers and derive everything pages share; raises on any content error.

        With ``renderer``, the parse workers also render each paper's card.
        """
        store = self._store
        if store is None or store.folder.parent != self.cache_dir:
            self._store = store = ParseStore(self.cache_dir)
        parsed = store.load() if use_cache else store.data
        tagger = self._tagger()
        scan = scan or scan_content(self.config.content_path, self.config.root)
        result = load_content(self.config.root, self.config.content_path, parsed,
                              parallel=self.parallel, scan=scan,
                              prepare=partial(_prepare, self.config, tagger, renderer),
                              sink=store if use_cache else None,
                              meanwhile=renderer.warm_up if renderer is not None else None)
        self.warnings.extend(result.warnings)
        pages, page_problems = load_pages(scan.pages, self.config.content_path)
        if result.errors or page_problems:
            raise ContentError(*sorted(result.errors + page_problems))
        papers = sorted(result.papers,
                        key=lambda p: (-p.date.toordinal(), p.title.casefold(), p.slug or ""))
        names = [paper_tags(p, tagger) for p in papers]
        slugs = {name: tag_slug(name) for tag_names in names for name in tag_names}
        views = [make_view(p, n, slugs, self.config.math)
                 for p, n in zip(papers, names, strict=True)]
        for newer, older in zip(views, views[1:], strict=False):
            newer.older, older.newer = older, newer
        tags = tag_views(group_tags([(v, [t.name for t in v.tags]) for v in views]))
        if len(set(slugs.values())) < len(slugs):  # two spellings of one tag
            self._merge_tag_names(views, {t.slug: t.name for t in tags})
        top = sorted(views, key=lambda v: (-(v.upvotes or 0), -(v.comments or 0),
                                           -v.date.toordinal(), v.slug))
        months: list[MonthView] = month_views(views)
        build_date = date.today() if self.config.build_timestamp else None
        return SiteData(self.config, views, top, tags, months, with_menu(env_key, pages),
                        build_date, self.cache_dir, pages)

    def _tagger(self) -> Tagger | None:
        if not self.config.auto_tags:
            return None
        if self.config.tag_rules is not None:
            return Tagger(self.config.tag_rules)
        from sitegen.render import theme_dir

        rules = theme_dir(self.config) / "tag_rules.toml"
        return Tagger(load_rules(rules)) if rules.is_file() else None

    @staticmethod
    def _merge_tag_names(views: list[PaperView], names: dict[str, str]) -> None:
        """Tags whose names share a slug are one tag: show one name everywhere."""
        for view in views:
            shown = [names[ref.slug] for ref in view.tags]
            if shown != [ref.name for ref in view.tags]:
                # The page shows the merged names, so they must be part of its key.
                view.key = make_key(view.key, shown)
            for ref, name in zip(view.tags, shown, strict=True):
                ref.name = name

    # Stage 3: plan every output file.
    def plan(self, data: SiteData, renderer: Renderer) -> list[Job]:
        renderers = {}

        def render(template: str, context: dict[str, object]) -> bytes:
            if template not in renderers:
                renderers[template] = renderer.renderer(template)
            context = {"site": self.config, "build_date": data.build_date, **context}
            return renderers[template](context).encode("utf-8")

        jobs = static_jobs(self.config, renderer) + plan_pages(data, render)
        jobs += page_jobs(data, renderer, render)  # content/pages/ and the navigation
        jobs += output_jobs(data, renderer, jobs)
        jobs += host_jobs(self.config)
        seen: dict[str, Job] = {}
        for job in jobs:
            if job.path in seen:
                raise BuildError(Problem(job.path, 0, "two outputs would be written to this "
                                                      "path; rename a paper, tag or static file"))
            seen[job.path] = job
        return sorted(jobs, key=lambda j: j.path)

    def env_key(self, renderer: Renderer) -> str:
        """A hash of everything besides content that shapes every page."""
        static = renderer.static_hashes
        rules = renderer.theme / "tag_rules.toml"
        rules_bytes = rules.read_bytes() if rules.is_file() else b""
        return make_key(__version__, repr(self.config), renderer.templates_fingerprint(),
                        sorted(static.items()), hashlib.sha1(rules_bytes,
                                                             usedforsecurity=False).hexdigest())

    # Stages 4-6: write, post-process, swap.
    def build(self, use_cache: bool = True) -> BuildResult:
        """Build the site into the output folder; the old site stays if anything fails."""
        with no_cycle_collection():
            return self._build(use_cache)

    def _build(self, use_cache: bool) -> BuildResult:
        started = time.perf_counter()
        renderer = Renderer(self.config, self.cache_dir)
        out = self.check_output(renderer)
        hash_static(self.config, renderer)
        env_key = self.env_key(renderer)
        cache = BuildCache.load(self.cache_dir) if use_cache else BuildCache()
        scan = scan_content(self.config.content_path, self.config.root)
        signature = content_signature(self.config, env_key, scan)
        check = cache.check_output(out)
        if check.extra or any(path.startswith(SEARCH_DIR + "/") for path in check.changed):
            # Files nobody recorded, or an index changed by hand: index again.
            forget_index(self.cache_dir)
        if use_cache and cache.is_current(signature, out, check):
            return BuildResult(pages=len(cache.keys), unchanged=len(cache.keys),
                               warnings=self.warnings, seconds=time.perf_counter() - started,
                               skipped=True)
        renderer.card_token = env_key
        data = self.load(env_key, use_cache, scan, renderer)
        jobs = self.plan(data, renderer)
        old_keys = cache.keys if cache.output == str(out) else {}
        plan = make_plan(jobs, old_keys, out, cache.folders, check)
        if plan.patch and self._search_changes(plan):
            plan.patch = False  # the index is built over a full staging tree, before the swap
        save_store = self._save_store if use_cache else _nothing
        # The preview reloads pages first and records the build after (finish_search).
        self._publish(data, plan, out, _nothing if self.defer_search else save_store)
        keys = {j.path: j.key for j in jobs}
        try:
            stamps = (folder_stamps(out, [j.path for j in plan.render] + plan.removed,
                                    cache.folders) if plan.patch
                      else folder_stamps(out, keys))
        except OSError:
            stamps = None

        def record() -> None:
            saved = False
            if stamps is not None:
                with contextlib.suppress(OSError):
                    cache.save(self.cache_dir, signature, keys, out, stamps)
                    saved = True
            if not saved:  # the site is built; a stale cache must not be trusted next time
                BuildCache.forget(self.cache_dir)
            if self.defer_search:
                save_store()

        if self.defer_search:
            self._record = record
        else:
            record()
        return BuildResult(pages=len(jobs), written=len(plan.render),
                           unchanged=len(jobs) - len(plan.render), warnings=self.warnings,
                           seconds=time.perf_counter() - started)

    def _save_store(self) -> None:
        """Keep the parsed papers, with what this build derived from them, for the next build.

        Runs while the render workers work: the parse cache does not depend on the
        outcome of rendering.
        """
        if self._store is not None:
            with contextlib.suppress(OSError):  # a cache that cannot be written costs time only
                self._store.save()

    def _search_changes(self, plan: Plan) -> bool:
        """True when a build without deferred search must re-index paper pages."""
        if not self.config.search or self.defer_search:
            return False
        return any(path.startswith("papers/") and path.endswith(".html")
                   for path in [j.path for j in plan.render] + plan.removed)

    def finish_search(self) -> None:
        """Record the build in the cache and bring the live site's search index up to date
        (what ``defer_search`` left for after the preview's reload)."""
        record, self._record = self._record, _nothing
        record()
        if self._pending is not None:
            data, out = self._pending
            self._pending = None
            post_process(data, out)

    def _publish(self, data: SiteData, plan: Plan, out: Path,
                 meanwhile: Callable[[], None]) -> None:
        """Write into staging and swap it in (or apply it as a patch)."""
        target = Patch(out) if plan.patch else Staging(out)
        try:
            target.begin()
            write_plan(plan, target, self.quiet, self.verbose, self.parallel, meanwhile)
            if self.config.strict and self.warnings:
                raise StrictError(*self.warnings, "build failed: --strict turns these warnings "
                                                  "into errors; the previous site was kept")
            if isinstance(target, Patch):
                target.commit_patch(sorted(j.path for j in plan.render), plan.removed)
                self._pending = (data, out)
                if not self.defer_search:
                    self.finish_search()
                return
            if not self.defer_search:
                post_process(data, target.path)
            target.keep_user_files({j.path.split("/", 1)[0] for j in plan.render + plan.reuse})
            target.commit()
            if self.defer_search:
                self._pending = (data, out)
        except (SitegenError, KeyboardInterrupt):
            self._discard(target)
            raise
        except OSError as exc:
            self._discard(target)
            where = exc.filename or str(out)
            raise BuildError(Problem(str(where), 0, "cannot write the site: "
                                     f"{exc.strerror or exc}; the previous site was kept")
                             ) from None

    @staticmethod
    def _discard(target: Staging) -> None:
        """Remove what a failed build wrote; a failure to do so must not hide the cause."""
        with contextlib.suppress(OSError, SitegenError):
            target.discard()


def _nothing() -> None:
    """A stage with nothing to do."""


def _prepare(config: Config, tagger: Tagger | None, renderer: Renderer | None,
             paper: Paper) -> None:
    """Derive in the parse worker what pages and outputs will need from one paper
    (its slug is set already, see :func:`sitegen.content.load_content`)."""
    names = paper_tags(paper, tagger)
    view = make_view(paper, names, {name: tag_slug(name) for name in names}, config.math)
    prepare_view(view, config)
    if renderer is not None:
        renderer.card(view)


@contextlib.contextmanager
def no_cycle_collection() -> Iterator[None]:
    """Pause the cycle collector while building.

    A build holds every paper in memory until it ends, so the collector's full
    passes over them (dozens per build) find nothing and cost about a quarter
    of the time of a small rebuild; what a build leaves behind is collected
    when it is switched back on.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def hash_static(config: Config, renderer: Renderer) -> None:
    """Record a short hash of every theme static file, for cache-busting asset URLs."""
    folder = renderer.theme / "static"
    if folder.is_dir():
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                rel = path.relative_to(folder).as_posix()
                renderer.static_hashes[rel] = hashlib.sha1(
                    path.read_bytes(), usedforsecurity=False).hexdigest()[:10]


def host_jobs(config: Config) -> list[Job]:
    """``.nojekyll`` and, with a custom domain, ``CNAME``: what static hosts look for."""
    return [Job(path, hashlib.sha1(data, usedforsecurity=False).hexdigest(), partial(bytes, data))
            for path, data in sorted(host_files(config).items())]


def static_jobs(config: Config, renderer: Renderer) -> list[Job]:
    """Theme static files under ``static/`` and the site's own ``static/`` at the top."""
    jobs = []
    for rel, digest in sorted(renderer.static_hashes.items()):
        source = renderer.theme / "static" / rel
        jobs.append(Job(f"static/{rel}", digest, source.read_bytes))
    own = config.root / "static"
    if own.is_dir():
        for path in sorted(own.rglob("*")):
            if path.is_file() and not path.is_symlink() and path.name != MARKER:
                data = path.read_bytes()
                key = hashlib.sha1(data, usedforsecurity=False).hexdigest()
                jobs.append(Job(path.relative_to(own).as_posix(), key, partial(bytes, data)))
    return jobs
