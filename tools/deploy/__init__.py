"""Deployment tooling that never ships: the templates' list, SAM's offline translation, checkov."""
