"""Image: Glance's v2 API."""
