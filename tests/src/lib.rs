//! Integration tests for the supervisor workspace live under `tests/`.
