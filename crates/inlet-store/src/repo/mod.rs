//! Repositories: one module per table family, each a set of plain async
//! functions over a client, so a caller chooses pool or transaction.

pub mod channels;
pub mod claims;
pub mod dead_letters;
pub mod deliveries;
pub mod posts;
pub mod rejections;
pub mod teams;
pub mod templates;
pub mod users;
pub mod webhooks;
