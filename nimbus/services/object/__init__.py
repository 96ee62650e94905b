"""Object Storage: Swift's v1 API at /object-store, objects as files on the ring's devices
and listings in one SQLite database per container and per account (no shared tables)."""
