//! Runnable examples for `supervisor-core`; see `examples/`.
