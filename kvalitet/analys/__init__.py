"""Samlad analys (issue 21): all signals together, what is unusual, recurring causes across
kinds, themes the categories miss, and the analysis as a task (docs/analys.md)."""
