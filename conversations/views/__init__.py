"""Staff pages: the inbox (list + thread) and contacts."""
