"""Egenkontroller (self-inspections), DOMAIN.md §5.4: plans, controls, generated occurrences."""
