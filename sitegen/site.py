"""The ``Site``: a build as a flat list of named stages.

:meth:`Site.build` runs these, in order, each timed under ``--verbose``:

1. **load** (:meth:`Site.setup`, :meth:`Site.load`): check the output folder,
   read the theme, stop if nothing changed since the last build, else read and
   validate every content file (all problems at once), deriving each paper
   where it is parsed;
2. **derive** (:meth:`Site.derive`): everything computed from the papers, as
   typed results (see :mod:`sitegen.derive`);
3. **plan** (:meth:`Site.plan`): every output file as a job with a key, and
   which of them changed;
4. **render** (:meth:`Site.render`): write the changed files into a new tree
   (a staging folder, or a patch of a few files);
5. **post-process** (:meth:`Site.post_process`): the search index over it;
6. **publish** (:meth:`Site.publish`, :meth:`Site.record`): swap the new tree
   in, then record what the next build compares against.

Each stage reads what the ones before it made and changes none of it. The
preview server calls the same stages in its own order (see :mod:`sitegen.serve`).

The modules of the later stages are imported by the methods that run them: a
no-op build stops after :meth:`Site.setup` and never loads the template
engine, Markdown or the output formats, which would be a third of its time.
"""

from __future__ import annotations

import contextlib
import hashlib
import resource
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sitegen import __version__, gcpolicy
from sitegen.cache import (
    BuildCache,
    OutputCheck,
    ParseCache,
    content_signature,
    folders_of,
    record_output,
    record_patch,
)
from sitegen.config import CACHE_DIR, Config
from sitegen.content import ContentScan, scan_content
from sitegen.errors import (
    BuildError,
    ContentError,
    Problem,
    SitegenError,
    StrictError,
    WorkerError,
)
from sitegen.keys import Job, make_key
from sitegen.publish import (
    SEARCH_DIR,
    Patch,
    Staging,
    clean_leftovers,
    forget_staging,
    note_staging,
    refuse_reason,
)
from sitegen.site_checks import (
    check_content_folder,
    check_not_emptied,
    check_static,
    view_tag_collisions,
)
from sitegen.static_files import host_jobs, own_static_jobs, theme_static_jobs
from sitegen.tag_report import print_tag_report
from sitegen.theme import Theme, load_theme

if TYPE_CHECKING:
    from sitegen.content_pages import ContentPage
    from sitegen.derive import Settings
    from sitegen.model import Paper
    from sitegen.outputs.search import IndexPlan
    from sitegen.render import Renderer
    from sitegen.taxonomy import Tagger
    from sitegen.views import Derived, SiteData
    from sitegen.writer import Plan

__all__ = ["CACHE_DIR", "BuildResult", "Loaded", "Setup", "Site"]

# From this many papers a build lets the loaded site go once its pages are written
# (see Site.let_go); below it, the collection costs more than the memory matters.
RELEASE_PAPERS = 20_000


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


@dataclass(frozen=True)
class Setup:
    """What a build works with besides the content, read at its start."""

    out: Path
    theme: Theme
    env_key: str  # a hash of everything besides content that shapes every page
    cache: BuildCache  # what the last build wrote
    scan: ContentScan
    signature: str  # the inputs' names, sizes and times: equal means nothing changed
    use_cache: bool
    check: OutputCheck  # how the output differs from what the last build published

    @property
    def current(self) -> bool:
        """True when nothing changed since the last build and its output is as it left it."""
        return self.use_cache and self.cache.is_current(self.signature, self.out, self.check)


@dataclass(frozen=True)
class Loaded:
    """What the load stage read: the papers, each with what the parse cache kept of it."""

    setup: Setup
    renderer: Renderer
    settings: Settings
    papers: list[Paper]
    derived: list[Derived | None]  # derived where parsed, or kept from an earlier build
    labels: list[str]  # the content file of each paper
    pages: list[ContentPage]  # content/pages/: About and the like


def cpu_seconds() -> float:
    """User and system time of this process and of the workers and indexers it reaped."""
    own, reaped = (resource.getrusage(who) for who in (resource.RUSAGE_SELF,
                                                       resource.RUSAGE_CHILDREN))
    return own.ru_utime + own.ru_stime + reaped.ru_utime + reaped.ru_stime


class _Stages:
    """Times the stages of a build; prints each under ``--verbose``, with the CPU time it
    took in every process (on a busy machine, wall time says more about the others)."""

    def __init__(self, verbose: bool) -> None:
        self.verbose = verbose

    @contextlib.contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        started, cpu = time.perf_counter(), cpu_seconds()
        yield
        if self.verbose:
            print(f"stage {name}: {time.perf_counter() - started:.2f} s "
                  f"(CPU {cpu_seconds() - cpu:.2f} s)", flush=True)


