//! Compiling a template once ([`compile`]) and rendering it over one
//! request ([`Compiled::render`]) within the limits: fuel bounds the steps
//! (a huge loop), the recursion limit bounds nesting, the output writer
//! stops at the size limit and at the deadline, and the deadline is
//! checked again after every field.

use crate::context::Context;
use crate::error::{ErrorKind, TemplateError};
use crate::helpers::{self, Ignored};
use crate::{Field, Limits, MAX_SOURCE_BYTES, TemplateSource};
use inlet_dialects::template::Rendered;
use minijinja::value::Value;
use minijinja::{Environment, UndefinedBehavior};
use std::io;
use std::time::Instant;

/// How deep a template may nest (macros calling macros, nested loops):
/// well below minijinja's own cap, so that a worker's stack is never
/// the limit.
const RECURSION_LIMIT: usize = 100;

/// Most room reserved for a field's output before it renders.
const INITIAL_OUTPUT_BYTES: usize = 2048;

/// A webhook's template, compiled: kept (per version) and rendered many
/// times.
pub struct Compiled {
    env: Environment<'static>,
    fields: Vec<Field>,
}

/// What a template made of a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Rendering {
    /// The document the `template` translator reads.
    Post(Rendered),
    /// `ignore(reason)` was called: nothing is posted.
    Ignored { reason: String },
}

/// Compiles every field of `source`; the first that does not parse is the
/// error, with its line and column.
pub fn compile(source: &TemplateSource, limits: &Limits) -> Result<Compiled, TemplateError> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Chainable);
    env.set_recursion_limit(RECURSION_LIMIT);
    env.set_fuel(Some(limits.fuel));
    helpers::register(&mut env);
    let mut fields = Vec::new();
    for field in Field::ALL {
        let Some(text) = field.of(source) else {
            continue;
        };
        if text.len() > MAX_SOURCE_BYTES {
            return Err(TemplateError::new(
                ErrorKind::TooLong,
                field,
                format!(
                    "{} bytes long; at most {MAX_SOURCE_BYTES} are accepted",
                    text.len()
                ),
            ));
        }
        env.add_template_owned(field.name(), text.to_string())
            .map_err(|e| TemplateError::from_engine(ErrorKind::Syntax, field, text, &e))?;
        fields.push(field);
    }
    Ok(Compiled { env, fields })
}

impl Compiled {
    /// Renders every field over `context` (see [`crate::context()`]) within
    /// `limits` (the fuel is the one compiled in).
    pub fn render(&self, context: &Context, limits: &Limits) -> Result<Rendering, TemplateError> {
        let started = Instant::now();
        let deadline = started + limits.time;
        let context = &context.0;
        let mut rendered = Rendered::default();
        for &field in &self.fields {
            let text = match self.render_field(field, context, limits, deadline) {
                Ok(text) => text,
                Err(Stop::Ignored(reason)) => return Ok(Rendering::Ignored { reason }),
                Err(Stop::Failed(error)) => return Err(*error),
            };
            if Instant::now() > deadline {
                return Err(timeout(field, limits));
            }
            let text = trimmed(text);
            match field {
                Field::Message => rendered.message = text,
                Field::Topic => rendered.topic = non_empty(text),
                Field::Username => rendered.username = non_empty(text),
                Field::IconUrl => rendered.icon_url = non_empty(text),
                Field::CaseId => rendered.case_id = non_empty(text),
            }
        }
        Ok(Rendering::Post(rendered))
    }

