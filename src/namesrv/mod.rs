//! The NameServer: route table, KV config and the 4.9.7 request handlers.
