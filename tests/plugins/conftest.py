"""The frozen plugin package is installed and tested in its own process
(test_frozen_plugin.py), not collected here."""
collect_ignore_glob = ["frozen_plugin/*"]
