"""One case on paper: a print view and a PDF of a single item with its timeline."""
