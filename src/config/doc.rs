//! A reader over one parsed TOML document that keeps every value's span, records every problem
//! instead of stopping at the first, and reports keys nobody asked for as unknown (with a
//! did-you-mean drawn from the keys that were asked for).

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;
use std::path::{Path, PathBuf};

use toml::de::{DeTable, DeValue};
use toml::value::Datetime;

use crate::dates::{self, DateError};
use crate::diag::{Diagnostic, Diagnostics, Position, did_you_mean};

/// A value and where it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct At<T> {
    pub value: T,
    pub pos: Position,
}

impl<T> At<T> {
    pub fn new(value: T, pos: Position) -> Self {
        At { value, pos }
    }
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> At<U> {
        At {
            value: f(self.value),
            pos: self.pos,
        }
    }
}

/// One file being read: its path, its text, and the problems found so far.
pub struct FileCtx<'t> {
    pub path: PathBuf,
    pub text: &'t str,
    /// Added to every byte offset: the front matter of a news file starts after its `+++` line.
    pub base_offset: usize,
    /// The text the offsets index into (the whole file, for front matter).
    pub whole: &'t str,
    diags: RefCell<Diagnostics>,
    /// Values that failed TOML's syntax because they are dates written another way
    /// (`09/02/2027`, `2027-02-30`), by offset: reported once, by whoever reads the key (who
    /// knows whether a date or a date-time belongs there), or at the end.
    date_slips: RefCell<BTreeMap<usize, DateError>>,
}

/// What a date key holds, so a hint shows the right shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Want {
    Date,
    DateTime,
}

impl<'t> FileCtx<'t> {
    pub fn new(path: &Path, text: &'t str) -> Self {
        FileCtx {
            path: path.to_path_buf(),
            text,
            base_offset: 0,
            whole: text,
            diags: RefCell::default(),
            date_slips: RefCell::default(),
        }
    }

    /// A part of a larger file (front matter): offsets into `part` are shifted by `base`.
    pub fn part(path: &Path, whole: &'t str, part: &'t str, base: usize) -> Self {
        FileCtx {
            path: path.to_path_buf(),
            text: part,
            base_offset: base,
            whole,
            diags: RefCell::default(),
            date_slips: RefCell::default(),
        }
    }

    /// The file's name without its extension: the id of a list, campaign or news item.
    pub fn stem(&self) -> String {
        self.path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default()
            .to_string()
    }

    pub fn pos(&self, offset: usize) -> Position {
        Position::at(self.whole, self.base_offset + offset)
    }

    /// `url` must be an http(s) URL (a reader follows it from the issue); `example` is the hint.
    pub fn check_http_url(&self, url: Option<&At<String>>, example: &str) {
        if let Some(u) = url
            && !(u.value.starts_with("https://") || u.value.starts_with("http://"))
        {
            self.error(
                u.pos,
                format!("`url` must be an http(s) URL, found \"{}\"", u.value),
            )
            .hint(format!("e.g. url = \"{example}\""));
        }
    }

    pub fn error(&self, pos: Position, message: impl Into<String>) -> DiagBuilder<'_, 't> {
        DiagBuilder {
            ctx: self,
            diag: Some(Diagnostic::error(&self.path, pos, message)),
        }
    }

    pub fn warning(&self, pos: Position, message: impl Into<String>) -> DiagBuilder<'_, 't> {
        DiagBuilder {
            ctx: self,
            diag: Some(Diagnostic::warning(&self.path, pos, message)),
        }
    }

    /// A problem in an environment variable's value, reported under its name (it has no line
    /// in this file).
    pub fn env_problem(
        &self,
        variable: &str,
        severity: crate::diag::Severity,
        message: impl Into<String>,
    ) -> DiagBuilder<'_, 't> {
        DiagBuilder {
            ctx: self,
            diag: Some(Diagnostic::env(variable, severity, message)),
        }
    }

    pub fn env_error(&self, variable: &str, message: impl Into<String>) -> DiagBuilder<'_, 't> {
        self.env_problem(variable, crate::diag::Severity::Error, message)
    }

    pub fn has_errors(&self) -> bool {
        self.diags.borrow().has_errors()
    }

