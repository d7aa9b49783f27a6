//! What ingress and the formatter know about teams, read through caches so
//! the hot path costs no database round trip: webhooks by token and by id,
//! each team's channels, users and memberships (`directory`, `team`), the
//! thread and case claims already decided (`claims`), the rules that
//! resolve where a payload goes (`resolve`), how inlet-api's changes reach
//! every replica's caches (`invalidation`), and the views the pure
//! translators are given (`views`). The rows themselves are inlet-store's.

pub mod claims;
pub mod directory;
pub mod invalidation;
pub mod resolve;
pub mod team;
pub mod views;

pub use directory::Directory;
pub use resolve::{Destination, ResolveError, resolve};
pub use team::TeamDirectory;
pub use views::{DialectLimits, DialectView};
