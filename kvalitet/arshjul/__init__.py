"""Årshjul: the yearly plan of quality activities, their tasks, the scheduler process and the calendar feed."""
