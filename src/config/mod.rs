//! Java `.properties` configuration: the same keys and defaults as the Java NameServer and Broker.
