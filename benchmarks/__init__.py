"""orch's benchmark suite: ``python -m benchmarks [NAME ...]``. Not part of CI timing."""
