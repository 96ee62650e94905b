"""Shared machinery for every service; imports no service."""
