//! The two encodings of a command's header. Both work on the header bytes alone; the frame
//! codec (`codec.rs`) finds those bytes and attaches the body.

pub mod binary;
pub mod json;
