//! What a campaign says beyond its dates: the content of each year (`[year.2024]`: the national
//! theme, day themes, local activity, links, hashtags, helplines, an image), the practical facts
//! of an event (venue, booking, audience, capacity, booking deadline), and the strategy's theme
//! tags. Parsed here so the issue builder, the ICS export and the web pages all read one model.

use chrono::NaiveDate;

use super::doc::{At, FileCtx, Table};
use crate::diag::{Position, did_you_mean};
use crate::themes::Theme;

/// A link with words that say where it goes ("Book a place", "Resources for schools").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub label: String,
    pub url: String,
}

/// A helpline: "National Domestic Abuse Helpline", "0808 2000 247".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Helpline {
    pub name: String,
    pub number: String,
}

/// An image with its alt text (required: WCAG 1.1.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    pub url: String,
    pub alt: String,
}

/// One day's theme within a week ("Monday", "Look, Listen, Ask").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayTheme {
    pub day: String,
    pub theme: String,
}

/// A campaign's content for one year: what changes every year while the dates rule stays.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct YearContent {
    pub year: i32,
    /// Where its `[year.YYYY]` key is written, for diagnostics.
    pub pos: Position,
    /// The national theme ("United Against Bullying").
    pub theme: Option<String>,
    /// Markdown that replaces the campaign's `summary` that year.
    pub summary: Option<String>,
    pub days: Vec<DayTheme>,
    /// Markdown: what happens locally ("the Civic Centre will be lit up purple").
    pub local: Option<String>,
    pub links: Vec<Link>,
    pub hashtags: Vec<String>,
    pub helplines: Vec<Helpline>,
    pub image: Option<Image>,
}

/// The practical facts of an event (a campaign with `at` rules).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EventDetails {
    pub venue: Option<String>,
    /// Where to join an online event.
    pub online: Option<String>,
    pub booking: Option<String>,
    /// Who it is for ("Police and partners").
    pub audience: Option<String>,
    pub capacity: Option<u32>,
    pub booking_deadline: Option<NaiveDate>,
}

impl EventDetails {
    pub fn is_empty(&self) -> bool {
        *self == EventDetails::default()
    }
}

fn one_line(ctx: &FileCtx<'_>, v: &At<String>, key: &str) -> bool {
    if v.value.trim().is_empty() || v.value.chars().any(char::is_control) {
        ctx.error(
            v.pos,
            format!("`{key}` must be one line of text with no control characters"),
        );
        false
    } else {
        true
    }
}

/// An http(s) URL; anything else is reported at its place.
pub(crate) fn http_url(ctx: &FileCtx<'_>, v: At<String>, key: &str) -> Option<String> {
    if (v.value.starts_with("https://") || v.value.starts_with("http://"))
        && !v.value.chars().any(|c| c.is_control() || c.is_whitespace())
    {
        Some(v.value)
    } else {
        ctx.error(
            v.pos,
            format!("`{key}` must be an http(s) URL, found \"{}\"", v.value),
        )
        .hint(format!("e.g. {key} = \"https://example.org/\""));
        None
    }
}

fn opt_line(t: &Table<'_, '_, '_>, key: &'static str) -> Option<String> {
    t.opt_str(key)
        .filter(|v| one_line(t.ctx, v, key))
        .map(|v| v.value)
}

fn opt_url(t: &Table<'_, '_, '_>, key: &'static str) -> Option<String> {
    t.opt_str(key).and_then(|v| http_url(t.ctx, v, key))
}

/// `themes = [...]`: every tag must be one of the strategy's themes.
pub(crate) fn themes(t: &Table<'_, '_, '_>) -> Vec<Theme> {
    let mut out = Vec::new();
    for tag in t.str_array("themes").unwrap_or_default() {
        match Theme::parse(&tag.value) {
            Ok(theme) if out.contains(&theme) => {
                t.ctx
                    .warning(tag.pos, format!("theme `{}` is listed twice", tag.value));
            }
            Ok(theme) => out.push(theme),
            Err(e) => {
                let b = t.ctx.error(tag.pos, e.to_string());
                match did_you_mean(&tag.value, Theme::ids()) {
                    Some(s) => b.hint(format!("did you mean `{s}`?")),
                    None => b.hint(format!(
                        "themes are the strategy's areas of focus: {}",
                        Theme::ids().collect::<Vec<_>>().join(", ")
                    )),
                };
            }
        }
    }
    out
}

/// The event keys of a campaign file's top level.
pub(crate) fn event_details(top: &Table<'_, '_, '_>) -> EventDetails {
    let capacity = top.opt_int("capacity").and_then(|c| {
        if (1..=100_000).contains(&c.value) {
            Some(c.value as u32)
        } else {
            top.ctx.error(
                c.pos,
                format!("`capacity` must be between 1 and 100000, found {}", c.value),
            );
            None
        }
    });
    EventDetails {
        venue: opt_line(top, "venue"),
        online: opt_url(top, "online"),
        booking: opt_url(top, "booking"),
        audience: opt_line(top, "audience"),
        capacity,
        booking_deadline: top.opt_date("booking_deadline").map(|d| d.value),
    }
}

