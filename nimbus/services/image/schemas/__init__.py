"""Image API request validation and response shapes: the JSON schemas Glance publishes,
the create and JSON-patch bodies, and the views of images, members and tasks."""
