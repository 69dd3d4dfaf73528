//! Procedural macros for `supervisor-core`.
//!
//! Users depend on `supervisor-core`, which re-exports these macros.
