"""``python -m segkit`` runs the CLI."""
from segkit.cli import main

main()
