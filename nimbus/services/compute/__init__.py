"""Compute: Nova's API v2.1 with microversions 2.1-2.96 at /compute/v2.1, the scheduler, and
the service side of the compute agent (``agents.py``: the one place that casts and calls to
``nimbus/agents/compute``). Shaped like the other services: ``api/`` (route tables, one
module a family), ``schemas/``, ``models/``, ``service/``, ``policies/``, ``migrations/`` (the
``compute`` Alembic branch), ``errors.py``.
"""
