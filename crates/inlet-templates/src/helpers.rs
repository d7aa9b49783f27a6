//! The helpers a template may call besides minijinja's built-in filters
//! (docs/templates.md "Helpers"): markdown escaping, links, lists and
//! tables from arrays, dates of ISO and epoch values, truncation at word
//! boundaries, JSON path access that never fails, and `ignore`.
//!
//! Every helper charges fuel for the text it walks (minijinja charges only
//! for the value returned), so a helper over a large value cannot outrun
//! the fuel limit.

use crate::text::{cell, escape_markdown, one_line, shorten, text_of, trim_trailing_newlines};
use chrono::format::{Item, StrftimeItems};
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use minijinja::value::ValueKind;
use minijinja::value::{Kwargs, Value};
use minijinja::{AutoEscape, Environment, Error, ErrorKind, State};
use std::borrow::Cow;
use std::fmt::Write as _;

/// The format `datetime` uses when given none.
pub const DEFAULT_DATETIME_FORMAT: &str = "%Y-%m-%d %H:%M UTC";

/// Epoch values above this are milliseconds, not seconds (as seconds they
/// would be after the year 5000).
const EPOCH_MILLIS_ABOVE: f64 = 1e11;

pub(crate) fn register(env: &mut Environment<'static>) {
    // JSON's null prints as nothing (not "none"), as undefined does.
    env.set_formatter(|out, state, value| match value.kind() {
        ValueKind::None => Ok(()),
        // Text (most of what is printed) goes out as it is, without the
        // formatting machinery, when nothing is to be escaped.
        ValueKind::String if matches!(state.auto_escape(), AutoEscape::None) => out
            .write_str(value.as_str().unwrap_or_default())
            .map_err(Error::from),
        _ => minijinja::escape_formatter(out, state, value),
    });
    env.add_filter("default", default);
    env.add_filter("d", default);
    env.add_filter("md_escape", md_escape);
    env.add_filter("bullets", bullets);
    env.add_filter("datetime", datetime);
    env.add_filter("truncate_words", truncate_words);
    env.add_function("link", link);
    env.add_function("table", table);
    env.add_function("get", get);
    env.add_function("ignore", ignore);
}

/// What `ignore(reason)` raises: rendering stops, and nothing is posted.
#[derive(Debug, thiserror::Error)]
#[error("ignored: {0}")]
pub(crate) struct Ignored(pub String);

/// `{{ body.user.name | default("someone") }}`: the value, or the default
/// (`""` unless given) when it is missing or null; with `true` as second
/// argument, also when it is false, empty or zero (as Jinja's).
fn default(value: Value, other: Option<Value>, boolean: Option<bool>) -> Value {
    let missing =
        value.is_undefined() || value.is_none() || (boolean.unwrap_or(false) && !value.is_true());
    if missing {
        other.unwrap_or_else(|| Value::from(""))
    } else {
        value
    }
}

/// Charges fuel for walking `bytes` of text: about one unit per 16 bytes.
fn charge(state: &State, bytes: usize) -> Result<(), Error> {
    state.consume_fuel(1 + (bytes / 16) as u64)
}

/// An argument given by position, or else by keyword.
fn keyword<'a, T>(
    kwargs: &'a Kwargs,
    name: &'a str,
    positional: Option<T>,
) -> Result<Option<T>, Error>
where
    Option<T>: minijinja::value::ArgType<'a, Output = Option<T>>,
{
    match positional {
        Some(value) => Ok(Some(value)),
        // An absent keyword is `None` without a lookup that records it as
        // used (a string allocated per call).
        None if !kwargs.has(name) => Ok(None),
        None => kwargs.get::<Option<T>>(name),
    }
}

/// `{{ value | md_escape }}`: the text shown as typed, never as markup.
fn md_escape(state: &State, value: Value) -> Result<String, Error> {
    let text = text_of(&value);
    charge(state, text.len())?;
    Ok(escape_markdown(&text))
}

