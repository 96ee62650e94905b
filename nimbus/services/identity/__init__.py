"""Identity: Keystone's v3 API."""
