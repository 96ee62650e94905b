"""Request validation and response shapes of the compute API, one module a family, per
microversion where the api-ref says they change."""
