"""``python -m smolwf`` runs the CLI."""

from smolwf.cli.app import main

main()
