"""The HTTP app: routes per resource, middlewares, widget pages."""
