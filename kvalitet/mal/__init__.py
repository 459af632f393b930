"""Mål och indikatorer: the nämnd's verksamhetsplan, its goals and indikatorer, utfall per
period, the samlad bedömning per goal, the follow-up tasks and the follow-up report
(DOMAIN.md §10, docs/mal.md)."""
