//! Rate limits: a token bucket per operator (and per client address on
//! public routes and logins), kept in Redis.
//!
//! The bucket lives in Redis rather than in each instance's memory so that
//! the limit holds for the whole deployment however many gateway instances
//! Traefik spreads the requests over. The refill uses Redis' own clock
//! (`TIME` inside the script), so instances with skewed clocks agree.
//! Bucket size = `GATEWAY_RATE_LIMIT_PER_MINUTE`, refilled at that many
//! tokens per minute. If Redis cannot answer, requests are let through
//! (logged): an unavailable limiter must not take the API down with it.

use crate::AppState;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use service_common::Problem;

/// Takes one token; answers `[allowed (0/1), wait_ms]`.
const BUCKET: &str = r"
local capacity = tonumber(ARGV[1])
local per_ms = capacity / 60000
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local b = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(b[1]) or capacity
local ts = tonumber(b[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - ts) * per_ms)
local allowed, wait = 0, 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
else
  wait = math.ceil((1 - tokens) / per_ms)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('PEXPIRE', KEYS[1], 60000 + 1000)
return {allowed, wait}
";

/// Takes a token from `subject`'s bucket, or answers 429 with `Retry-After`.
pub async fn check(state: &AppState, subject: &str) -> Result<(), Response> {
    let key = format!(
        "{}:gateway:ratelimit:{subject}",
        state.config.common.stream_prefix
    );
    let mut redis = state.redis.clone();
    let reply: redis::RedisResult<(i64, i64)> = redis::cmd("EVAL")
        .arg(BUCKET)
        .arg(1)
        .arg(&key)
        .arg(state.config.rate_limit_per_minute)
        .query_async(&mut redis)
        .await;
    match reply {
        Ok((1, _)) => Ok(()),
        Ok((_, wait_ms)) => Err(too_many(wait_ms)),
        Err(e) => {
            tracing::warn!(error = %e, "rate limiter unavailable; request let through");
            Ok(())
        }
    }
}

fn too_many(wait_ms: i64) -> Response {
    let secs = (wait_ms.max(1) + 999) / 1000;
    let mut response = Problem::new(
        StatusCode::TOO_MANY_REQUESTS,
        "rate-limited",
        "Too many requests",
    )
    .detail(format!("the rate limit is reached; retry in {secs} s"))
    .into_response();
    if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, v);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_rounds_up_to_whole_seconds() {
        let r = too_many(1);
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(r.headers()[header::RETRY_AFTER], "1");
        assert_eq!(too_many(1001).headers()[header::RETRY_AFTER], "2");
    }
}
