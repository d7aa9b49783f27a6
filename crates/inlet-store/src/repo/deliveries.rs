//! What became of accepted requests, for the delivery log: read from the
//! rows the pipeline already writes (the posts, the dead letters, the
//! rejections), by message id, so that recording a request's fate costs
//! the pipeline nothing. A message with none of them is still in flight.

use crate::error::StoreError;
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::HashMap;
use tokio_postgres::GenericClient;
use uuid::Uuid;

/// One post a request made.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MadePost {
    pub id: Uuid,
    pub channel_id: Uuid,
    pub seq: i64,
    /// The thread's root, for a reply.
    pub root_id: Option<Uuid>,
}

/// What became of an accepted request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Fate {
    /// Its posts, in order.
    Posted { posts: Vec<MadePost> },
    /// Parked for an operator: the dead letter's id and why.
    DeadLettered {
        dead_letter_id: Uuid,
        reason: String,
        detail: String,
        /// Replayed or discarded since (a replay that posted shows as
        /// `posted`).
        settled_at: Option<DateTime<Utc>>,
    },
    /// Refused by the rules after it was accepted (an emakin case already
    /// reported), with the code and sentence a waiting sender got.
    Rejected { code: String, detail: String },
}

/// The fates of `messages` that have one.
pub async fn fates(
    client: &impl GenericClient,
    messages: &[Uuid],
) -> Result<HashMap<Uuid, Fate>, StoreError> {
    let mut fates = HashMap::new();
    if messages.is_empty() {
        return Ok(fates);
    }
    let rejected = client
        .query(
            "SELECT message_id, code, detail FROM rejections WHERE message_id = ANY($1)",
            &[&messages],
        )
        .await?;
    for row in rejected {
        let fate = Fate::Rejected {
            code: row.get(1),
            detail: row.get(2),
        };
        fates.insert(row.get(0), fate);
    }
    let dead = client
        .query(
            "SELECT DISTINCT ON (message_id) message_id, id, reason, detail,
                 coalesce(replayed_at, discarded_at)
             FROM dead_letters WHERE message_id = ANY($1)
             ORDER BY message_id, created_at DESC",
            &[&messages],
        )
        .await?;
    for row in dead {
        let fate = Fate::DeadLettered {
            dead_letter_id: row.get(1),
            reason: row.get(2),
            detail: row.get(3),
            settled_at: row.get(4),
        };
        fates.insert(row.get(0), fate);
    }
    // Posts win: a dead letter replayed into posts is posted.
    let posted = client
        .query(
            "SELECT message_id, id, channel_id, seq, root_id FROM posts
             WHERE message_id = ANY($1) ORDER BY message_id, part",
            &[&messages],
        )
        .await?;
    let mut made: HashMap<Uuid, Vec<MadePost>> = HashMap::new();
    for row in posted {
        made.entry(row.get(0)).or_default().push(MadePost {
            id: row.get(1),
            channel_id: row.get(2),
            seq: row.get(3),
            root_id: row.get(4),
        });
    }
    for (message, posts) in made {
        fates.insert(message, Fate::Posted { posts });
    }
    Ok(fates)
}
