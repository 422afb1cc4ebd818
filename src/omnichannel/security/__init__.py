"""Staff users, roles scoped to locations, bearer tokens."""
