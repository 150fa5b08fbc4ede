"""orch: a local-first data orchestrator."""
