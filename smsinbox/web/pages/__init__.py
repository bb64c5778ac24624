"""Staff pages: the inbox (list + thread) and contacts."""

# A search box with a NUL is refused (400), as the API refuses it: PostgreSQL cannot search for one.
NUL_IN_SEARCH = "The search must not contain null characters."
