"""Customers: one profile across channels, identities and merge, the timeline, service
cases, segments, and privacy by design (encrypted personal data, blind indexes, GDPR
export and erasure, an audit log of every read and write)."""
