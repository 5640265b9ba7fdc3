"""``sitegen serve``: build the site, serve it on loopback, rebuild on change, reload pages.

Where the preview is built: into ``.sitegen-cache/serve/site/`` under the site
root, with its own build cache in ``.sitegen-cache/serve/cache/``. So serving
never replaces ``public/`` (which may hold a build about to be deployed), and
switching between ``sitegen build`` and ``sitegen serve`` does not make either
start from scratch; restarting the server reuses the last preview. Passing an
explicit output folder (``overrides["output_dir"]``) builds there instead, with
the normal build cache. The site is served under the path of its base URL
(``/papers/`` for ``https://example.org/papers/``), with ``/`` redirected there,
so links behave as they will when deployed; it is built for the preview's own
address (``http://127.0.0.1:8000/papers/``), so the sitemap, the feeds and the
canonical links are there as they will be.

What is watched: ``sitegen.toml``, the content folder, the site's
``templates/`` and ``static/``, and the theme folder (see
:mod:`sitegen.serve.watch`). A burst of saves causes one build,
:data:`DEBOUNCE` seconds after the last change; a change that arrives during a
build causes another build, and open pages reload only after a build that no
newer change followed, so a reload never shows a stale page. Only pages whose
inputs changed are re-rendered (the build's job keys decide).

A preview build runs the build's stages (:class:`~sitegen.site.Site`) in its
own order: load, derive, plan, render and publish; then open pages reload;
then the search index is brought up to date over the live site and the build
is recorded in the cache, so an edit shows as fast as possible.

A failed build never stops the server: the problems (``file:line: message``)
are printed and shown in a banner on every HTML page, while the last good site
stays served; the next successful build clears them. Requests are served from
whatever the output folder holds at that moment, which a build only ever
changes by atomic renames, so a request never sees a half-written file.

The HTTP side and its safety rules are in :mod:`sitegen.serve.http`.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import sys
import threading
import time
import traceback
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets

from sitegen import gcpolicy
from sitegen.cache import ParseCache
from sitegen.config import CACHE_DIR, Config, load_config
from sitegen.errors import SitegenError, visible
from sitegen.lock import site_lock
from sitegen.serve.accept import PreviewHTTPServer
from sitegen.serve.http import Hub, PreviewState, make_app
from sitegen.serve.quick import LastBuild, QuickPage, QuickSearch, draw, needs_reload
from sitegen.serve.watch import Source, WatchPlan, open_source
from sitegen.site import BuildResult, Setup, Site
from sitegen.theme import theme_dir
from sitegen.views import SiteData
from sitegen.writer import Plan

DEBOUNCE = 0.05  # seconds without changes before a build starts (one save is one burst)
PREVIEW_OUTPUT = ".sitegen-cache/serve/site"
PREVIEW_CACHE = ".sitegen-cache/serve/cache"
SEARCH_EDIT = ".sitegen-cache/serve/search-edit"  # where Pagefind writes a quick page's index
IDLE_WAIT = 0.2  # how often an idle watcher checks whether to stop
STOP_POLL = 0.1  # how often the main thread checks whether the server was stopped


@dataclass(frozen=True)
class _Unfinished:
    """What a preview build leaves for after the reload: the search index and its record."""

    site: Site
    setup: Setup
    data: SiteData
    plan: Plan
    last: LastBuild  # what the next save's quick page is drawn from

    def finish(self) -> None:
        # The record comes after the index, so that it stamps the new search parts: the
        # next build then trusts them and indexes only the parts its edit touches.
        try:
            self.site.post_process(self.site.index_plan(self.data), self.setup.out)
        finally:
            self.site.record(self.setup, self.plan)


def build_preview(site: Site) -> tuple[BuildResult, _Unfinished | None]:
    """The build stages in the preview's order, up to publishing: what is left (the search
    index over the live site, the cache record) is done after open pages reload."""
    started = time.perf_counter()
    setup = site.setup()
    if setup.current:
        pages = len(setup.cache.keys)
        return BuildResult(pages=pages, unchanged=pages, skipped=True,
                           seconds=time.perf_counter() - started), None
    loaded = site.load(setup)
    data = site.derive(loaded)
    plan = site.plan(loaded, data, live_search=True)
    with site.drafting(plan, setup.out) as target:
        site.render(plan, target)
        site.publish(plan, target)
    last = LastBuild(data, loaded.renderer, loaded.settings, setup.out)
    return site.result(plan, started), _Unfinished(site, setup, data, plan, last)


def is_loopback(host: str) -> bool:
    """True for names and addresses only this machine can reach."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def allowed_hosts(host: str, port: int) -> frozenset[str]:
    """``Host`` header values the server answers to (anything else may be DNS rebinding)."""
    names = {"127.0.0.1", "localhost", "[::1]"}
    if host:
        names.add(f"[{host}]" if ":" in host and not host.startswith("[") else host)
    values = {f"{name}:{port}" for name in names}
    if port == 80:
        values |= names
    return frozenset(value.lower() for value in values)


