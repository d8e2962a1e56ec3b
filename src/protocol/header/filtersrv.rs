//! Filter-server headers. The filter server is not part of 4.9.7 and no processor handles these
//! codes; the classes (and so these types) remain.

command_header! {
    /// REGISTER_FILTER_SERVER (301) request.
    pub struct RegisterFilterServerRequestHeader {
        pub filter_server_addr: String = "filterServerAddr" (required),
    }
}

command_header! {
    /// REGISTER_FILTER_SERVER (301) response.
    pub struct RegisterFilterServerResponseHeader {
        pub broker_name: String = "brokerName" (required),
        /// `@CFNotNull` on a Java primitive: Java 4.9.7 logs the missing key and keeps `0`.
        pub broker_id: i64 = "brokerId" (default 0),
    }
}

command_header! {
    /// REGISTER_MESSAGE_FILTER_CLASS (302).
    pub struct RegisterMessageFilterClassRequestHeader {
        pub consumer_group: String = "consumerGroup" (required),
        pub topic: String = "topic" (required),
        pub class_name: String = "className" (required),
        pub class_crc: i32 = "classCRC" (required),
    }
}
