//! inlet-formatter binary: load configuration, start, stop on SIGTERM.

inlet_core::service_main!(inlet_formatter::Formatter);