/// `[year.YYYY]` tables, sorted by year.
pub(crate) fn years(top: &Table<'_, '_, '_>) -> Vec<YearContent> {
    let Some(years) = top.opt_table("year") else {
        return Vec::new();
    };
    let mut out: Vec<YearContent> = Vec::new();
    for (key, pos, t) in years.keyed_tables() {
        let year = match key.parse::<i32>() {
            Ok(y) if (1900..=2200).contains(&y) => Some(y),
            _ => {
                t.ctx
                    .error(pos, format!("`{key}` is not a year"))
                    .hint("name each table by its year: [year.2024]");
                None
            }
        };
        let content = year_content(&t);
        t.finish();
        if let Some(year) = year {
            out.push(YearContent {
                year,
                pos,
                ..content
            });
        }
    }
    out.sort_by_key(|y| y.year);
    out
}

/// `[[year.N.days]]`: a theme for each day of the week.
fn day_themes(t: &Table<'_, '_, '_>) -> Vec<DayTheme> {
    t.each("days", |d| {
        let day = d.req_str("day", "\"Monday\"");
        let theme = d.req_str("theme", "\"Look, Listen, Ask\"");
        let (day, theme) = (day?, theme?);
        (one_line(d.ctx, &day, "day") && one_line(d.ctx, &theme, "theme")).then_some(DayTheme {
            day: day.value,
            theme: theme.value,
        })
    })
}

/// `[[year.N.links]]`: a label and an http(s) URL each.
fn links(t: &Table<'_, '_, '_>) -> Vec<Link> {
    t.each("links", |l| {
        let label = l.req_str("label", "\"Book a place\"");
        let url = l.req_str("url", "\"https://example.org/book\"");
        let (label, url) = (label?, url?);
        if !one_line(l.ctx, &label, "label") {
            return None;
        }
        let url = http_url(l.ctx, url, "url")?;
        Some(Link {
            label: label.value,
            url,
        })
    })
}

/// `[[year.N.helplines]]`: a name and a phone number each.
fn helplines(t: &Table<'_, '_, '_>) -> Vec<Helpline> {
    t.each("helplines", |h| {
        let name = h.req_str("name", "\"National Domestic Abuse Helpline\"");
        let number = h.req_str("number", "\"0808 2000 247\"");
        let (name, number) = (name?, number?);
        if !one_line(h.ctx, &name, "name") {
            return None;
        }
        let phone = |c: char| c.is_ascii_digit() || c == ' ' || c == '+';
        if number.value.is_empty() || !number.value.chars().all(phone) {
            h.ctx
                .error(
                    number.pos,
                    format!(
                        "`number` must be a phone number (digits, spaces, a leading +), found \"{}\"",
                        number.value
                    ),
                )
                .hint("e.g. number = \"0808 2000 247\"");
            return None;
        }
        Some(Helpline {
            name: name.value,
            number: number.value,
        })
    })
}

/// `hashtags = ["#…"]`.
fn hashtags(t: &Table<'_, '_, '_>) -> Vec<String> {
    let ctx = t.ctx;
    let mut hashtags = Vec::new();
    for h in t.str_array("hashtags").unwrap_or_default() {
        let body = h.value.strip_prefix('#').unwrap_or("");
        if body.is_empty() || !body.chars().all(|c| c.is_alphanumeric() || c == '_') {
            ctx.error(
                h.pos,
                format!(
                    "hashtag `{}` must be `#` then letters, digits or `_`",
                    h.value
                ),
            )
            .hint("e.g. hashtags = [\"#SafeguardingAdultsWeek\"]");
        } else {
            hashtags.push(h.value);
        }
    }
    hashtags
}

/// `[year.N.image]`: an http(s) URL with alt text.
fn image(i: &Table<'_, '_, '_>) -> Option<Image> {
    let ctx = i.ctx;
    let url = i.req_str("url", "\"https://example.org/poster.png\"");
    let alt = i.opt_str("alt");
    if alt.as_ref().is_none_or(|a| a.value.trim().is_empty()) {
        ctx.error(
            alt.as_ref().map_or(i.pos, |a| a.pos),
            "this image has no alt text",
        )
        .hint("describe it for people who cannot see it: alt = \"Salford Civic Centre lit up purple\"");
    }
    i.finish();
    let url = http_url(ctx, url?, "url")?;
    let alt = alt?;
    if alt.value.trim().is_empty() || !one_line(ctx, &alt, "alt") {
        return None;
    }
    Some(Image {
        url,
        alt: alt.value,
    })
}

fn year_content(t: &Table<'_, '_, '_>) -> YearContent {
    let days = day_themes(t);
    let links = links(t);
    let helplines = helplines(t);
    let hashtags = hashtags(t);
    let image = t.opt_table("image").and_then(|i| image(&i));
    YearContent {
        year: 0,
        pos: t.pos,
        theme: opt_line(t, "theme"),
        summary: t.opt_str("summary").map(|s| s.value),
        days,
        local: t.opt_str("local").map(|s| s.value),
        links,
        hashtags,
        helplines,
        image,
    }
}
