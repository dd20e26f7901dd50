"""Data subject rights: a person's data as a ZIP (access requests), erasure, legal hold,
and retention (documents by category, former employees after termination)."""
