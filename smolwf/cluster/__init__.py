"""Provider calls on a Ray cluster: what crosses the wire, the worker's side of a call and
the git shipping both sides share. ``ray`` itself is imported only where a call needs it,
so nothing here costs a run that stays local."""
