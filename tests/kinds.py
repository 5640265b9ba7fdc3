"""Which kind each test module is, so that one kind runs alone: ``pytest -m unit``.

unit
    functions and modules on their own, and the command line in-process;
golden
    built sites compared with committed output, or crawled link by link;
corpus
    the hostile corpus and the generated inputs (fuzzing, linear time);
browser
    pages driven in Debian chromium;
server
    real servers on loopback: the preview, nginx, a package index, HTTP fetches;
fault
    killed processes, racing processes, the site lock.

``tests/test_kinds.py`` fails when a module is in no kind or in two.
"""

from __future__ import annotations

KINDS: dict[str, tuple[str, ...]] = {
    "unit": (
        "test_absolute_urls",
        "test_architecture",
        "test_bench_smoke",
        "test_biblio_exports",
        "test_biblio_merge",
        "test_bibtex_tex",
        "test_build",
        "test_build_cache",
        "test_let_go",
        "test_build_invalid",
        "test_cli",
        "test_config",
        "test_content_pages",
        "test_control_chars",
        "test_dependencies",
        "test_derive",
        "test_discover",
        "test_dist",
        "test_example_papers",
        "test_exports_json",
        "test_gfm",
        "test_import_clean",
        "test_import_formats",
        "test_import_recorded",
        "test_import_generators",
        "test_import_limits",
        "test_import_listing",
        "test_import_merge",
        "test_import_rewrite",
        "test_import_sources",
        "test_init_check",
        "test_math",
        "test_outputs",
        "test_pagefind_files",
        "test_periods",
        "test_render_escape",
        "test_scholarly",
        "test_search_determinism",
        "test_search_parts",
        "test_search_view",
        "test_serve_watch",
        "test_site_inputs",
        "test_theme_parts",
        "test_workflows",
    ),
    "golden": (
        "test_build_crawl",
        "test_discover_site",
        "test_golden",
    ),
    "corpus": (
        "test_corpus",
        "test_fuzz",
        "test_fuzz_config",
        "test_hostile_xss",
        "test_import_formats_linear",
        "test_import_linear",
        "test_linear_time",
        "test_tagger_diff",
    ),
    "browser": (
        "test_screenshots",
        "test_search_browser",
        "test_search_parts_browser",
        "test_serve_browser",
        "test_theme_browser",
    ),
    "server": (
        "test_deploy_nginx",
        "test_enrich",
        "test_hosting",
        "test_import_fetch",
        "test_schedule_run",
        "test_serve",
        "test_serve_limits",
        "test_serve_security",
        "test_serve_quick",
        "test_serve_search_edit",
        "test_thumbnails",
        "test_update",
        "test_workflow_run",
    ),
    "fault": (
        "test_faults",
        "test_kill_workers",
        "test_lock",
        "test_parallel",
        "test_race",
    ),
}

KIND_OF = {module: kind for kind, modules in KINDS.items() for module in modules}
