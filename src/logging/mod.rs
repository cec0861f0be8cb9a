//! Logging (log4rs): console plus daily files per component. Implemented by the logging module owner.
