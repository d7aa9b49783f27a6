//! The messages that cross the broker, generated from `proto/inlet/v1`.

#![allow(clippy::all, missing_docs)]

/// Version 1 of the bus messages.
pub mod v1 {
    include!(concat!(env!("OUT_DIR"), "/inlet.v1.rs"));
}

pub use prost::Message;
