"""Review spiders: ``reviews`` (schema.org markup in any page) and ``site`` (a YAML site config)."""
