"""Example pipelines used by the README quickstart and the tests."""
