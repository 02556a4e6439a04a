//! print-service against real PostgreSQL and Redis, with SimplyPrint faked
//! over HTTP (`svc_fakes::simplyprint`). Each test has its own database,
//! stream prefix and fake.

mod api;
mod cancellation;
mod files;
mod harness;
mod queueing;
mod restart;
mod webhooks;
