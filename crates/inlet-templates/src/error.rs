//! What goes wrong with a template, said so a person can fix it: which
//! field, where in it (line and column, both from 1), and why.

use crate::Field;
use std::fmt;

/// Why a template failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// It does not parse (refused when saved).
    Syntax,
    /// A field's template string is longer than `MAX_SOURCE_BYTES`.
    TooLong,
    /// It parsed but failed on this request (a wrong type, an unknown
    /// filter, a failed helper).
    Render,
    /// It ran out of fuel: too many steps (a huge loop).
    Fuel,
    /// It nested too deep (recursion).
    Recursion,
    /// It ran longer than the time limit.
    Time,
    /// It rendered more than the output limit.
    Output,
}

impl ErrorKind {
    /// The code as the API and senders see it.
    pub fn code(self) -> &'static str {
        match self {
            ErrorKind::Syntax => "template_syntax",
            ErrorKind::TooLong => "template_too_long",
            ErrorKind::Render => "template_error",
            ErrorKind::Fuel => "template_fuel_exhausted",
            ErrorKind::Recursion => "template_too_deep",
            ErrorKind::Time => "template_timeout",
            ErrorKind::Output => "template_output_too_large",
        }
    }
}

/// A template's error, with its position when it has one.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct TemplateError {
    pub kind: ErrorKind,
    pub field: Field,
    /// 1-based.
    pub line: Option<usize>,
    /// 1-based, in characters.
    pub column: Option<usize>,
    pub detail: String,
}

impl TemplateError {
    pub(crate) fn new(kind: ErrorKind, field: Field, detail: impl Into<String>) -> Self {
        Self {
            kind,
            field,
            line: None,
            column: None,
            detail: detail.into(),
        }
    }

    /// The error minijinja reported for `field`, placed in `source`.
    pub(crate) fn from_engine(
        kind: ErrorKind,
        field: Field,
        source: &str,
        error: &minijinja::Error,
    ) -> Self {
        let detail = error
            .detail()
            .map(str::to_string)
            .unwrap_or_else(|| error.kind().to_string());
        let (line, column) = match error.range() {
            Some(range) => {
                let (line, column) = position(source, range.start);
                (Some(line), Some(column))
            }
            None => (error.line(), None),
        };
        Self {
            kind,
            field,
            line,
            column,
            detail,
        }
    }
}

/// The 1-based line and column (in characters) of byte `offset` of `text`.
fn position(text: &str, offset: usize) -> (usize, usize) {
    let mut end = offset.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let before = &text[..end];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

impl fmt::Display for TemplateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "template `{}`", self.field.name())?;
        match (self.line, self.column) {
            (Some(line), Some(column)) => write!(f, ", line {line}, column {column}")?,
            (Some(line), None) => write!(f, ", line {line}")?,
            _ => {}
        }
        write!(f, ": {}", self.detail)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_lines_and_characters_from_one() {
        assert_eq!(position("abc", 0), (1, 1));
        assert_eq!(position("ab\ncd", 4), (2, 2));
        assert_eq!(position("é\nxé{", 6), (2, 3));
        assert_eq!(position("a", 99), (1, 2));
    }

    #[test]
    fn the_message_names_field_line_and_column() {
        let mut error = TemplateError::new(ErrorKind::Syntax, Field::Topic, "unexpected end");
        error.line = Some(2);
        error.column = Some(7);
        assert_eq!(
            error.to_string(),
            "template `topic`, line 2, column 7: unexpected end"
        );
    }
}
