//! Errors of the store, sorted into what a caller must do about them.

use std::fmt;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// PostgreSQL could not be reached or the connection broke: a transient
    /// outage, to be retried (never a reason to dead-letter a message).
    #[error("database unavailable: {0}")]
    Unavailable(#[source] Cause),
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
    Other(#[source] Cause),
}

/// What went wrong, in words (the whole chain, so a log line shows it),
/// and the error it came from, when there was one (a caller walking the
/// chain reaches the driver's own error).
#[derive(Debug)]
pub struct Cause {
    message: String,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl Cause {
    fn of(error: impl std::error::Error + Send + Sync + 'static, message: String) -> Self {
        Self {
            message,
            source: Some(Box::new(error)),
        }
    }
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Cause {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

/// A cause with no error behind it (a rule of Inlet's own).
impl From<String> for Cause {
    fn from(message: String) -> Self {
        Self {
            message,
            source: None,
        }
    }
}

impl StoreError {
    pub fn is_unavailable(&self) -> bool {
        matches!(self, StoreError::Unavailable(_))
    }
}

impl From<deadpool_postgres::PoolError> for StoreError {
    fn from(error: deadpool_postgres::PoolError) -> Self {
        let message = error.to_string();
        StoreError::Unavailable(Cause::of(error, message))
    }
}

impl From<tokio_postgres::Error> for StoreError {
    fn from(error: tokio_postgres::Error) -> Self {
        classify(error)
    }
}

/// Sorts a driver error by its SQLSTATE into what a caller must do.
fn classify(error: tokio_postgres::Error) -> StoreError {
    use tokio_postgres::error::SqlState;
    let Some(db) = error.as_db_error() else {
        // No server answer at all: the connection is gone or never came.
        let message = DisplayChain(&error).to_string();
        return StoreError::Unavailable(Cause::of(error, message));
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
        let message = db.message().to_string();
        StoreError::Unavailable(Cause::of(error, message))
    } else {
        let message = format!("{}: {}", code.code(), db.message());
        StoreError::Other(Cause::of(error, message))
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
