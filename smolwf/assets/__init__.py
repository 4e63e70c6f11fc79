"""Data files shipped with smol-wf (the skills ``smol-wf llm skills`` installs)."""
