"""cmops: community management the GitOps way.

Posts, threads and campaigns are YAML files under ``calendar/``; ``cmops validate`` checks
them, ``cmops plan`` shows what will go out, ``cmops publish`` sends it exactly once.

The parts, and which may import which (``tests/test_architecture.py`` enforces the arrows)::

    cli (one module a command) ─► everything below (a thin shell: parse, call, print;
                                  the renderers live beside their data: output,
                                  planview, status)
    report (site) ──────────────► core, stores' data files, kpi          ✗ adapters
    publish, collect, status ───► core, adapters, stores, ledger
    adapters (one per network) ─► core's declarations (text.limits), secrets, http   ✗ stores,
                                  report, cli
    stores (local dir, git) ────► ledger, ids, atomic                     ✗ adapters, report
    core ───────────────────────► nothing above: pure data in, data out   ✗ adapters, stores,
                                  report, cli; no httpx, click or subprocess

    core = model, schedule, render, text, rules, validate, plan, kpi, gate, ids, diff,
           problems, yamlsafe, content, apiversions, replyto, answers (validate reads the
           files it is given; its opt-in --check-links is the one door to the network,
           through linkcheck)
"""

__version__ = "0.1.0"
