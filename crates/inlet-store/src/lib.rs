//! PostgreSQL for Inlet, and nothing else: versioned migrations, the
//! connection pool, the rows Inlet keeps (`model`) and the repositories
//! each service reads and writes them through (`repo`).

pub mod error;
pub mod migrate;
pub mod model;
pub mod pool;
pub mod repo;

pub use error::StoreError;
pub use model::*;
pub use pool::{Pool, connect};
