//! Who is at the desk: a person from one of the lists `[desk]` names, with the role that list
//! gives, and the session's CSRF token every form must send back.

use crate::address::EmailAddress;

/// What a person may do at the desk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    /// News, campaigns, the next issue: proofs, approval, cancel, withdraw.
    Editor,
    /// Everything an editor may, and lists and suppressions.
    Admin,
}

/// A signed-in person.
#[derive(Debug, Clone)]
pub struct DeskUser {
    /// As the desk list names them (the commit author's name and the audit log's).
    pub name: String,
    pub email: EmailAddress,
    pub role: Role,
    /// The session's CSRF token: every state-changing form carries it in a hidden field.
    pub csrf: String,
}

impl DeskUser {
    /// Lists and suppressions are for admins only.
    pub fn may_manage_lists(&self) -> bool {
        self.role == Role::Admin
    }

    /// Whether a form's token is this session's (compared in constant time).
    pub fn csrf_ok(&self, sent: &str) -> bool {
        let (a, b) = (self.csrf.as_bytes(), sent.as_bytes());
        !a.is_empty()
            && a.len() == b.len()
            && a.iter().zip(b).fold(0u8, |d, (x, y)| d | (x ^ y)) == 0
    }

    /// The author of the commits this person's saves make.
    pub fn author(&self) -> crate::project_edit::Author {
        crate::project_edit::Author {
            name: self.name.clone(),
            email: self.email.clone(),
        }
    }

    /// How the audit log names this person (`desk:` marks a change made in the browser).
    pub fn operator(&self) -> String {
        format!("desk:{} <{}>", self.name, self.email.as_str())
    }
}
