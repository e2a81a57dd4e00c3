//! The sign-up form as posted: what it says, and what is wrong with it, field by field.

use crate::address::{DisplayName, EmailAddress};
use crate::config::SignupFields;

/// The form's fields, as typed (kept to show them back beside an error).
#[derive(Debug, Clone, Default)]
pub struct Form {
    pub email: String,
    pub name: String,
    pub agency: String,
    pub role: String,
    /// The honeypot: a field people never see (hidden by the stylesheet, labelled "leave
    /// blank"); anything in it is a robot's.
    pub website: String,
}

/// One problem, for the error summary and beside its field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: &'static str,
    pub message: &'static str,
}

/// A form that passed: the person, with agency and role joined the way the CSV keeps them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Application {
    pub email: EmailAddress,
    pub name: DisplayName,
    pub agency: Option<String>,
}

impl Form {
    /// Read an `application/x-www-form-urlencoded` body; unknown fields are ignored.
    pub fn parse(body: &str) -> Form {
        let pairs: Vec<(String, String)> =
            serde_urlencoded::from_str(body.trim()).unwrap_or_default();
        let mut f = Form::default();
        for (k, v) in pairs {
            let v: String = v.chars().take(200).collect();
            match k.as_str() {
                "email" => f.email = v,
                "name" => f.name = v,
                "agency" => f.agency = v,
                "role" => f.role = v,
                "website" => f.website = v,
                _ => {}
            }
        }
        f
    }

    /// Whether the honeypot was filled in.
    pub fn is_robot(&self) -> bool {
        !self.website.trim().is_empty()
    }

    /// The application, or every problem with it.
    pub fn check(
        &self,
        fields: SignupFields,
        agencies: &[String],
    ) -> Result<Application, Vec<FieldError>> {
        let mut errors = Vec::new();
        let email = EmailAddress::parse(self.email.trim());
        if email.is_err() {
            errors.push(FieldError {
                field: "email",
                message: if self.email.trim().is_empty() {
                    "Enter your email address"
                } else {
                    "Enter an email address in the correct format, like name@example.org"
                },
            });
        }
        let name = DisplayName::parse(self.name.trim());
        if self.name.trim().is_empty() || name.is_err() {
            errors.push(FieldError {
                field: "name",
                message: "Enter your name",
            });
        }
        let agency = clean(&self.agency).filter(|_| fields.agency);
        if let Some(a) = &agency
            && !agencies.is_empty()
            && !agencies.iter().any(|x| x == a)
        {
            errors.push(FieldError {
                field: "agency",
                message: "Choose your organisation from the list",
            });
        }
        let role = clean(&self.role).filter(|_| fields.role);
        let (Ok(email), Ok(name), true) = (email, name, errors.is_empty()) else {
            return Err(errors);
        };
        let agency = match (agency, role) {
            (Some(a), Some(r)) => Some(format!("{a}, {r}")),
            (a, r) => a.or(r),
        };
        Ok(Application {
            email,
            name,
            agency,
        })
    }
}

/// A one-line answer, trimmed; `None` when empty or holding a control character.
fn clean(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty() && !t.chars().any(char::is_control)).then(|| t.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_each_field() {
        let all = SignupFields {
            agency: true,
            role: true,
        };
        let f = Form::parse("email=jo%40x.example&name=Jo+Bloggs&agency=NHS&role=Nurse&website=");
        let a = f.check(all, &[]).unwrap();
        assert_eq!(a.agency.as_deref(), Some("NHS, Nurse"));
        assert!(!f.is_robot());
        let bad = Form::parse("email=nope&name=");
        let e = bad.check(all, &[]).unwrap_err();
        assert_eq!(
            e.iter().map(|e| e.field).collect::<Vec<_>>(),
            ["email", "name"]
        );
        let other = Form::parse("email=jo%40x.example&name=Jo&agency=Acme");
        assert!(other.check(all, &["NHS".into()]).is_err());
        assert!(Form::parse("website=http%3A%2F%2Fspam").is_robot());
    }
}
