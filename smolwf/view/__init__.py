"""``smol-wf view``: a web page of the run list and of each run, live, on 127.0.0.1 only.

Pages are rendered on the server from the database (readable without JavaScript, and
with ``curl``); a small script on top reloads the page's content when the database says
something changed, which works while another process runs the workflow. Needs the
``view`` extra (``pip install 'smolwf[view]'``).
"""