/// A URL a post may link to: http(s) or mailto, no space or control.
fn linkable(url: &str) -> bool {
    let scheme = ["http://", "https://", "mailto:"].iter().any(|scheme| {
        url.get(..scheme.len())
            .is_some_and(|start| start.eq_ignore_ascii_case(scheme))
    });
    if url.is_ascii() {
        // Neither white space nor a control character: above the space,
        // other than DEL.
        return scheme && url.bytes().all(|b| b > b' ' && b != 0x7f);
    }
    scheme && !url.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// `{{ link(url, text) }}`: a markdown link, the text escaped; a URL that
/// is not http(s) or mailto gives the text alone (never a `javascript:`
/// link).
fn link(state: &State, url: Value, text: Option<Value>) -> Result<String, Error> {
    let url = text_of(&url);
    let text = text.as_ref().map(text_of).filter(|t| !t.is_empty());
    charge(state, url.len() + text.as_ref().map_or(0, |t| t.len()))?;
    let shown = escape_markdown(&one_line(text.as_deref().unwrap_or(&url)));
    if !linkable(&url) {
        return Ok(shown);
    }
    let mut out = String::with_capacity(shown.len() + url.len() + 8);
    out.push('[');
    out.push_str(&shown);
    out.push_str("](");
    // Parentheses would end the link early: written percent-encoded, the
    // text between them copied as it is.
    let mut start = 0;
    for (i, byte) in url.bytes().enumerate() {
        let encoded = match byte {
            b'(' => "%28",
            b')' => "%29",
            _ => continue,
        };
        out.push_str(&url[start..i]);
        out.push_str(encoded);
        start = i + 1;
    }
    out.push_str(&url[start..]);
    out.push(')');
    Ok(out)
}

/// `{{ items | bullets }}` (or `bullets(ordered=true)`): one list item per
/// element, each on one line; nothing for an empty or missing array.
fn bullets(
    state: &State,
    items: Value,
    ordered: Option<bool>,
    kwargs: Kwargs,
) -> Result<String, Error> {
    let ordered = keyword(&kwargs, "ordered", ordered)?.unwrap_or(false);
    kwargs.assert_all_used()?;
    // Room for a short list without growing it item by item.
    let mut out = String::with_capacity(256);
    let Ok(iter) = items.try_iter() else {
        return Ok(out);
    };
    if items.is_undefined() || items.is_none() {
        return Ok(out);
    }
    for (i, item) in iter.enumerate() {
        let item = text_of(&item);
        let text = one_line(&item);
        charge(state, text.len())?;
        if ordered {
            let _ = write!(out, "{}. ", i + 1);
        } else {
            out.push_str("- ");
        }
        out.push_str(&text);
        out.push('\n');
    }
    Ok(trim_trailing_newlines(out))
}

/// `{{ table(rows, ["name", "state"], headings=["Name", "State"]) }}`: a
/// markdown table with one row per element of `rows` and one column per
/// key (read with [`get`]'s paths); nothing when there are no rows.
fn table(
    state: &State,
    rows: Value,
    columns: Vec<String>,
    headings: Option<Value>,
    kwargs: Kwargs,
) -> Result<String, Error> {
    let headings: Option<Value> = keyword(&kwargs, "headings", headings)?;
    let headings = headings.as_ref().map(texts).transpose()?;
    kwargs.assert_all_used()?;
    let Ok(iter) = rows.try_iter() else {
        return Ok(String::new());
    };
    if columns.is_empty() || rows.is_undefined() || rows.is_none() {
        return Ok(String::new());
    }
    // Each column's path is split once, not once per row.
    let paths: Vec<Path<'_>> = columns.iter().map(|column| Path::new(column)).collect();
    let mut body = String::with_capacity(256);
    for row in iter {
        for path in &paths {
            push_cell(state, &mut body, &path.follow(&row))?;
        }
        body.push_str("|\n");
    }
    if body.is_empty() {
        return Ok(body);
    }
    let mut out = String::with_capacity(body.len() + 16 * columns.len());
    for (i, column) in columns.iter().enumerate() {
        let heading = match headings.as_ref().and_then(|headings| headings.get(i)) {
            Some(heading) => heading.as_ref(),
            None => column.as_str(),
        };
        out.push_str("| ");
        out.push_str(&cell(heading));
        out.push(' ');
    }
    out.push_str("|\n");
    out.push_str(&"| --- ".repeat(columns.len()));
    out.push_str("|\n");
    out.push_str(&body);
    Ok(trim_trailing_newlines(out))
}

/// The texts of a list argument (`table`'s headings): borrowed from the
/// template's own list of strings (a literal), any other value converted
/// as the engine converts a `Vec<String>` argument (the same texts, or the
/// same error).
fn texts(list: &Value) -> Result<Vec<Cow<'_, str>>, Error> {
    if let Some(items) = list.downcast_object_ref::<Vec<Value>>()
        && items.iter().all(|item| item.kind() == ValueKind::String)
    {
        return Ok(items
            .iter()
            .map(|item| Cow::Borrowed(item.as_str().unwrap_or_default()))
            .collect());
    }
    let (texts,): (Vec<String>,) = minijinja::value::from_args(std::slice::from_ref(list))?;
    Ok(texts.into_iter().map(Cow::Owned).collect())
}

