"""The prober: checks that the instances of assemblies with a probe serve (docs/routes.md)."""
