"""Employee documents: versioned files on S3 or the local disk, with metadata, access
rules (shre.policy), full-text search over their contents, and soft delete + purge."""
