//! Redis for Inlet, in one place: the connection every service uses
//! (`link`), every key and pub/sub channel name (`keys`), sender
//! idempotency claims (`idempotency`), the rate limiter's cells (`gcra`),
//! chat channels' live events (`channels`), the directory's control topic
//! (`control`), the one shared subscription that feeds every live stream
//! (`live_feed`), every webhook's delivery log (`delivery_log`) and the
//! readiness check with its `inlet_redis_up` gauge (`up`). Nothing else in
//! the workspace spells a Redis key.

pub mod channels;
pub mod control;
pub mod delivery_log;
pub mod gcra;
pub mod idempotency;
pub mod keys;
pub mod link;
pub mod live_feed;
pub mod up;

pub use link::{RedisConnection, manager, ping};
pub use up::RedisCheck;
