//! The supervised actor tree of autoorder.

pub mod log_targets;
