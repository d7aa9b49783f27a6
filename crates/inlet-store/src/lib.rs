//! PostgreSQL for Inlet, and nothing else: versioned migrations, the
//! connection pool, the rows Inlet keeps (`model`) and the repositories
//! each service reads and writes them through (`repo`), and what a dead
//! letter is (`dead_letters`).

pub mod dead_letters;
pub mod error;
pub mod migrate;
pub mod model;
pub mod pool;
pub mod repo;

pub use error::StoreError;
pub use model::*;
pub use pool::{Pool, connect};
