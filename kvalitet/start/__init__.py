"""The start page: what is due, late and new for me, and per role the headline of my work."""
