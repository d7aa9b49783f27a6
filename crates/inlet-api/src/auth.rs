//! Bearer tokens for the API. Configured as a token or `sha256:<hex>` of
//! one; plain tokens are hashed at load (with a warning) so only hashes are
//! kept in memory. No header: 401; a token that is not accepted: 403.

use crate::error::ApiError;
use actix_web::HttpRequest;
use inlet_core::TokenHash;
use std::collections::HashSet;

#[derive(Clone, Debug, Default)]
pub struct TokenSet(HashSet<TokenHash>);

impl TokenSet {
    pub fn load(key: &str, entries: &[String]) -> anyhow::Result<Self> {
        let mut set = HashSet::new();
        for entry in entries {
            if let Some(hex) = entry.strip_prefix("sha256:") {
                let hash = TokenHash::from_hex(hex).ok_or_else(|| {
                    anyhow::anyhow!(
                        "configuration key `{key}`: {entry:?} is not sha256:<64 hex digits>"
                    )
                })?;
                set.insert(hash);
            } else {
                tracing::warn!(
                    key,
                    "a plain token is configured; prefer sha256:<hex> of it"
                );
                set.insert(TokenHash::of(entry));
            }
        }
        Ok(Self(set))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn contains(&self, token: &str) -> bool {
        self.0.contains(&TokenHash::of(token))
    }
}

/// What a request may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    Read,
    Manage,
}

fn bearer(req: &HttpRequest) -> Result<String, ApiError> {
    let header = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .ok_or(ApiError::Unauthenticated)?;
    let value = header.to_str().map_err(|_| ApiError::Forbidden)?;
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .ok_or(ApiError::Unauthenticated)?;
    Ok(token.trim().to_string())
}

/// The hash of the request's bearer token: what a token's live streams are
/// counted by (the token itself is not kept).
pub fn token_hash(req: &HttpRequest) -> Result<TokenHash, ApiError> {
    bearer(req).map(|token| TokenHash::of(&token))
}

/// Checks the request's bearer token for `access`.
pub fn require(req: &HttpRequest, state: &crate::State, access: Access) -> Result<(), ApiError> {
    let token = bearer(req)?;
    let allowed =
        state.admin.contains(&token) || (access == Access::Read && state.readers.contains(&token));
    if allowed {
        Ok(())
    } else {
        Err(ApiError::Forbidden)
    }
}

/// Checks the bearer token before anything else of the request is read or
/// parsed: without a token the answer is 401, with one that is neither an
/// admin nor a read token 403, whatever the path, query or body (which
/// would otherwise be refused first, with 400, telling an unauthenticated
/// caller how its input was judged). Handlers still decide between reading
/// and managing. The OpenAPI document needs no token.
pub async fn token_first(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody>,
) -> Result<actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>, actix_web::Error> {
    if req.path() != "/api/v1/openapi.json" {
        let state = req
            .app_data::<actix_web::web::Data<crate::State>>()
            .ok_or_else(|| ApiError::Internal("no state".into()))?;
        let token = bearer(req.request())?;
        if !state.admin.contains(&token) && !state.readers.contains(&token) {
            return Err(ApiError::Forbidden.into());
        }
    }
    next.call(req).await
}

/// Lets only admin tokens through to a management route, before its path,
/// query or body is extracted: a read token gets 403 whatever its input
/// (judged first, bad input would be answered 400 and tell a caller that
/// may not manage how its input was judged). Runs after [`token_first`],
/// so the token is known to be an admin or a read token here.
pub async fn admin_only(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody>,
) -> Result<actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>, actix_web::Error> {
    let state = req
        .app_data::<actix_web::web::Data<crate::State>>()
        .ok_or_else(|| ApiError::Internal("no state".into()))?;
    require(req.request(), state, Access::Manage)?;
    next.call(req).await
}
