"""What every item kind shares: the Item base, links, comments, attachments, inbox, timeline."""