class PreviewServer:
    """A site's preview: a builder thread watching sources and an HTTP thread serving output.

    ``builds`` counts build attempts and ``last_result`` holds the last
    successful build's :class:`BuildResult`; :meth:`wait_for_builds` lets a
    caller wait for the next one.
    """

    def __init__(self, site_root: Path, host: str = "127.0.0.1", port: int = 8000,
                 overrides: dict[str, Any] | None = None, quiet: bool = False,
                 debounce: float = DEBOUNCE) -> None:
        self.root = site_root.resolve()
        self.overrides = {k: v for k, v in (overrides or {}).items() if v is not None}
        self.private = "output_dir" not in self.overrides
        self.overrides.setdefault("output_dir", PREVIEW_OUTPUT)
        self.host, self.port, self.quiet, self.debounce = host, port, quiet, debounce
        self.hub = Hub()
        self.allowed_hosts = allowed_hosts(host, port)
        self.builds = 0
        self._unfinished: _Unfinished | None = None
        self._searching: QuickSearch | None = None  # the quick page's own search entry
        self._held = contextlib.ExitStack()  # the site lock, from a build to its search index
        self._parse_cache: ParseCache | None = None  # parsed papers, kept between rebuilds
        self._last: LastBuild | None = None  # the last good build, for quick pages
        self.last_result: BuildResult | None = None
        self._config: Config | None = None  # the last config that loaded
        self._served: Config | None = None  # the config of the last good build
        self.state = PreviewState(self._fallback_config().output_path,
                                  self._fallback_config().base_path)
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._threads: list[threading.Thread] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None

    @property
    def origin(self) -> str:
        """Scheme, host and port of the preview: the absolute base its pages are built for."""
        host = f"[{self.host}]" if ":" in self.host else (self.host or "127.0.0.1")
        return f"http://{host}:{self.port}"

    @property
    def url(self) -> str:
        return f"{self.origin}{self.state.base_path}"

    def _fallback_config(self) -> Config:
        """The last good config, or defaults plus overrides while ``sitegen.toml`` is broken."""
        if self._config is not None:
            return self._config
        return Config(root=self.root, output_dir=self.overrides["output_dir"],
                      base_url=str(self.overrides.get("base_url") or "/"))

    # The builder.
    def rebuild(self, edits: frozenset[Path] | None = None) -> bool:
        """Build once and publish the outcome; True if what a browser shows may have changed
        since the last reload. ``edits``: the files whose contents alone changed since the
        last build (see :meth:`Source.edits`), for a quick page ahead of the build."""
        previous = self.state
        result: BuildResult | None = None
        quick: QuickPage | None = None
        try:
            self._config = load_config(self.root, self.overrides, origin=self.origin)
            # Held until the search index is done too (see _finish_after_reload).
            self._held.enter_context(site_lock(self.root / CACHE_DIR, "preview build"))
            if self._last is not None and not previous.problems:
                quick = self._draw(self._last, edits)
                if quick is not None:  # served from memory until this build ends
                    with self._cond:
                        self.state = replace(self.state, pages={str(quick.file): quick.new})
                    self._notify()
                    if self._config.search:  # found by search before its part is made
                        self._searching = QuickSearch(self._last.out, quick,
                                                      self.root / SEARCH_EDIT, self._serve_files)
            cache_dir = self.root / PREVIEW_CACHE if self.private else None
            # Threads run here, so no forked workers.
            site = Site(self._config, quiet=True, cache_dir=cache_dir, parallel=False,
                        parse_cache=self._parse_cache)
            result, self._unfinished = build_preview(site)
            self._parse_cache = site.parse_cache
            if self._unfinished is not None:
                self._last = self._unfinished.last
            problems: tuple[str, ...] = ()
        except SitegenError as exc:
            problems = tuple(str(p) for p in exc.problems)
        except Exception as exc:  # a bug in a build must not stop the preview
            traceback.print_exc()
            problems = (f"internal error: {type(exc).__name__}: {exc}",)
        if result is not None:
            self._served = self._config
        else:
            self._held.close()
        # Keep serving the last good build where it is, even if the new config moved it.
        config = self._served or self._fallback_config()
        with self._cond:
            # The quick page's search files stay until its part of the index is made.
            self.state = PreviewState(config.output_path, config.base_path, problems,
                                      files=self.state.files)
            self.builds += 1
            if result is not None:
                self.last_result = result
            self._cond.notify_all()
        self._report(result, problems, previous.problems)
        if quick is not None:
            return self._after_quick(quick, result)
        return problems != previous.problems or (result is not None and result.written > 0)

    def _serve_files(self, files: Mapping[str, bytes]) -> None:
        """Serve ``files`` (site path -> bytes) from memory in place of the output's."""
        with self._cond:
            self.state = replace(self.state, files=files)

    @staticmethod
    def _draw(last: LastBuild, edits: frozenset[Path] | None) -> QuickPage | None:
        """The quick page, if any; a failure to draw it only leaves it to the build."""
        try:
            return draw(last, edits)
        except Exception as exc:  # noqa: BLE001 - a shortcut must never stop the build
            print(visible(f"quick page not drawn: {type(exc).__name__}: {exc}"), file=sys.stderr)
            return None

    def _after_quick(self, quick: QuickPage, result: BuildResult | None) -> bool:
        """Whether pages must reload again after a quick page and its whole build."""
        if result is None:  # failed: the last good page is back, with the errors
            return True
        unfinished = self._unfinished
        if unfinished is None:  # nothing to build: the file already is the page
            return False
        plan = unfinished.plan
        return needs_reload(quick, unfinished.last.out,
                            [job.path for job in plan.render] + plan.removed)

    def _report(self, result: BuildResult | None, problems: tuple[str, ...],
                before: tuple[str, ...]) -> None:
        if problems:
            lines = "\n".join(f"  {p}" for p in problems)
            print(f"build failed; still serving the last good site:\n{lines}", file=sys.stderr)
            return
        if result is None or self.quiet:
            return
        for warning in result.warnings:
            print(f"warning: {warning}")
        fixed = "fixed: " if before else ""
        print(f"{fixed}{result.summary()}", flush=True)

    def _plan(self) -> WatchPlan:
        config = self._fallback_config()
        trees = [config.content_path, self.root / "templates", self.root / "static"]
        with contextlib.suppress(SitegenError):
            trees.append(theme_dir(config))
        names = {"sitegen.toml", "templates", "static", "themes"}
        for tree in trees:
            if tree.resolve().parent == self.root:
                names.add(tree.name)
        existing = sorted({t.resolve() for t in trees if t.is_dir()})
        return WatchPlan(self.root, frozenset(names), tuple(existing), (config.output_path,))

    def _after_build(self, source: Source) -> tuple[Source, bool]:
        """Follow config changes in what is watched; report changes made during the build."""
        plan = self._plan()
        if plan != source.plan:
            source.close()
            return open_source(plan), True
        return source, source.wait(0)

    def _watch(self, source: Source, dirty: bool) -> None:
        """Debounce changes into builds; reload pages once no newer change is pending."""
        reload_due = False
        try:
            while not self._stop.is_set():
                if not dirty and not source.wait(IDLE_WAIT):
                    continue
                while source.wait(self.debounce):
                    if self._stop.is_set():
                        return
                if self._stop.is_set():
                    return
                # The cycle collector runs after the reload (and indexing), not inside
                # the build where the browser would wait for it.
                with gcpolicy.paused():
                    reload_due |= self.rebuild(source.edits())
                    source, dirty = self._after_build(source)
                    if reload_due and not dirty:
                        reload_due = False
                        self._notify()
                    self._finish_after_reload()
        finally:
            source.close()

    def _finish_after_reload(self) -> None:
        """Record the last build and index the live preview for search, after the reload."""
        unfinished, self._unfinished = self._unfinished, None
        searching, self._searching = self._searching, None
        try:
            if searching is not None:
                searching.wait()
            if unfinished is not None:
                unfinished.finish()
        except (SitegenError, OSError) as exc:
            print(visible(f"search index not updated: {exc}"), file=sys.stderr)
        finally:
            if searching is not None:  # the index holds the edit now, or the build failed
                searching.drop()
            self._held.close()  # the site lock taken by rebuild

    def _notify(self) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self.hub.reload)

    def wait_for_builds(self, count: int, timeout: float) -> bool:
        """Wait until ``count`` builds have finished; False on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: self.builds >= count, timeout)

    # The HTTP side.
    async def _http_main(self, server: HTTPServer) -> None:
        self._loop = asyncio.get_running_loop()
        self._stopping = asyncio.Event()
        self._ready.set()
        await self._stopping.wait()
        server.stop()
        self.hub.close_all()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(server.close_all_connections(), 5)

    def _run_http(self, sockets: list[Any]) -> None:
        async def main() -> None:
            server = PreviewHTTPServer(make_app(self), idle_connection_timeout=60,
                                       body_timeout=10, max_body_size=64 * 1024,
                                       max_header_size=64 * 1024)
            server.add_sockets(sockets)
            await self._http_main(server)

        asyncio.run(main())

    # Life cycle.
    def start(self) -> None:
        """Listen, build once, then watch and serve in background threads."""
        sockets = bind_sockets(self.port, self.host or None, backlog=1024)
        self.port = sockets[0].getsockname()[1]
        self.allowed_hosts = allowed_hosts(self.host, self.port)
        source = open_source(self._plan())
        self.rebuild()
        self._finish_after_reload()
        source, dirty = self._after_build(source)
        http = threading.Thread(target=self._run_http, args=(sockets,), name="sitegen-http",
                                daemon=True)
        watch = threading.Thread(target=self._watch, args=(source, dirty), name="sitegen-watch",
                                 daemon=True)
        self._threads = [http, watch]
        http.start()
        watch.start()
        self._ready.wait(10)

    def __enter__(self) -> PreviewServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def wait(self) -> None:
        """Block until :meth:`stop` (or Ctrl-C).

        Sleeps and reads the flag rather than waiting on the event: a Ctrl-C that
        lands while the event's lock is held can leave that lock held, and
        :meth:`stop` would then hang on it.
        """
        while not self._stop.is_set():
            time.sleep(STOP_POLL)

    def stop(self) -> None:
        """Stop watching and serving; waits for a build in progress to finish."""
        self._stop.set()
        loop, stopping = self._loop, self._stopping
        if loop is not None and stopping is not None and not loop.is_closed():
            loop.call_soon_threadsafe(stopping.set)
        for thread in self._threads:
            thread.join(timeout=30)


def serve(site_root: Path, host: str, port: int, overrides: dict[str, Any],
          quiet: bool = False) -> int:
    """Entry point of ``sitegen serve``; returns when interrupted with Ctrl-C."""
    if not is_loopback(host):
        print(f"warning: listening on {host or 'all interfaces'}: other machines on the network "
              "can see this preview; use the default 127.0.0.1 unless you mean it",
              file=sys.stderr)
    server = PreviewServer(site_root, host, port, overrides, quiet)
    try:
        try:
            server.start()
        except OSError as exc:
            raise SitegenError(f"cannot listen on {host}:{port}: "
                               f"{exc.strerror or exc}") from None
        if not quiet:
            print(f"serving {server.url} (Ctrl-C to stop)", flush=True)
        server.wait()
    except KeyboardInterrupt:
        if not quiet:
            print("stopped")
    finally:
        server.stop()
    return 0