/// One cell of a table's row: `| text `, the text on one line with its
/// pipes escaped.
fn push_cell(state: &State, body: &mut String, value: &Value) -> Result<(), Error> {
    body.push_str("| ");
    if value.kind() == ValueKind::Number {
        // A number's text is one line without a pipe: written in place.
        let start = body.len();
        let _ = write!(body, "{value}");
        charge(state, body.len() - start)?;
    } else {
        let text = text_of(value);
        let cell = cell(&text);
        charge(state, cell.len())?;
        body.push_str(&cell);
    }
    body.push(' ');
    Ok(())
}

/// `{{ value | datetime }}` or `datetime("%d %b %Y")`: an ISO 8601 date or
/// date-time (RFC 3339; without an offset, UTC) or an epoch value (seconds,
/// or milliseconds when above 10¹¹), formatted in UTC with a strftime
/// format. A value that is not a date is shown as it is; a format with an
/// unknown specifier is an error.
fn datetime(state: &State, value: Value, format: Option<String>) -> Result<String, Error> {
    let format = format.as_deref().unwrap_or(DEFAULT_DATETIME_FORMAT);
    charge(state, format.len())?;
    // A format has at most one item per byte: read into one allocation.
    let mut items: Vec<Item<'_>> = Vec::with_capacity(format.len());
    items.extend(StrftimeItems::new(format));
    if items.iter().any(|item| matches!(item, Item::Error)) {
        return Err(Error::new(
            ErrorKind::InvalidOperation,
            format!("datetime: the format {format:?} has an unknown % specifier"),
        ));
    }
    match instant_of(&value) {
        Some(at) => {
            // Room for the usual date and time, written piece by piece.
            let mut out = String::with_capacity(32);
            write!(out, "{}", at.format_with_items(items.into_iter())).map_err(|_| {
                Error::new(
                    ErrorKind::InvalidOperation,
                    format!("datetime: the date cannot be written in the format {format:?}"),
                )
            })?;
            Ok(out)
        }
        None => Ok(text_of(&value).into_owned()),
    }
}

pub(crate) fn instant_of(value: &Value) -> Option<DateTime<Utc>> {
    if let Some(text) = value.as_str() {
        let text = text.trim();
        if let Ok(at) = DateTime::parse_from_rfc3339(text) {
            return Some(at.with_timezone(&Utc));
        }
        for format in [
            "%Y-%m-%dT%H:%M:%S%.f",
            "%Y-%m-%d %H:%M:%S%.f",
            "%Y-%m-%dT%H:%M",
        ] {
            if let Ok(at) = NaiveDateTime::parse_from_str(text, format) {
                return Some(at.and_utc());
            }
        }
        if let Ok(day) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
            return day.and_hms_opt(0, 0, 0).map(|at| at.and_utc());
        }
        return text.parse::<f64>().ok().and_then(from_epoch);
    }
    f64::try_from(value.clone()).ok().and_then(from_epoch)
}

fn from_epoch(number: f64) -> Option<DateTime<Utc>> {
    if !number.is_finite() {
        return None;
    }
    let millis = if number.abs() > EPOCH_MILLIS_ABOVE {
        number
    } else {
        number * 1000.0
    };
    // Beyond chrono's range (±262,000 years) the cast saturates and
    // `from_timestamp_millis` answers None.
    DateTime::from_timestamp_millis(millis as i64)
}

