//! Java's `NettyServerConfig` and `NettyClientConfig`: the transport keys every NameServer and
//! Broker properties file may carry. ferrocket's transport is tokio, so most of these are
//! accepted for compatibility and reported back by GET_*_CONFIG; the ones it honours say so.

crate::java_config! {
    /// Server-side transport settings (`NettyServerConfig`).
    pub struct NettyServerConfig {
        /// The remoting port. Java's class default is 8888; the NameServer sets 9876 and the
        /// Broker 10911 before reading the file, and so do ferrocket's start-ups.
        listen_port: i32 = "listenPort" => 8888,
        server_worker_threads: i32 = "serverWorkerThreads" => 8,
        server_callback_executor_threads: i32 = "serverCallbackExecutorThreads" => 0,
        server_selector_threads: i32 = "serverSelectorThreads" => 3,
        server_oneway_semaphore_value: i32 = "serverOnewaySemaphoreValue" => 256,
        server_async_semaphore_value: i32 = "serverAsyncSemaphoreValue" => 64,
        /// Honoured: connections idle this long are closed.
        server_channel_max_idle_time_seconds: i32 = "serverChannelMaxIdleTimeSeconds" => 120,
        server_socket_snd_buf_size: i32 = "serverSocketSndBufSize" => 0,
        server_socket_rcv_buf_size: i32 = "serverSocketRcvBufSize" => 0,
        write_buffer_high_water_mark: i32 = "writeBufferHighWaterMark" => 0,
        write_buffer_low_water_mark: i32 = "writeBufferLowWaterMark" => 0,
        server_socket_backlog: i32 = "serverSocketBacklog" => 1024,
        server_pooled_byte_buf_allocator_enable: bool = "serverPooledByteBufAllocatorEnable" => true,
        use_epoll_native_selector: bool = "useEpollNativeSelector" => false,
    }
}

crate::java_config! {
    /// Client-side transport settings (`NettyClientConfig`): the broker's connections to
    /// NameServers and to its master.
    pub struct NettyClientConfig {
        client_worker_threads: i32 = "clientWorkerThreads" => 4,
        client_callback_executor_threads: i32 = "clientCallbackExecutorThreads" => super::cpus(),
        client_oneway_semaphore_value: i32 = "clientOnewaySemaphoreValue" => 65535,
        client_async_semaphore_value: i32 = "clientAsyncSemaphoreValue" => 65535,
        /// Honoured: the connect timeout in milliseconds.
        connect_timeout_millis: i32 = "connectTimeoutMillis" => 3000,
        channel_not_active_interval: i64 = "channelNotActiveInterval" => 1000 * 60,
        client_channel_max_idle_time_seconds: i32 = "clientChannelMaxIdleTimeSeconds" => 120,
        client_socket_snd_buf_size: i32 = "clientSocketSndBufSize" => 0,
        client_socket_rcv_buf_size: i32 = "clientSocketRcvBufSize" => 0,
        client_pooled_byte_buf_allocator_enable: bool = "clientPooledByteBufAllocatorEnable" => false,
        client_close_socket_if_timeout: bool = "clientCloseSocketIfTimeout" => true,
        use_tls: bool = "useTLS" => false,
        write_buffer_high_water_mark: i32 = "writeBufferHighWaterMark" => 0,
        write_buffer_low_water_mark: i32 = "writeBufferLowWaterMark" => 0,
    }
}
