//! Dead-letter rows: messages the pipeline could not place, with their
//! reason, kept for an operator to inspect, replay or discard. What a letter
//! is (its stage, how it is built, shown and replayed) is `crate::dead_letters`.

pub use crate::dead_letters::Stage;
use crate::error::StoreError;
use chrono::{DateTime, Utc};
use serde::Serialize;
use tokio_postgres::GenericClient;
use uuid::Uuid;

#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeadLetter {
    pub id: Uuid,
    pub message_id: Uuid,
    pub stage: String,
    pub reason: String,
    pub detail: String,
    pub dialect: Option<String>,
    pub webhook_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

impl DeadLetter {
    /// A row of `SELECT` [`COLUMNS`].
    fn from_row(r: &tokio_postgres::Row) -> Self {
        Self {
            id: r.get(0),
            message_id: r.get(1),
            stage: r.get(2),
            reason: r.get(3),
            detail: r.get(4),
            dialect: r.get(5),
            webhook_id: r.get(6),
            created_at: r.get(7),
        }
    }
}

/// The columns of a [`DeadLetter`], in [`DeadLetter::from_row`]'s order.
const COLUMNS: &str = "id, message_id, stage, reason, detail, dialect, webhook_id, created_at";

/// A message to dead-letter (built by `crate::dead_letters`).
#[derive(Clone, Debug)]
pub struct NewDeadLetter<'a> {
    pub message_id: Uuid,
    pub stage: Stage,
    pub reason: &'a str,
    pub detail: &'a str,
    pub dialect: Option<&'a str>,
    pub webhook_id: Option<Uuid>,
    pub payload: &'a [u8],
}

/// Records a dead letter once per (message, stage) and returns its id: a
/// redelivered poison message does not make a second row. A letter whose
/// replay has started does not count: its message failing again is a new
/// letter, even before the replay closes the old one.
pub async fn record(
    client: &impl GenericClient,
    letter: &NewDeadLetter<'_>,
) -> Result<Uuid, StoreError> {
    // A detail may quote the payload; PostgreSQL's `text` cannot hold NUL.
    let reason = text_value(letter.reason);
    let detail = text_value(letter.detail);
    let dialect = letter.dialect.map(text_value);
    let stage = letter.stage.as_str();
    let inserted = client
        .query_opt(
            "INSERT INTO dead_letters (id, message_id, stage, reason, detail, dialect, webhook_id, payload)
             SELECT $1, $2, $3, $4, $5, $6, $7, $8
             WHERE NOT EXISTS (SELECT 1 FROM dead_letters WHERE message_id = $2 AND stage = $3
                               AND replayed_at IS NULL AND discarded_at IS NULL
                               AND replay_started_at IS NULL)
             RETURNING id",
            &[
                &Uuid::now_v7(),
                &letter.message_id,
                &stage,
                &reason,
                &detail,
                &dialect,
                &letter.webhook_id,
                &letter.payload,
            ],
        )
        .await?;
    if let Some(row) = inserted {
        return Ok(row.get(0));
    }
    let existing = client
        .query_one(
            "SELECT id FROM dead_letters WHERE message_id = $1 AND stage = $2
             AND replayed_at IS NULL AND discarded_at IS NULL AND replay_started_at IS NULL",
            &[&letter.message_id, &stage],
        )
        .await?;
    Ok(existing.get(0))
}

/// `s` as PostgreSQL's `text` can hold it: without NUL characters.
pub(crate) fn text_value(s: &str) -> std::borrow::Cow<'_, str> {
    if s.contains('\0') {
        std::borrow::Cow::Owned(s.replace('\0', ""))
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}

/// Dead letters neither replayed nor discarded, oldest first.
pub async fn list_open(
    client: &impl GenericClient,
    limit: i64,
) -> Result<Vec<DeadLetter>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM dead_letters
         WHERE replayed_at IS NULL AND discarded_at IS NULL ORDER BY created_at LIMIT $1"
    );
    let rows = client.query(sql.as_str(), &[&limit]).await?;
    Ok(rows.iter().map(DeadLetter::from_row).collect())
}

pub async fn open_count(client: &impl GenericClient) -> Result<i64, StoreError> {
    let row = client
        .query_one(
            "SELECT count(*) FROM dead_letters WHERE replayed_at IS NULL AND discarded_at IS NULL",
            &[],
        )
        .await?;
    Ok(row.get(0))
}

/// One dead letter with the bus message it holds.
#[derive(Clone, Debug)]
pub struct DeadLetterWithPayload {
    pub letter: DeadLetter,
    pub payload: Vec<u8>,
    pub replayed_at: Option<DateTime<Utc>>,
    pub discarded_at: Option<DateTime<Utc>>,
}

impl DeadLetterWithPayload {
    /// `open`, `replayed` or `discarded` (the API's `state`).
    pub fn state(&self) -> &'static str {
        if self.replayed_at.is_some() {
            "replayed"
        } else if self.discarded_at.is_some() {
            "discarded"
        } else {
            "open"
        }
    }

    /// Neither replayed nor discarded.
    pub fn is_open(&self) -> bool {
        self.replayed_at.is_none() && self.discarded_at.is_none()
    }
}

pub async fn get(
    client: &impl GenericClient,
    id: Uuid,
) -> Result<Option<DeadLetterWithPayload>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS}, payload, replayed_at, discarded_at FROM dead_letters WHERE id = $1"
    );
    let row = client.query_opt(sql.as_str(), &[&id]).await?;
    Ok(row.map(|r| DeadLetterWithPayload {
        letter: DeadLetter::from_row(&r),
        payload: r.get(8),
        replayed_at: r.get(9),
        discarded_at: r.get(10),
    }))
}

/// How a dead letter was closed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Closing {
    Replayed,
    Discarded,
}

/// Closes an open dead letter; `false` when it was not open (already
/// replayed or discarded, or unknown). Only one of two concurrent closings
/// wins.
pub async fn close(
    client: &impl GenericClient,
    id: Uuid,
    how: Closing,
) -> Result<bool, StoreError> {
    let sql = match how {
        Closing::Replayed => {
            "UPDATE dead_letters SET replayed_at = now()
             WHERE id = $1 AND replayed_at IS NULL AND discarded_at IS NULL"
        }
        Closing::Discarded => {
            "UPDATE dead_letters SET discarded_at = now()
             WHERE id = $1 AND replayed_at IS NULL AND discarded_at IS NULL"
        }
    };
    Ok(client.execute(sql, &[&id]).await? == 1)
}

/// Marks an open dead letter as being replayed, before its message is
/// published again; false when it is no longer open.
pub async fn start_replay(client: &impl GenericClient, id: Uuid) -> Result<bool, StoreError> {
    let sql = "UPDATE dead_letters SET replay_started_at = now()
               WHERE id = $1 AND replayed_at IS NULL AND discarded_at IS NULL";
    Ok(client.execute(sql, &[&id]).await? == 1)
}

/// Reopens a dead letter whose replay could not be published.
pub async fn reopen(client: &impl GenericClient, id: Uuid) -> Result<(), StoreError> {
    client
        .execute(
            "UPDATE dead_letters SET replayed_at = NULL WHERE id = $1",
            &[&id],
        )
        .await?;
    Ok(())
}
