"""``python -m trialexport`` runs the command line."""

from .cli import main

main()
