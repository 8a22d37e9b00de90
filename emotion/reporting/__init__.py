"""What runs write for people to read: figures, Markdown/JSON tables, the sweep summary."""
