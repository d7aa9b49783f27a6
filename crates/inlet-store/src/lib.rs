//! PostgreSQL for Inlet: versioned migrations, the connection pool, the
//! repositories each service uses, and the directory cache that ingress and
//! the formatter read channels and webhooks through.

pub mod claims;
pub mod control;
pub mod dead_letters;
pub mod directory;
pub mod error;
pub mod idempotency;
pub mod migrate;
pub mod model;
pub mod pool;
pub mod repo;
pub mod resolve;
pub mod team_directory;

pub use directory::Directory;
pub use error::StoreError;
pub use model::*;
pub use pool::{Pool, connect};
pub use team_directory::TeamDirectory;
