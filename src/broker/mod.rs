//! The Broker: configuration, request handlers, client and topic management, and the loops that
//! keep it registered with its NameServers.

pub mod client_manager;
pub mod config;
pub mod offset_manager;
pub mod subscription_manager;
pub mod topic_manager;
