"""Glance's metadata definitions: namespaces of property, object and tag definitions that
describe the metadata other resources (images, flavors, volumes...) may carry.

Namespaces are found by name; a caller sees public ones, unowned ones and its project's
(admins see all). Every change is one transaction: a refused request writes nothing.
"""

from __future__ import annotations

from nimbus.kernel.db import Database
from nimbus.services.image.service.metadefs.items import Objects, Properties
from nimbus.services.image.service.metadefs.namespaces import NamespaceQuery, Namespaces
from nimbus.services.image.service.metadefs.tags import ResourceTypes, TagQuery, Tags


class Metadefs:
    def __init__(self, db: Database) -> None:
        self.namespaces = Namespaces(db)
        self.objects = Objects(db)
        self.properties = Properties(db)
        self.tags = Tags(db)
        self.resource_types = ResourceTypes(db)


__all__ = ["Metadefs", "NamespaceQuery", "TagQuery"]
