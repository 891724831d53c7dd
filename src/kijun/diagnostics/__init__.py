"""Continuous diagnostics (常時システム診断・対処): inventory, vulnerability feeds, matching, SSVC.

Pure engine (no Django, no network, no clock). Entry points: :func:`kijun.diagnostics.engine.run`
for programmatic use and :data:`kijun.diagnostics.cli.app` for the ``kijun vuln`` command group.
See docs/diagnostics.md.
"""
