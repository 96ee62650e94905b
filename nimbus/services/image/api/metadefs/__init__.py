"""The metadata definition routes (/v2/metadefs and /v2/schemas/metadefs), with Glance's
policy rules. Routes under a namespace load it first: one the caller can't see is a 404."""

from __future__ import annotations

from nimbus.kernel.web import Route
from nimbus.services.image.api.common import project_target
from nimbus.services.image.api.metadefs import contents as c
from nimbus.services.image.api.metadefs import namespaces as n
from nimbus.services.image.api.metadefs.common import namespace_target as ns

NAMESPACES = "/v2/metadefs/namespaces"
NS = f"{NAMESPACES}/{{namespace}}"
OBJECT = f"{NS}/objects/{{object_name}}"
PROPERTY = f"{NS}/properties/{{property_name}}"
TAG = f"{NS}/tags/{{tag_name}}"
ASSOCIATIONS = f"{NS}/resource_types"

METADEF_ROUTES: list[Route] = [
    Route("GET", "/v2/schemas/metadefs/{schema_name}", c.schema_doc, "get_image_info"),
    Route("GET", "/v2/metadefs/resource_types", c.list_resource_types,
          "list_metadef_resource_types", project_target),
    Route("GET", NAMESPACES, n.list_namespaces, "get_metadef_namespaces", project_target),
    Route("POST", NAMESPACES, n.create_namespace, "add_metadef_namespace", project_target),
    Route("GET", NS, n.show_namespace, "get_metadef_namespace", ns),
    Route("PUT", NS, n.update_namespace, "modify_metadef_namespace", ns),
    Route("DELETE", NS, n.delete_namespace, "delete_metadef_namespace", ns),
    Route("GET", f"{NS}/objects", c.list_objects, "get_metadef_objects", ns),
    Route("POST", f"{NS}/objects", c.create_object, "add_metadef_object", ns),
    Route("DELETE", f"{NS}/objects", n.delete_objects, "delete_metadef_namespace", ns),
    Route("GET", OBJECT, c.show_object, "get_metadef_object", ns),
    Route("PUT", OBJECT, c.update_object, "modify_metadef_object", ns),
    Route("DELETE", OBJECT, c.delete_object, "delete_metadef_object", ns),
    Route("GET", f"{NS}/properties", c.list_properties, "get_metadef_properties", ns),
    Route("POST", f"{NS}/properties", c.create_property, "add_metadef_property", ns),
    Route("DELETE", f"{NS}/properties", n.delete_properties, "delete_metadef_namespace", ns),
    Route("GET", PROPERTY, c.show_property, "get_metadef_property", ns),
    Route("PUT", PROPERTY, c.update_property, "modify_metadef_property", ns),
    Route("DELETE", PROPERTY, c.delete_property, "remove_metadef_property", ns),
    Route("GET", f"{NS}/tags", c.list_tags, "get_metadef_tags", ns),
    Route("POST", f"{NS}/tags", c.create_tags, "add_metadef_tags", ns),
    Route("DELETE", f"{NS}/tags", n.delete_tags, "delete_metadef_namespace", ns),
    Route("GET", TAG, c.show_tag, "get_metadef_tag", ns),
    Route("POST", TAG, c.create_tag, "add_metadef_tag", ns),
    Route("PUT", TAG, c.update_tag, "modify_metadef_tag", ns),
    Route("DELETE", TAG, c.delete_tag, "delete_metadef_tag", ns),
    Route("GET", ASSOCIATIONS, c.list_associations, "list_metadef_resource_types", ns),
    Route("POST", ASSOCIATIONS, c.create_association,
          "add_metadef_resource_type_association", ns),
    Route("DELETE", f"{ASSOCIATIONS}/{{resource_type}}", c.delete_association,
          "remove_metadef_resource_type_association", ns),
]
