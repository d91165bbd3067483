"""Presentations of an analysed spec shared by the CLI and the docs generator: tables
(:mod:`.tables`) and graph drawings in DOT and Mermaid (:mod:`.graph_drawing`)."""
