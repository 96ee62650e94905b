"""Image default policy: Glance's secure-RBAC rules (every one project-scoped).

Targets are flat, as Glance's: ``project_id`` is the image owner, ``member_id`` the caller's
project when it reaches a shared image as a member, ``visibility`` the image's.
Overridden by ``policy/image.yaml`` in the data dir.
"""

from nimbus.kernel.policy import RuleDefaults

PROJECT = ("project",)

ADMIN = "rule:context_is_admin"
PROJECT_MEMBER = "role:member and project_id:%(project_id)s"
PROJECT_READER = "role:reader and project_id:%(project_id)s"
IMAGE_MEMBER = "project_id:%(member_id)s"
OPEN_IMAGE = ("'community':%(visibility)s or 'public':%(visibility)s "
              "or 'shared':%(visibility)s")
ADMIN_OR_MEMBER = f"{ADMIN} or ({PROJECT_MEMBER})"
ADMIN_OR_READER = f"{ADMIN} or ({PROJECT_READER})"
READER_GET_IMAGE = (f"{ADMIN} or (role:reader and (project_id:%(project_id)s or "
                    f"{IMAGE_MEMBER} or {OPEN_IMAGE}))")
MEMBER_DOWNLOAD_IMAGE = (f"{ADMIN} or (role:member and (project_id:%(project_id)s or "
                         f"{IMAGE_MEMBER} or {OPEN_IMAGE}))")
READER_OR_SHARED_MEMBER = (f"{ADMIN} or role:reader and (project_id:%(project_id)s or "
                           f"{IMAGE_MEMBER})")

RULES: RuleDefaults = {
    "default": ("", None),
    "context_is_admin": ("role:admin", None),
    "service_api": ("role:service or role:admin", None),
    "add_image": (f"{ADMIN} or ({PROJECT_MEMBER} and project_id:%(owner)s)", PROJECT),
    "delete_image": (ADMIN_OR_MEMBER, PROJECT),
    "get_image": (READER_GET_IMAGE, PROJECT),
    "get_images": (ADMIN_OR_READER, PROJECT),
    "modify_image": (ADMIN_OR_MEMBER, PROJECT),
    "publicize_image": (ADMIN, PROJECT),
    "communitize_image": (ADMIN_OR_MEMBER, PROJECT),
    "download_image": (MEMBER_DOWNLOAD_IMAGE, PROJECT),
    "upload_image": (ADMIN_OR_MEMBER, PROJECT),
    "add_member": (ADMIN_OR_MEMBER, PROJECT),
    "delete_member": (ADMIN_OR_MEMBER, PROJECT),
    "get_member": (READER_OR_SHARED_MEMBER, PROJECT),
    "get_members": (READER_OR_SHARED_MEMBER, PROJECT),
    "modify_member": (f"{ADMIN} or (role:member and {IMAGE_MEMBER})", PROJECT),
    "deactivate": (ADMIN_OR_MEMBER, PROJECT),
    "reactivate": (ADMIN_OR_MEMBER, PROJECT),
    "stores_info_detail": (f"{ADMIN} or rule:service_api", PROJECT),
    "add_image_location": ("rule:service_api or (role:member and project_id:%(project_id)s "
                           "and project_id:%(owner)s)", PROJECT),
    "fetch_image_location": ("rule:service_api", PROJECT),
    "cache_image": (ADMIN, PROJECT),
    "cache_list": (ADMIN, PROJECT),
    "cache_delete": (ADMIN, PROJECT),
    # Reading the schemas, import methods, stores and usage: any token (Glance checks none).
    "get_image_info": ("", None),
    # The tasks API (list, show, create) and copying images between stores: admins.
    "tasks_api_access": (ADMIN, PROJECT),
    "copy_image": (ADMIN, PROJECT),
    "get_image_location": (ADMIN_OR_READER, PROJECT),
    "delete_image_location": (ADMIN, PROJECT),
}

# Metadata definitions (Glance's metadef policies): reading needs a reader of the owning
# project or a public namespace, changing anything needs an admin (rule:metadef_admin).
READER_GET_NAMESPACE = (f"{ADMIN} or (role:reader and (project_id:%(project_id)s or "
                        "'public':%(visibility)s))")
METADEF_ADMIN = "rule:metadef_admin"
METADEF_READ_RULES = ("get_metadef_namespace", "get_metadef_object", "get_metadef_objects",
                      "list_metadef_resource_types", "get_metadef_resource_type",
                      "get_metadef_property", "get_metadef_properties", "get_metadef_tag",
                      "get_metadef_tags")
METADEF_WRITE_RULES = ("modify_metadef_namespace", "add_metadef_namespace",
                       "delete_metadef_namespace", "modify_metadef_object",
                       "add_metadef_object", "delete_metadef_object",
                       "add_metadef_resource_type_association",
                       "remove_metadef_resource_type_association", "modify_metadef_property",
                       "add_metadef_property", "remove_metadef_property", "modify_metadef_tag",
                       "add_metadef_tag", "add_metadef_tags", "delete_metadef_tag",
                       "delete_metadef_tags")
RULES.update({
    "metadef_default": ("", None),
    "metadef_admin": (ADMIN, None),
    "get_metadef_namespaces": (ADMIN_OR_READER, PROJECT),
    **{name: (READER_GET_NAMESPACE, PROJECT) for name in METADEF_READ_RULES},
    **{name: (METADEF_ADMIN, PROJECT) for name in METADEF_WRITE_RULES},
})
