//! What every Inlet service shares: identities, ordering keys and shards,
//! webhook tokens, layered configuration, telemetry, the ops listener
//! (`/metrics`, `/healthz`, `/readyz`) and the shutdown signal.

pub mod ids;
pub mod memory;
pub mod ops;
pub mod ordering;
pub mod secrets;
pub mod servers;
pub mod service;
pub mod settings;
pub mod shutdown;
pub mod telemetry;
pub mod token;

pub use ids::{MessageId, post_id};
pub use ordering::{OrderingKey, shard_of};
pub use settings::Settings;
pub use token::{TokenHash, WebhookToken};