/// `{{ text | truncate_words(80) }}`: at most `length` characters (the end
/// marker, "…" unless given, included), cut at the last word boundary.
fn truncate_words(
    state: &State,
    value: Value,
    length: Option<usize>,
    end: Option<String>,
    kwargs: Kwargs,
) -> Result<String, Error> {
    let length: Option<usize> = keyword(&kwargs, "length", length)?;
    let end: Option<String> = keyword(&kwargs, "end", end)?;
    kwargs.assert_all_used()?;
    let text = text_of(&value);
    charge(state, text.len())?;
    Ok(shorten(
        &text,
        length.unwrap_or(255),
        end.as_deref().unwrap_or("…"),
    ))
}

/// `{{ get(body, "pull_request.labels[0].name", "none") }}`: the value at a
/// dotted path (`a.b`, `a[0]`, `a.0`), or `default` (none unless given)
/// when any step is missing; never an error.
fn get(state: &State, value: Value, path: String, default: Option<Value>) -> Result<Value, Error> {
    charge(state, path.len())?;
    let found = lookup(&value, &path);
    if found.is_undefined() || found.is_none() {
        Ok(default.unwrap_or(Value::from(())))
    } else {
        Ok(found)
    }
}

pub(crate) fn lookup(value: &Value, path: &str) -> Value {
    // Followed as it is split: nothing is collected.
    follow(value, steps(path))
}

/// The steps of a dotted path (`a.b`, `a[0]`, `a.0`).
fn steps(path: &str) -> impl Iterator<Item = &str> {
    let separator = |c: char| matches!(c, '.' | '[' | ']');
    path.split(separator).filter(|s| !s.is_empty())
}

/// The value at the end of `steps` from `value` (`value` itself for no
/// step), undefined when any step is missing.
fn follow<'a>(value: &Value, mut steps: impl Iterator<Item = &'a str>) -> Value {
    let Some(first) = steps.next() else {
        return value.clone();
    };
    let mut current = step(value, first);
    for name in steps {
        current = current.and_then(|current| step(&current, name));
    }
    current.unwrap_or(Value::UNDEFINED)
}

/// A dotted path (`a.b`, `a[0]`, `a.0`) split into its steps.
struct Path<'a> {
    first: Option<&'a str>,
    /// The steps after the first: none for most paths (a table's
    /// columns), and then nothing is allocated.
    rest: Vec<&'a str>,
}

impl<'a> Path<'a> {
    fn new(path: &'a str) -> Self {
        let mut steps = steps(path);
        Self {
            first: steps.next(),
            rest: steps.collect(),
        }
    }

    /// The value at the path in `value` (`value` itself for an empty
    /// path), undefined when any step is missing.
    fn follow(&self, value: &Value) -> Value {
        follow(
            value,
            self.first.into_iter().chain(self.rest.iter().copied()),
        )
    }
}

/// One step of a path into `value`: an index into a list (a step that
/// is a number), else a key; `None` when there is nothing there.
fn step(value: &Value, name: &str) -> Option<Value> {
    // Most steps are names: only those that may be a number are parsed.
    let numeric = name.starts_with(|c: char| c.is_ascii_digit() || c == '-' || c == '+');
    let next = match numeric.then(|| name.parse::<i64>()).and_then(Result::ok) {
        Some(index) if value.len().is_some() && value.as_str().is_none() => {
            value.get_item(&Value::from(index))
        }
        // By name: the engine's own attribute lookup, which compares the
        // text of a small map's keys without building a value.
        _ => value.get_attr(name),
    };
    next.ok().filter(|next| !next.is_undefined())
}

/// `{{ ignore("only main is posted") }}`: posts nothing for this request;
/// the sender is answered 200 with the reason.
fn ignore(reason: Option<String>) -> Result<String, Error> {
    let reason = reason.unwrap_or_else(|| "the template ignored this request".into());
    Err(Error::new(ErrorKind::InvalidOperation, "ignored").with_source(Ignored(reason)))
}

#[cfg(test)]
#[path = "helpers_tests.rs"]
mod tests;