class Site:
    """One site: its config, content, theme and output."""

    def __init__(self, config: Config, quiet: bool = False, verbose: bool = False,
                 cache_dir: Path | None = None, parallel: bool = True,
                 parse_cache: ParseCache | None = None) -> None:
        """``parallel`` allows forked workers; ``parse_cache`` is parsed content kept in
        memory from earlier builds (the preview's)."""
        self.config = config
        self.quiet = quiet
        self.verbose = verbose
        self.cache_dir = cache_dir or config.root / CACHE_DIR
        self.parallel = parallel
        self._parse_cache = parse_cache
        # A one-shot build may let its loaded site go once the pages are written (see
        # let_go); the preview hands its parse cache on from build to build.
        self._lets_go = parallel and parse_cache is None
        self.warnings: list[Problem] = list(config.warnings)

    @property
    def parse_cache(self) -> ParseCache | None:
        """The parsed content this site read (to hand to the next build of the same site)."""
        return self._parse_cache

    def build(self, use_cache: bool = True) -> BuildResult:
        """Build the site into the output folder; the old site stays if anything fails."""
        started = time.perf_counter()
        stage = _Stages(self.verbose)
        try:
            with gcpolicy.paused():
                with stage("load"):
                    setup = self.setup(use_cache)
                    if setup.current:
                        pages = len(setup.cache.keys)
                        return BuildResult(pages=pages, unchanged=pages, skipped=True,
                                           warnings=self.warnings + setup.scan.warnings,
                                           seconds=time.perf_counter() - started)
                    loaded = self.load(setup)
                with stage("derive"):
                    data = self.derive(loaded)
                if self.verbose:
                    print_tag_report(data, self.config.root)
                with stage("plan"):
                    plan = self.plan(loaded, data)
                with self.drafting(plan, setup.out) as target:
                    with stage("render"):
                        self.render(plan, target)
                    index = self.index_plan(data)
                    with stage("post-process"):
                        if self._should_let_go(len(loaded.papers), index):
                            plan.spend()
                            del loaded, data
                            self.let_go(setup)
                        finish = self.post_process(index, _tree(target), _pending(target))
                    with stage("publish"):
                        self.publish(plan, target)
                        if finish is not None:  # a patch's new search parts, after its pages
                            finish()
                        self.record(setup, plan)
        except WorkerError as exc:
            raise BuildError(f"build failed: {exc}; the previous site was kept") from None
        return self.result(plan, started)

    def result(self, plan: Plan, started: float) -> BuildResult:
        """What a build of ``plan`` that began at ``started`` (``perf_counter``) did."""
        return BuildResult(pages=len(plan.jobs), written=len(plan.render),
                           unchanged=len(plan.jobs) - len(plan.render), warnings=self.warnings,
                           seconds=time.perf_counter() - started)

    # Stage 1: load.
    def check_output(self, theme: Theme) -> Path:
        """The output folder, if it is safe to replace (see ``output.refuse_reason``)."""
        out = self.config.output_path
        protected = [self.config.content_path, self.config.root / "templates",
                     self.config.root / "static", theme.folder, self.cache_dir]
        reason = refuse_reason(out, self.config.root, protected)
        if reason:
            raise BuildError(Problem(str(self.config.output_dir), 0,
                                     f"refusing to use this output folder: it {reason}"))
        return out

    def env_key(self, theme: Theme) -> str:
        """A hash of everything besides content that shapes every page."""
        rules = theme.rules.read_bytes() if theme.rules is not None else b""
        return make_key(__version__, repr(self.config), theme.templates,
                        sorted(theme.static.items()),
                        hashlib.sha1(rules, usedforsecurity=False).hexdigest())

    def setup(self, use_cache: bool = True) -> Setup:
        """Read the theme and the last build's record, and list the content files."""
        theme = load_theme(self.config)
        out = self.check_output(theme)
        clean_leftovers(self.config.root / CACHE_DIR)  # a killed build's staging folder
        env_key = self.env_key(theme)
        cache = BuildCache.load(self.cache_dir) if use_cache else BuildCache()
        check_content_folder(self.config)
        scan = scan_content(self.config.content_path, self.config.root)
        for folder in dict.fromkeys([self.cache_dir, self.config.root / CACHE_DIR]):
            check_not_emptied(self.config, scan.files, folder)
        signature = content_signature(self.config, env_key, scan)
        check = cache.check_output(out)
        if check.extra or any(path.startswith(SEARCH_DIR + "/") for path in check.changed):
            from sitegen.outputs.search import forget_index

            forget_index(self.cache_dir)  # files nobody recorded, or an index changed by hand
        return Setup(out, theme, env_key, cache, scan, signature, use_cache, check)

    def load(self, setup: Setup) -> Loaded:
        """Read and validate every content file; raises on any content error.

        Papers parsed now are derived where they are parsed (in the parse workers);
        the others come with what the parse cache kept of them.
        """
        from sitegen.content import load_content
        from sitegen.content_pages import load_pages, menu_entries, with_menu
        from sitegen.derive import derive_paper, make_settings
        from sitegen.outputs.jobs import template_helpers
        from sitegen.render import Renderer

        pages, page_problems = load_pages(setup.scan.pages, self.config.content_path)
        renderer = Renderer(self.config, self.cache_dir, setup.theme,
                            {**template_helpers(self.config), "menu": menu_entries(pages)})
        # Every page shows the navigation: its entries are part of every page's key.
        settings = make_settings(self.config, with_menu(setup.env_key, pages),
                                 self._tagger(setup.theme), renderer.render_card)
        parsed = self._parse_cache
        if parsed is None or parsed.folder.parent != self.cache_dir:
            self._parse_cache = parsed = ParseCache(self.cache_dir)
        result = load_content(self.config.root, self.config.content_path,
                              parsed.load() if setup.use_cache else parsed.data,
                              parallel=self.parallel, scan=setup.scan,
                              prepare=partial(derive_paper, settings=settings),
                              sink=parsed if setup.use_cache else None,
                              meanwhile=renderer.warm_up)
        self.warnings.extend(result.warnings)
        if result.errors or page_problems:
            raise ContentError(*sorted(result.errors + page_problems))
        return Loaded(setup, renderer, settings, result.papers, result.prepared, result.labels,
                      pages)

    def _tagger(self, theme: Theme) -> Tagger | None:
        from sitegen.taxonomy import Tagger, load_rules

        if not self.config.auto_tags:
            return None
        if self.config.tag_rules is not None:
            return Tagger(self.config.tag_rules)
        return Tagger(load_rules(theme.rules)) if theme.rules is not None else None

    # Stage 2: derive.
    def derive(self, loaded: Loaded) -> SiteData:
        """Everything computed from the papers; what was made anew goes to the parse cache."""
        from sitegen.derive import derive_site

        data, fresh = derive_site(loaded.papers, loaded.derived, loaded.settings,
                                  self.cache_dir, self.parallel)
        self.warnings.extend(view_tag_collisions(loaded.papers, loaded.labels, data.papers))
        if self._parse_cache is not None and loaded.setup.use_cache:
            for index, derived in fresh.items():
                self._parse_cache.replace(loaded.labels[index], derived)
        self.warnings.extend(data.warnings)
        return replace(data, content_pages=loaded.pages)

    # Stage 3: plan.
    def plan(self, loaded: Loaded, data: SiteData, live_search: bool = False) -> Plan:
        """Every output file, and which must be rendered, reused or removed.

        ``live_search``: the search index will be built over the live site after
        publishing (the preview does). Either way a patch may change paper pages: the
        search parts they are in are indexed from the patch's folder.
        """
        from sitegen.writer import make_plan

        setup = loaded.setup
        jobs = self.jobs(loaded, data)
        old_keys = setup.cache.keys if setup.cache.output == str(setup.out) else {}
        plan = make_plan(jobs, old_keys, setup.out, setup.cache.folders, setup.check)
        return plan

    def jobs(self, loaded: Loaded, data: SiteData) -> list[Job]:
        """Every output file of the site as a job, sorted by path; two for one path is an error."""
        from sitegen.outputs.jobs import output_jobs
        from sitegen.page_render import page_jobs
        from sitegen.pages import plan_pages

        render = page_renderer(loaded.renderer, self.config, data.build_date)
        own = own_static_jobs(self.config)
        jobs = theme_static_jobs(loaded.setup.theme) + plan_pages(data, render)
        jobs += page_jobs(data, render)  # content/pages/
        jobs += output_jobs(data, [job.path for job in jobs if job.path.endswith(".html")])
        jobs += host_jobs(self.config)
        check_static([job.path for job in own], [job.path for job in jobs], self.config.search)
        jobs += own
        seen: dict[str, Job] = {}
        for job in jobs:
            if job.path in seen:
                raise BuildError(Problem(job.path, 0, "two outputs would be written to this "
                                                      "path; rename a paper, tag or static file"))
            seen[job.path] = job
        return sorted(jobs, key=lambda j: j.path)

    # Stages 4-6: render, post-process, publish.
    @contextlib.contextmanager
    def drafting(self, plan: Plan, out: Path) -> Iterator[Staging]:
        """The new tree of a plan (a staging folder or a patch), removed unless published."""
        target = Patch(out) if plan.patch else Staging(out)
        note = self.config.root / CACHE_DIR
        try:
            note_staging(note, target.path)
            target.begin()
            yield target
        except (SitegenError, KeyboardInterrupt):
            self._discard(target)
            raise
        except OSError as exc:
            self._discard(target)
            where = exc.filename or str(out)
            raise BuildError(Problem(str(where), 0, "cannot write the site: "
                                     f"{exc.strerror or exc}; the previous site was kept")
                             ) from None
        finally:
            with contextlib.suppress(OSError):
                forget_staging(note)

    def render(self, plan: Plan, target: Staging) -> None:
        """Write the plan's changed files into the new tree, in forked workers when many."""
        from sitegen.writer import write_plan

        write_plan(plan, target, self.quiet, self.verbose, self.parallel)
        if self.config.strict and self.warnings:
            raise StrictError(*self.warnings, "build failed: --strict turns these warnings "
                                              "into errors; the previous site was kept")

    @staticmethod
    def index_plan(data: SiteData) -> IndexPlan:
        """What the post-process stage needs of the site (see :meth:`post_process`)."""
        from sitegen.outputs.search import plan_index

        return plan_index(data)

    def post_process(self, index: IndexPlan, tree: Path, pending: Path | None = None
                     ) -> Callable[[], None] | None:
        """Run the post-processors (the search index, planned by :meth:`index_plan`) over a
        finished tree; for a patch (new pages in ``pending``), what is left to do once its
        pages are published."""
        from sitegen.outputs.search import update_index

        done, finish = update_index(index, tree, pending)
        if self.verbose:
            print(f"search index: {done}", flush=True)
        return finish

    def publish(self, plan: Plan, target: Staging) -> None:
        """Swap the new tree in, or move a patch's files into place."""
        if isinstance(target, Patch):
            target.commit_patch(sorted(j.path for j in plan.render), plan.removed)
            return
        target.keep_user_files({j.path.split("/", 1)[0] for j in plan.render + plan.reuse})
        target.commit()

    def record(self, setup: Setup, plan: Plan) -> None:
        """Keep what the next build compares against: the page keys, the output's folder
        times and the parsed papers. A cache that cannot be written costs time only."""
        from sitegen.writer import folder_stamps

        keys = {job.path: job.key for job in plan.jobs}
        try:
            touched = [j.path for j in plan.render] + plan.removed
            if plan.patch:
                stamps = folder_stamps(setup.out, touched, setup.cache.folders)
                state = record_patch(setup.out, setup.cache, touched)
            else:  # the folders of the pages, as the record of the whole tree has them
                state = record_output(setup.out)
                stamps = {f: state[1][f] for f in folders_of(keys) if f and f in state[1]}
            setup.cache.save(self.cache_dir, setup.signature, keys, setup.out, stamps, state)
        except OSError:  # the site is built; a stale record must not be trusted next time
            BuildCache.forget(self.cache_dir)
        if self._parse_cache is not None and setup.use_cache:
            with contextlib.suppress(OSError):
                self._parse_cache.save()

    def _should_let_go(self, papers: int, index: IndexPlan) -> bool:
        """Whether to let the site go before the search stage: a one-shot build of many
        papers whose search index needs Pagefind (otherwise nothing comes on top of
        the site, and the collection would only cost time)."""
        from sitegen.outputs.search import will_index

        return self._lets_go and papers >= RELEASE_PAPERS and will_index(index)

    def let_go(self, setup: Setup) -> None:
        """Keep the parsed papers on disk, then let the loaded site go (its pages are
        written): the search indexer, started next, then does not come on top of it.

        At 100,000 papers the site takes about 2 GB and Pagefind indexing a part
        about 1 GB more. A build whose parse cache lives on (the preview's) never
        lets go: it runs with ``parallel`` off.
        """
        if self._parse_cache is not None and setup.use_cache:
            with contextlib.suppress(OSError):
                self._parse_cache.save()
        self._parse_cache = None
        gcpolicy.release()

    @staticmethod
    def _discard(target: Staging) -> None:
        """Remove what a failed build wrote; a failure to do so must not hide the cause."""
        with contextlib.suppress(OSError, SitegenError):
            target.discard()


def _pending(target: Staging) -> Path | None:
    """The pages a patch wrote and has not moved into the live output yet."""
    return target.path if isinstance(target, Patch) else None


def _tree(target: Staging) -> Path:
    """The finished tree of a target: the staging folder, or the live output for a patch."""
    return target.out if isinstance(target, Patch) else target.path


def page_renderer(renderer: Renderer, config: Config, build_date: date | None
                   ) -> Callable[[str, dict[str, Any]], bytes]:
    """Render a template with a page's context (and ``site``, ``build_date``) to bytes."""
    renderers: dict[str, Callable[[dict[str, Any]], str]] = {}

    def render(template: str, context: dict[str, Any]) -> bytes:
        if template not in renderers:
            renderers[template] = renderer.renderer(template)
        context = {"site": config, "build_date": build_date, **context}
        return renderers[template](context).encode("utf-8")

    return render