    /// Every problem found, including date slips no key reader claimed.
    pub fn into_diagnostics(self) -> Diagnostics {
        let slips = std::mem::take(&mut *self.date_slips.borrow_mut());
        for (offset, e) in slips {
            let key = key_before(self.text, offset);
            self.date_error(self.pos(offset), key.unwrap_or("date"), &e, Want::Date);
        }
        self.diags.into_inner()
    }

    /// One message for a date written another way, with the date to write as the hint.
    fn date_error(&self, pos: Position, key: &str, e: &DateError, want: Want) {
        let b = self.error(pos, format!("`{key}`: {e}"));
        match (e.suggestion(), want) {
            (Some((d, _)), Want::Date) => {
                b.hint(format!(
                    "write `{key} = {}` ({}), without quotes",
                    d.format("%Y-%m-%d"),
                    dates::long(d)
                ));
            }
            (Some((d, Some(t))), Want::DateTime) => {
                b.hint(format!(
                    "write `{key} = {}T{}` ({}, {}), without quotes",
                    d.format("%Y-%m-%d"),
                    t.format("%H:%M"),
                    dates::long(d),
                    t.format("%H:%M")
                ));
            }
            (Some((d, None)), Want::DateTime) => {
                b.hint(format!(
                    "write the date and the start time, without quotes: `{key} = {}T10:00`",
                    d.format("%Y-%m-%d")
                ));
            }
            (None, Want::Date) if matches!(e, DateError::NoSuchDay { .. }) => {
                b.hint("check the day and the month: dates are year-month-day (YYYY-MM-DD)");
            }
            (None, Want::Date) => {
                b.hint(format!(
                    "dates are year-month-day, without quotes: `{key} = 2027-02-09`"
                ));
            }
            (None, Want::DateTime) => {
                b.hint(format!(
                    "a date and time is year-month-day, `T`, hours:minutes, without quotes: `{key} = 2027-02-09T10:00`"
                ));
            }
        }
    }

    /// Claim the date slip recorded at `offset`, if any.
    fn take_date_slip(&self, offset: usize) -> Option<DateError> {
        self.date_slips.borrow_mut().remove(&offset)
    }

    /// Parse the text as TOML, reporting every syntax error; the root table even when broken,
    /// so later stages can still find problems in the parts that parsed.
    pub fn parse(&self) -> toml::Spanned<DeTable<'t>> {
        let (table, errors) = DeTable::parse_recoverable(self.text);
        for e in errors {
            if let Some(span) = e.span()
                && let Some((start, slip)) = date_slip(self.text, span.start)
            {
                self.date_slips.borrow_mut().insert(start, slip);
                continue;
            }
            let pos = e.span().map_or(Position::START, |s| self.pos(s.start));
            let msg = e.message().trim().trim_end_matches('.').to_string();
            self.error(pos, format!("TOML syntax: {msg}"))
                .hint("see docs/files.md for the shape of this file");
        }
        table
    }
}

/// Emits its diagnostic when dropped, so a hint can be chained on or left off.
pub struct DiagBuilder<'c, 't> {
    ctx: &'c FileCtx<'t>,
    diag: Option<Diagnostic>,
}

impl DiagBuilder<'_, '_> {
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        if let Some(d) = self.diag.take() {
            self.diag = Some(d.with_hint(hint));
        }
        self
    }
}

impl Drop for DiagBuilder<'_, '_> {
    fn drop(&mut self) {
        if let Some(d) = self.diag.take() {
            self.ctx.diags.borrow_mut().push(d);
        }
    }
}

/// A value at `offset` that broke TOML's syntax because it is a date written another way: the
/// offset where the value starts, and what is wrong with it.
fn date_slip(text: &str, offset: usize) -> Option<(usize, DateError)> {
    let is_date_char = |c: char| c.is_ascii_digit() || matches!(c, '-' | '/' | '.' | ':');
    let before = &text[..offset.min(text.len())];
    let start = before
        .char_indices()
        .rev()
        .take_while(|(_, c)| is_date_char(*c))
        .last()
        .map_or(offset, |(i, _)| i);
    let rest = &text[start..];
    let end = rest
        .find([',', '}', ']', '#', '\n', '\r'])
        .unwrap_or(rest.len());
    let token = rest[..end].trim();
    if !token.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    match dates::parse_date_time(token) {
        Err(e @ (DateError::NotIso { .. } | DateError::NoSuchDay { .. })) => Some((start, e)),
        _ => None,
    }
}

