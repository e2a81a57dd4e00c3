//! Whether an organisation is in the UK, and whether its `time_zone` keeps UK clock time: `GMT`
//! and `UTC` look right in winter and are an hour off all summer, which nobody notices until a
//! 09:00 bulletin arrives at 10:00.

use chrono::{Offset, TimeZone};
use chrono_tz::Tz;

/// A UK postcode somewhere in `address` (`M27 5DA`, `SW1A 1AA`, `AB1 2CD`).
fn has_uk_postcode(address: &str) -> bool {
    let words: Vec<String> = address
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|w| !w.is_empty())
        .map(str::to_uppercase)
        .collect();
    words.windows(2).any(|w| outward(&w[0]) && inward(&w[1]))
}

/// `M27`, `SW1A`, `AB1`: one or two letters, a digit, then an optional letter or digit.
fn outward(w: &str) -> bool {
    let c: Vec<char> = w.chars().collect();
    let letters = c.iter().take_while(|c| c.is_ascii_alphabetic()).count();
    if !(1..=2).contains(&letters) || c.len() < letters + 1 || c.len() > letters + 2 {
        return false;
    }
    c[letters].is_ascii_digit() && c[letters + 1..].iter().all(|c| c.is_ascii_alphanumeric())
}

/// `5DA`: a digit and two letters.
fn inward(w: &str) -> bool {
    let c: Vec<char> = w.chars().collect();
    c.len() == 3 && c[0].is_ascii_digit() && c[1..].iter().all(|c| c.is_ascii_alphabetic())
}

fn uk_host(url_or_domain: &str) -> bool {
    let host = url_or_domain
        .split("://")
        .last()
        .unwrap_or("")
        .split(['/', ':', '>'])
        .next()
        .unwrap_or("")
        .trim_end_matches('.')
        .to_ascii_lowercase();
    host.ends_with(".uk")
}

/// Whether the organisation is in the UK: a UK postcode in its postal address, or a `.uk`
/// website or mail domain.
pub(crate) fn is_uk(postal_address: &str, sites: &[&str]) -> bool {
    has_uk_postcode(postal_address) || sites.iter().any(|s| uk_host(s))
}

/// How `tz` differs from UK clocks, in words, when it does (`None` when it keeps UK time).
pub(crate) fn differs_from_uk(tz: Tz, name: &str) -> Option<String> {
    let london = chrono_tz::Europe::London;
    let offset = |z: Tz, m: u32| {
        z.with_ymd_and_hms(2026, m, 15, 12, 0, 0)
            .single()
            .map(|t| t.offset().fix().local_minus_utc())
    };
    let (winter, summer) = (offset(tz, 1), offset(tz, 7));
    let (uk_winter, uk_summer) = (offset(london, 1), offset(london, 7));
    if winter == uk_winter && summer == uk_summer {
        return None;
    }
    if winter == uk_winter {
        return Some(format!(
            "`{name}` has no summer time: from the last Sunday of March to the last Sunday of October every scheduled time would be an hour off UK clocks (09:00 {name} is 10:00 BST)"
        ));
    }
    Some(format!(
        "`{name}` is not UK time: scheduled times would be off UK clocks (winter by {}, summer by {})",
        hours(winter.unwrap_or(0) - uk_winter.unwrap_or(0)),
        hours(summer.unwrap_or(0) - uk_summer.unwrap_or(0))
    ))
}

fn hours(seconds: i32) -> String {
    let h = f64::from(seconds) / 3600.0;
    if h.fract() == 0.0 {
        format!("{:+} h", h as i32)
    } else {
        format!("{h:+} h")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uk_organisations_are_recognised() {
        assert!(is_uk(
            "2nd Floor Unity House, Civic Centre, Chorley Road, Swinton, M27 5DA",
            &[]
        ));
        assert!(is_uk("10 Downing Street, London SW1A 2AA", &[]));
        assert!(is_uk("1 High Street, Town, AB1 2CD", &[]));
        assert!(is_uk(
            "Somewhere",
            &["https://safeguardingchildren.salford.gov.uk/"]
        ));
        assert!(is_uk("Somewhere", &["news@nhs.net", "x@council.gov.uk"]));
        assert!(!is_uk(
            "12 Rue de Rivoli, 75001 Paris",
            &["https://example.fr"]
        ));
        assert!(!is_uk(
            "1 Main St, Springfield, IL 62701",
            &["https://x.example"]
        ));
    }

    #[test]
    fn gmt_and_utc_are_an_hour_off_in_summer() {
        for name in ["GMT", "UTC", "Etc/UTC", "Etc/GMT", "Zulu"] {
            let tz: Tz = name.parse().unwrap();
            let got = differs_from_uk(tz, name).unwrap();
            assert!(got.contains("has no summer time"), "{name}: {got}");
        }
        for name in ["Europe/London", "GB", "Europe/Belfast"] {
            assert_eq!(differs_from_uk(name.parse().unwrap(), name), None, "{name}");
        }
        let got = differs_from_uk(chrono_tz::Europe::Paris, "Europe/Paris").unwrap();
        assert!(got.contains("winter by +1 h, summer by +1 h"), "{got}");
    }
}
