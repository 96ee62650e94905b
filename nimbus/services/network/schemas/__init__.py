"""Attribute maps: what each resource accepts, defaults, shows, filters and sorts on."""