/// The key whose value starts at `offset` (`publish` in `publish = 09/02/2027`).
fn key_before(text: &str, offset: usize) -> Option<&str> {
    let before = text[..offset.min(text.len())].trim_end();
    let before = before.strip_suffix('=')?.trim_end();
    let start = before
        .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
        .map_or(0, |i| i + 1);
    let key = &before[start..];
    (!key.is_empty()).then_some(key)
}

/// A table being read: which keys were asked for, so the rest can be reported as unknown.
pub struct Table<'c, 't, 'v> {
    pub ctx: &'c FileCtx<'t>,
    table: &'v DeTable<'t>,
    /// Where the table starts (its header, or the start of the file).
    pub pos: Position,
    /// How people name this table in messages: "[transport]", "[[bulletin]] #2", "this file".
    pub name: String,
    asked: RefCell<BTreeSet<&'static str>>,
}

fn kind_of(v: &DeValue<'_>) -> &'static str {
    match v {
        DeValue::String(_) => "a string",
        DeValue::Integer(_) => "an integer",
        DeValue::Float(_) => "a float",
        DeValue::Boolean(_) => "a boolean",
        DeValue::Datetime(_) => "a date/time",
        DeValue::Array(_) => "an array",
        DeValue::Table(_) => "a table",
    }
}

impl<'c, 't, 'v> Table<'c, 't, 'v> {
    pub fn root(ctx: &'c FileCtx<'t>, table: &'v toml::Spanned<DeTable<'t>>) -> Self {
        Table {
            ctx,
            table: table.get_ref(),
            pos: ctx.pos(0),
            name: "this file".into(),
            asked: RefCell::default(),
        }
    }

    fn entry(&self, key: &'static str) -> Option<(&'v toml::Spanned<DeValue<'t>>, Range<usize>)> {
        self.asked.borrow_mut().insert(key);
        self.table
            .iter()
            .find(|(k, _)| k.get_ref().as_ref() == key)
            .map(|(k, v)| (v, k.span()))
    }

    /// Whether the key is present (and marks it as known).
    pub fn has(&self, key: &'static str) -> bool {
        self.entry(key).is_some()
    }

    /// The position of a key's value, if present.
    pub fn pos_of(&self, key: &'static str) -> Option<Position> {
        self.entry(key).map(|(v, _)| self.ctx.pos(v.span().start))
    }

    /// `read`, when the key is there; reported as missing when it is not.
    fn required<T>(
        &self,
        key: &'static str,
        example: &str,
        read: impl FnOnce() -> Option<T>,
    ) -> Option<T> {
        if !self.has(key) {
            self.missing(key, example);
            return None;
        }
        read()
    }

    fn missing(&self, key: &'static str, what: &str) {
        self.ctx
            .error(
                self.pos,
                format!("missing required key `{key}` in {}", self.name),
            )
            .hint(format!("add `{key} = {what}`"));
    }

    fn wrong_type(&self, key: &str, v: &toml::Spanned<DeValue<'_>>, expected: &str) {
        let d = self.ctx.error(
            self.ctx.pos(v.span().start),
            format!("`{key}` must be {expected}, found {}", kind_of(v.get_ref())),
        );
        // `capacity = "40"`, `count_clicks = "true"`: the value is right, the quotes are not.
        if let DeValue::String(s) = v.get_ref() {
            let t = s.trim();
            let fits = match expected {
                "an integer" => t.replace('_', "").parse::<i64>().is_ok(),
                "true or false" => t == "true" || t == "false",
                _ => false,
            };
            if fits {
                d.hint(format!("write it without quotes: `{key} = {t}`"));
            }
        }
    }

    pub fn opt_str(&self, key: &'static str) -> Option<At<String>> {
        let (v, _) = self.entry(key)?;
        match v.get_ref() {
            DeValue::String(s) => Some(At::new(s.to_string(), self.ctx.pos(v.span().start))),
            _ => {
                self.wrong_type(key, v, "a string");
                None
            }
        }
    }

    pub fn req_str(&self, key: &'static str, example: &str) -> Option<At<String>> {
        self.required(key, example, || self.opt_str(key))
    }

    pub fn opt_int(&self, key: &'static str) -> Option<At<i64>> {
        let (v, _) = self.entry(key)?;
        let pos = self.ctx.pos(v.span().start);
        match v.get_ref() {
            DeValue::Integer(i) => {
                match i64::from_str_radix(&i.as_str().replace('_', ""), i.radix()) {
                    Ok(n) => Some(At::new(n, pos)),
                    Err(_) => {
                        self.ctx.error(pos, format!("`{key}` is out of range"));
                        None
                    }
                }
            }
            _ => {
                self.wrong_type(key, v, "an integer");
                None
            }
        }
    }

    pub fn req_int(&self, key: &'static str, example: &str) -> Option<At<i64>> {
        self.required(key, example, || self.opt_int(key))
    }

    /// An integer within `range`, reported with `unit` ("days", "connections") when outside it.
    pub fn opt_int_in(
        &self,
        key: &'static str,
        range: std::ops::RangeInclusive<i64>,
    ) -> Option<At<i64>> {
        let n = self.opt_int(key)?;
        if range.contains(&n.value) {
            Some(n)
        } else {
            self.ctx.error(
                n.pos,
                format!(
                    "`{key}` must be between {} and {}, found {}",
                    range.start(),
                    range.end(),
                    n.value
                ),
            );
            None
        }
    }

    pub fn opt_bool(&self, key: &'static str) -> Option<At<bool>> {
        let (v, _) = self.entry(key)?;
        match v.get_ref() {
            DeValue::Boolean(b) => Some(At::new(*b, self.ctx.pos(v.span().start))),
            _ => {
                self.wrong_type(key, v, "true or false");
                None
            }
        }
    }

    pub fn opt_datetime(&self, key: &'static str) -> Option<At<Datetime>> {
        self.datetime_as(key, Want::Date)
    }

    fn datetime_as(&self, key: &'static str, want: Want) -> Option<At<Datetime>> {
        let (v, _) = self.entry(key)?;
        let pos = self.ctx.pos(v.span().start);
        if let Some(slip) = self.ctx.take_date_slip(v.span().start) {
            self.ctx.date_error(pos, key, &slip, want);
            return None;
        }
        match v.get_ref() {
            DeValue::Datetime(d) => Some(At::new(*d, pos)),
            DeValue::String(s) => {
                match dates::parse_date_time(s) {
                    Ok((d, t)) => {
                        let written = match (want, t) {
                            (Want::Date, _) => d.format("%Y-%m-%d").to_string(),
                            (Want::DateTime, Some(t)) => {
                                format!("{}T{}", d.format("%Y-%m-%d"), t.format("%H:%M"))
                            }
                            (Want::DateTime, None) => format!("{}T10:00", d.format("%Y-%m-%d")),
                        };
                        self.ctx
                            .error(
                                pos,
                                format!("`{key}` must be a TOML date, found the string \"{s}\""),
                            )
                            .hint(format!("write it without quotes: `{key} = {written}`"));
                    }
                    Err(e @ (DateError::NotIso { .. } | DateError::NoSuchDay { .. })) => {
                        self.ctx.date_error(pos, key, &e, want);
                    }
                    Err(DateError::Unreadable(_)) => {
                        self.ctx
                            .date_error(pos, key, &DateError::Unreadable(s.to_string()), want);
                    }
                }
                None
            }
            _ => {
                self.wrong_type(key, v, "a date");
                None
            }
        }
    }

    /// A plain calendar date (`2024-11-18`, no time, no quotes).
    pub fn opt_date(&self, key: &'static str) -> Option<At<chrono::NaiveDate>> {
        let d = self.opt_datetime(key)?;
        match (d.value.date, d.value.time) {
            (Some(date), None) => {
                match chrono::NaiveDate::from_ymd_opt(
                    i32::from(date.year),
                    u32::from(date.month),
                    u32::from(date.day),
                ) {
                    Some(nd) => Some(At::new(nd, d.pos)),
                    None => {
                        self.ctx
                            .error(d.pos, format!("`{key}`: {} is not a real date", d.value));
                        None
                    }
                }
            }
            _ => {
                let date = d.value.date.map_or_else(
                    || "YYYY-MM-DD".to_string(),
                    |x| format!("{:04}-{:02}-{:02}", x.year, x.month, x.day),
                );
                self.ctx
                    .error(
                        d.pos,
                        format!("`{key}` must be a date only, found {}", d.value),
                    )
                    .hint(format!("write `{key} = {date}`"));
                None
            }
        }
    }

    pub fn req_date(&self, key: &'static str) -> Option<At<chrono::NaiveDate>> {
        self.required(key, "YYYY-MM-DD", || self.opt_date(key))
    }

    /// A local date and time with no offset (`2024-11-25T10:00`).
    pub fn opt_local_datetime(&self, key: &'static str) -> Option<At<chrono::NaiveDateTime>> {
        let d = self.datetime_as(key, Want::DateTime)?;
        match (d.value.date, d.value.time, d.value.offset) {
            (Some(date), Some(time), None) => {
                let nd = chrono::NaiveDate::from_ymd_opt(
                    i32::from(date.year),
                    u32::from(date.month),
                    u32::from(date.day),
                );
                let nt = chrono::NaiveTime::from_hms_opt(
                    u32::from(time.hour),
                    u32::from(time.minute),
                    u32::from(time.second.unwrap_or(0)),
                );
                match (nd, nt) {
                    (Some(nd), Some(nt)) => Some(At::new(nd.and_time(nt), d.pos)),
                    _ => {
                        self.ctx.error(
                            d.pos,
                            format!("`{key}`: {} is not a real date and time", d.value),
                        );
                        None
                    }
                }
            }
            (_, _, Some(_)) => {
                self.ctx
                    .error(
                        d.pos,
                        format!("`{key}` must be a local time, without an offset"),
                    )
                    .hint("times are read in organisation.time_zone: write `2024-11-25T10:00`");
                None
            }
            _ => {
                let date = d.value.date.map_or_else(
                    || "2027-02-09".to_string(),
                    |x| format!("{:04}-{:02}-{:02}", x.year, x.month, x.day),
                );
                self.ctx
                    .error(
                        d.pos,
                        format!("`{key}` must be a date and time, found {}", d.value),
                    )
                    .hint(format!(
                        "add the start time after a `T`: `{key} = {date}T10:00`"
                    ));
                None
            }
        }
    }

    pub fn opt_table(&self, key: &'static str) -> Option<Table<'c, 't, 'v>> {
        let (v, _) = self.entry(key)?;
        match v.get_ref() {
            DeValue::Table(t) => Some(Table {
                ctx: self.ctx,
                table: t,
                pos: self.ctx.pos(v.span().start),
                name: if self.name == "this file" {
                    format!("[{key}]")
                } else {
                    format!("`{key}`")
                },
                asked: RefCell::default(),
            }),
            _ => {
                self.wrong_type(key, v, "a table");
                None
            }
        }
    }

    /// `[[key]]` entries (or an inline array of tables).
    pub fn array_of_tables(&self, key: &'static str) -> Vec<Table<'c, 't, 'v>> {
        let Some((v, _)) = self.entry(key) else {
            return Vec::new();
        };
        let DeValue::Array(items) = v.get_ref() else {
            self.wrong_type(key, v, "an array of tables");
            return Vec::new();
        };
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            match item.get_ref() {
                DeValue::Table(t) => out.push(Table {
                    ctx: self.ctx,
                    table: t,
                    pos: self.ctx.pos(item.span().start),
                    name: format!("[[{key}]] #{}", i + 1),
                    asked: RefCell::default(),
                }),
                other => {
                    self.ctx.error(
                        self.ctx.pos(item.span().start),
                        format!("each `{key}` must be a table, found {}", kind_of(other)),
                    );
                }
            }
        }
        out
    }

    /// Each `[[key]]` entry read by `read`, which asks for its keys (the rest are then reported
    /// as unknown): the values it returns.
    pub fn each<T>(
        &self,
        key: &'static str,
        read: impl FnMut(&Table<'c, 't, 'v>) -> Option<T>,
    ) -> Vec<T> {
        let entries = self.array_of_tables(key);
        let values = entries.iter().filter_map(read).collect();
        for t in &entries {
            t.finish();
        }
        values
    }

    /// The entries of a table whose keys the writer chooses (`[year.2024]`, `[year.2025]`):
    /// each key with its position and its value as a table. Every key is taken as known, so
    /// `finish` is not called on such a table; each entry that is not a table is reported.
    pub fn keyed_tables(&self) -> Vec<(String, Position, Table<'c, 't, 'v>)> {
        let mut out = Vec::new();
        for (k, v) in self.table.iter() {
            let key = k.get_ref().as_ref().to_string();
            let key_pos = self.ctx.pos(k.span().start);
            match v.get_ref() {
                DeValue::Table(t) => out.push((
                    key.clone(),
                    key_pos,
                    Table {
                        ctx: self.ctx,
                        table: t,
                        pos: key_pos,
                        name: format!("{}.{key}", self.name.trim_end_matches(']')) + "]",
                        asked: RefCell::default(),
                    },
                )),
                other => {
                    self.ctx.error(
                        self.ctx.pos(v.span().start),
                        format!(
                            "`{key}` in {} must be a table, found {}",
                            self.name,
                            kind_of(other)
                        ),
                    );
                }
            }
        }
        out
    }

    /// An array of strings; each entry keeps its own position.
    pub fn str_array(&self, key: &'static str) -> Option<Vec<At<String>>> {
        self.array_of(key, "strings", |v| match v {
            DeValue::String(s) => Some(Ok(s.to_string())),
            _ => None,
        })
    }

    /// An array of integers; each entry keeps its own position.
    pub fn int_array(&self, key: &'static str) -> Option<Vec<At<i64>>> {
        self.array_of(key, "integers", |v| match v {
            DeValue::Integer(i) => Some(
                i.as_str()
                    .replace('_', "")
                    .parse::<i64>()
                    .map_err(|_| OutOfRange),
            ),
            _ => None,
        })
    }

    /// An array each of whose items `item` reads: `None` for an item of another kind (reported
    /// as not one of the `holds`), `OutOfRange` for an integer it cannot hold.
    fn array_of<T>(
        &self,
        key: &'static str,
        holds: &str,
        item: impl Fn(&DeValue<'t>) -> Option<Result<T, OutOfRange>>,
    ) -> Option<Vec<At<T>>> {
        let (v, _) = self.entry(key)?;
        let DeValue::Array(items) = v.get_ref() else {
            self.wrong_type(key, v, &format!("an array of {holds}"));
            return None;
        };
        let mut out = Vec::new();
        for it in items.iter() {
            let pos = self.ctx.pos(it.span().start);
            match item(it.get_ref()) {
                Some(Ok(x)) => out.push(At::new(x, pos)),
                Some(Err(OutOfRange)) => {
                    self.ctx
                        .error(pos, format!("`{key}`: integer out of range"));
                }
                None => {
                    let found = kind_of(it.get_ref());
                    self.ctx
                        .error(pos, format!("`{key}` must hold {holds}, found {found}"));
                }
            }
        }
        Some(out)
    }

    /// Report every key that was never asked for, with the nearest known key as a hint.
    pub fn finish(&self) {
        self.finish_inside(None);
    }

    /// [`Table::finish`] for a `[[member]]` or `[[when]]` inside `parent` (the file), called
    /// once the parent has asked for its keys: a key of the parent written after the table's
    /// header (TOML gives it to the table) is reported with a hint to move it up.
    pub fn finish_under(&self, parent: &Table<'_, '_, '_>) {
        self.finish_inside(Some(parent));
    }

    fn finish_inside(&self, parent: Option<&Table<'_, '_, '_>>) {
        let asked = self.asked.borrow();
        for (k, _) in self.table.iter() {
            let key = k.get_ref().as_ref();
            if asked.contains(key) {
                continue;
            }
            let b = self.ctx.error(
                self.ctx.pos(k.span().start),
                format!("unknown key `{key}` in {}", self.name),
            );
            if let Some(p) = parent
                && p.asked.borrow().contains(key)
            {
                let header = self.name.split(" #").next().unwrap_or(&self.name);
                b.hint(format!(
                    "`{key}` is a key of the whole file, but TOML reads every key after a {header} line as part of that entry: move `{key}` above the first {header}"
                ));
                continue;
            }
            match did_you_mean(key, asked.iter().copied()) {
                Some(s) => b.hint(format!("did you mean `{s}`?")),
                None => b.hint(format!(
                    "known keys here: {}",
                    asked
                        .iter()
                        .map(|k| format!("`{k}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            };
        }
    }
}

/// An array item `Table::array_of` refuses: an integer that does not fit in 64 bits.
struct OutOfRange;
