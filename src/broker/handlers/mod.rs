//! One handler per request code, grouped by area (Iggy style). Each takes the broker, the
//! connection and the request, and returns the response (or `None` for none).

pub mod admin;
pub mod client;
pub mod offset;
pub mod orderly;
pub mod pull;
pub mod send;
pub mod transaction;
