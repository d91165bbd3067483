"""Presentations of an analysed spec shared by the CLI and the docs generator: tables
(:mod:`.tables`), graph drawings in DOT and Mermaid (:mod:`.graph_drawing`), the
interactive HTML graph (:mod:`.graph_explorer`), and counted nouns in messages
(:mod:`.wording`)."""
