//! Operator authentication: who is calling, for which tenant, with which role.
//!
//! A request proves an operator with `Authorization: Bearer <token>` (an API
//! token from `api_tokens`) or with the web UI's session cookie (a session in
//! Redis that points at the token it was opened with). Either way the token
//! is checked against the database on every request, so revoking a token or
//! disabling an operator ends its sessions at once.

pub mod sessions;
pub mod tokens;

use crate::AppState;
use axum::http::{HeaderMap, Method, header};
use serde::{Deserialize, Serialize};
use service_common::Problem;
use uuid::Uuid;

/// What an operator may do; each role includes the ones below it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Reads only.
    Viewer,
    /// Reads and changes orders and mappings.
    Operator,
    /// Everything, including the tenant's settings.
    Admin,
}

impl Role {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Operator => "operator",
            Role::Admin => "admin",
        }
    }

    /// Parses a stored or requested name.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "viewer" => Some(Role::Viewer),
            "operator" => Some(Role::Operator),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

/// An authenticated operator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Operator {
    /// The operator.
    pub id: Uuid,
    /// The only tenant the operator acts for.
    pub tenant_id: Uuid,
    /// Login name.
    pub email: String,
    /// What the operator may do.
    pub role: Role,
    /// The token the request was authenticated with.
    #[serde(skip)]
    pub token_id: Uuid,
}

impl Operator {
    /// 403 unless the operator's role reaches `required`; a viewer is
    /// refused every method that changes something, whatever the route says.
    pub fn authorize(&self, method: &Method, required: Role) -> Result<(), Problem> {
        let changes = !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS);
        if self.role < required || (changes && self.role == Role::Viewer) {
            return Err(Problem::forbidden(format!(
                "the {} role may not {method} here",
                self.role.as_str()
            )));
        }
        Ok(())
    }
}

/// The operator behind the request's credentials, or a 401 problem.
pub async fn authenticate(state: &AppState, headers: &HeaderMap) -> Result<Operator, Problem> {
    if let Some(value) = headers.get(header::AUTHORIZATION) {
        let token = value
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                Problem::unauthorized("the Authorization header is not \"Bearer <token>\"")
            })?;
        return tokens::operator_for_token(&state.pool, token)
            .await?
            .ok_or_else(|| Problem::unauthorized("the token is unknown or revoked"));
    }
    if let Some(session_id) = sessions::session_cookie(headers) {
        let session = sessions::load(state, &session_id)
            .await?
            .ok_or_else(|| Problem::unauthorized("the session has expired; log in again"))?;
        return tokens::operator_for_token_id(&state.pool, session.token_id)
            .await?
            .filter(|op| op.id == session.operator_id)
            .ok_or_else(|| Problem::unauthorized("the session's token was revoked; log in again"));
    }
    Err(Problem::unauthorized(
        "send Authorization: Bearer <token>, or log in at /api/v1/auth/login",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(role: Role) -> Operator {
        Operator {
            id: Uuid::nil(),
            tenant_id: Uuid::nil(),
            email: "a@b".into(),
            role,
            token_id: Uuid::nil(),
        }
    }

    #[test]
    fn viewers_only_read() {
        let v = op(Role::Viewer);
        assert!(v.authorize(&Method::GET, Role::Viewer).is_ok());
        assert_eq!(
            v.authorize(&Method::POST, Role::Viewer)
                .expect_err("post")
                .status,
            403
        );
        assert_eq!(
            v.authorize(&Method::DELETE, Role::Operator)
                .expect_err("delete")
                .status,
            403
        );
    }

    #[test]
    fn roles_are_ordered() {
        assert!(
            op(Role::Operator)
                .authorize(&Method::POST, Role::Operator)
                .is_ok()
        );
        assert!(
            op(Role::Operator)
                .authorize(&Method::PUT, Role::Admin)
                .is_err()
        );
        assert!(op(Role::Admin).authorize(&Method::PUT, Role::Admin).is_ok());
        assert_eq!(Role::parse("admin"), Some(Role::Admin));
        assert_eq!(Role::parse("root"), None);
    }
}
