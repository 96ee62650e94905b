"""Networking: Neutron's v2.0 API (ML2 with Linux bridges), served at /network."""
