"""Tests of the harness integrations (plugins, skills, helper script)."""
