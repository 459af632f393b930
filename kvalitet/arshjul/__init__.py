"""Årshjul: the yearly plan of quality activities, their tasks and the scheduler process."""
