"""``smol-wf check``: find a workflow's mistakes from its source, before any agent is paid.

The script is parsed with tree-sitter (never run); each rule in ``rules/`` reports
diagnostics with a code, a severity and an exact position (``diagnostics.py``);
``runner.Checker`` checks files, ``formats`` prints the result. ``smol-wf run`` makes the
same check before it starts. Import from the modules: this package loads nothing, so the
CLI can name ``formats.OutputFormat`` without loading the parser.
"""