    fn render_field(
        &self,
        field: Field,
        context: &Value,
        limits: &Limits,
        deadline: Instant,
    ) -> Result<String, Stop> {
        let fail = |error| Stop::Failed(Box::new(error));
        let template = self
            .env
            .get_template(field.name())
            .map_err(|e| fail(TemplateError::new(ErrorKind::Render, field, e.to_string())))?;
        // A field renders about as long as its template, often less than
        // twice: one allocation holds most, and a short field (a topic)
        // takes a small one.
        let room = (template.source().len() * 2).clamp(64, INITIAL_OUTPUT_BYTES);
        let mut out = Capped {
            buf: Vec::with_capacity(room.min(limits.max_output_bytes)),
            max: limits.max_output_bytes,
            deadline,
            writes: 0,
            stopped: None,
        };
        let result = template.render_captured_to(context.clone(), &mut out);
        match result {
            // The engine writes whole strings: the output is UTF-8.
            Ok(_) => Ok(String::from_utf8(out.buf)
                .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())),
            Err(error) => {
                if let Some(reason) = ignored(&error) {
                    return Err(Stop::Ignored(reason));
                }
                let source = field_source(&self.env, field);
                Err(fail(classify(field, &source, &error, out.stopped, limits)))
            }
        }
    }
}

fn non_empty(text: String) -> Option<String> {
    (!text.is_empty()).then_some(text)
}

/// `text` without its leading and trailing white space, in place.
fn trimmed(mut text: String) -> String {
    let end = text.trim_end().len();
    text.truncate(end);
    let start = text.len() - text.trim_start().len();
    text.drain(..start);
    text
}

/// Why a field stopped rendering early.
enum Stop {
    Ignored(String),
    Failed(Box<TemplateError>),
}

/// The reason `ignore(…)` gave, when it is what stopped the render.
fn ignored(error: &minijinja::Error) -> Option<String> {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(current) = cause {
        if let Some(Ignored(reason)) = current.downcast_ref::<Ignored>() {
            return Some(reason.clone());
        }
        cause = current.source();
    }
    None
}

fn field_source(env: &Environment<'static>, field: Field) -> String {
    env.get_template(field.name())
        .map(|t| t.source().to_string())
        .unwrap_or_default()
}

/// The error a failed render is, by what stopped it.
fn classify(
    field: Field,
    source: &str,
    error: &minijinja::Error,
    stopped: Option<ErrorKind>,
    limits: &Limits,
) -> TemplateError {
    let kind = match (stopped, error.kind()) {
        (Some(ErrorKind::Time), _) => return timeout(field, limits),
        (Some(kind), _) => kind,
        (None, minijinja::ErrorKind::OutOfFuel) => ErrorKind::Fuel,
        (None, minijinja::ErrorKind::InvalidOperation)
            if error.detail().is_some_and(|d| d.contains("recursion")) =>
        {
            ErrorKind::Recursion
        }
        _ => ErrorKind::Render,
    };
    let mut placed = TemplateError::from_engine(kind, field, source, error);
    placed.detail = match kind {
        ErrorKind::Fuel => format!(
            "stopped after {} steps (the fuel limit): a loop or recursion too large",
            limits.fuel
        ),
        ErrorKind::Output => format!(
            "rendered more than {} bytes (the output limit)",
            limits.max_output_bytes
        ),
        ErrorKind::Recursion => format!("nested deeper than {RECURSION_LIMIT} levels"),
        _ => placed.detail,
    };
    placed
}

fn timeout(field: Field, limits: &Limits) -> TemplateError {
    TemplateError::new(
        ErrorKind::Time,
        field,
        format!(
            "ran longer than {} ms (the time limit)",
            limits.time.as_millis()
        ),
    )
}

/// How many writes go by between two looks at the clock (a look costs
/// about as much as a short write).
const WRITES_PER_CLOCK_CHECK: u32 = 16;

/// The output of one field: stops the render at the size limit (every
/// write) or past the deadline (every `WRITES_PER_CLOCK_CHECK` writes).
struct Capped {
    buf: Vec<u8>,
    max: usize,
    deadline: Instant,
    writes: u32,
    stopped: Option<ErrorKind>,
}

impl io::Write for Capped {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        if self.buf.len() + bytes.len() > self.max {
            self.stopped = Some(ErrorKind::Output);
            return Err(io::Error::other("output limit"));
        }
        self.writes = self.writes.wrapping_add(1);
        if self.writes.is_multiple_of(WRITES_PER_CLOCK_CHECK) && Instant::now() > self.deadline {
            self.stopped = Some(ErrorKind::Time);
            return Err(io::Error::other("time limit"));
        }
        self.buf.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
#[path = "render_tests.rs"]
mod tests;
