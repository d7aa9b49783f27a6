//! Errors of the store, sorted into what a caller must do about them.

use std::fmt;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// PostgreSQL could not be reached or the connection broke: a transient
    /// outage, to be retried (never a reason to dead-letter a message).
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// A uniqueness rule refused the write (e.g. a name already taken).
    #[error("{0} already exists")]
    Conflict(&'static str),
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The request breaks a rule of the schema (bad name, missing reference).
    #[error("{0}")]
    Invalid(String),
    /// Anything else: a bug or an unexpected database state.
    #[error("database error: {0}")]
    Other(String),
}

impl StoreError {
    pub fn is_unavailable(&self) -> bool {
        matches!(self, StoreError::Unavailable(_))
    }
}

impl From<deadpool_postgres::PoolError> for StoreError {
    fn from(error: deadpool_postgres::PoolError) -> Self {
        StoreError::Unavailable(error.to_string())
    }
}

impl From<tokio_postgres::Error> for StoreError {
    fn from(error: tokio_postgres::Error) -> Self {
        classify(&error)
    }
}

fn classify(error: &tokio_postgres::Error) -> StoreError {
    use tokio_postgres::error::SqlState;
    let Some(db) = error.as_db_error() else {
        // No server answer at all: the connection is gone or never came.
        return StoreError::Unavailable(DisplayChain(error).to_string());
    };
    let code = db.code();
    if *code == SqlState::UNIQUE_VIOLATION {
        StoreError::Conflict("a row with that key")
    } else if *code == SqlState::FOREIGN_KEY_VIOLATION || *code == SqlState::CHECK_VIOLATION {
        StoreError::Invalid(db.message().to_string())
    } else if code.code().starts_with("22") {
        // Data exceptions: a value PostgreSQL cannot store (a NUL character
        // in text, a number out of range). The input is at fault.
        StoreError::Invalid(format!("a value cannot be stored: {}", db.message()))
    } else if code.code().starts_with("08")
        || code.code().starts_with("57P")
        || *code == SqlState::CANNOT_CONNECT_NOW
        || *code == SqlState::TOO_MANY_CONNECTIONS
    {
        StoreError::Unavailable(db.message().to_string())
    } else {
        StoreError::Other(format!("{}: {}", code.code(), db.message()))
    }
}

/// Prints an error with its sources, so "db error" shows its cause.
struct DisplayChain<'a>(&'a dyn std::error::Error);

impl fmt::Display for DisplayChain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(cause) = source {
            write!(f, ": {cause}")?;
            source = cause.source();
        }
        Ok(())
    }
}
