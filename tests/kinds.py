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
        "test_absolute_urls", "test_architecture", "test_bench_smoke", "test_bibtex_tex",
        "test_build", "test_build_cache", "test_build_invalid", "test_cli", "test_config",
        "test_content_pages", "test_control_chars", "test_dependencies", "test_derive",
        "test_dist", "test_exports_json", "test_gfm", "test_import_clean",
        "test_import_limits", "test_import_listing", "test_import_merge",
        "test_import_rewrite", "test_import_sources", "test_init_check", "test_math",
        "test_outputs", "test_pagefind_files", "test_render_escape", "test_scholarly",
        "test_search_determinism", "test_search_parts", "test_serve_watch",
        "test_workflows",
    ),
    "golden": ("test_golden", "test_build_crawl"),
    "corpus": ("test_corpus", "test_hostile_xss", "test_fuzz", "test_linear_time",
               "test_import_linear", "test_tagger_diff"),
    "browser": ("test_search_browser", "test_serve_browser", "test_search_parts_browser"),
    "server": ("test_serve", "test_serve_security", "test_serve_limits", "test_deploy_nginx",
               "test_hosting", "test_workflow_run", "test_import_fetch"),
    "fault": ("test_faults", "test_race", "test_lock", "test_parallel"),
}

KIND_OF = {module: kind for kind, modules in KINDS.items() for module in modules}
