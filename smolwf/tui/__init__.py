"""``smol-wf tui``: a terminal UI that watches a run live or replays a recorded event stream.

Both modes share one app and one timeline model; only where events come from differs.
"""
