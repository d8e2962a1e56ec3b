//! UPDATE_BROKER_CONFIG (25): body = properties text. Known keys are applied to the live
//! configuration (unknown keys are ignored, as Java's `mergeIfExist`), the config DataVersion
//! moves on, and all configs are written to the broker's properties file (Java
//! `Configuration.update` + `persist`). A changed `brokerPermission` is re-registered at once.
//! The keys listed in `broker::live_knobs` take effect at once; every other key is reported
//! by GET_BROKER_CONFIG and persisted but takes effect at the next start.

use crate::broker::Broker;
use crate::config;
use crate::remoting::{response_code, Connection, RemotingCommand};

pub async fn handle(
    broker: &Broker,
    conn: &Connection,
    request: RemotingCommand,
) -> Option<RemotingCommand> {
    tracing::info!("updateBrokerConfig called by {}", conn.peer_addr());
    let Some(body) = request.body.as_deref() else {
        return Some(RemotingCommand::response_to(
            &request,
            response_code::SUCCESS,
            None,
        ));
    };
    let Ok(text) = std::str::from_utf8(body) else {
        return Some(RemotingCommand::system_error(
            &request,
            "string2Properties error",
        ));
    };
    let props = config::properties::parse(text);
    let (rendered, path) = {
        let mut live = broker
            .live_config
            .write()
            .unwrap_or_else(|p| p.into_inner());
        let settings = &mut live.settings;
        let warnings = config::apply(
            &props,
            &mut [
                &mut settings.broker,
                &mut settings.server,
                &mut settings.client,
                &mut settings.store,
            ],
        );
        for w in warnings {
            tracing::warn!("updateBrokerConfig: {w}");
        }
        live.version.next_version();
        // Under the lock, so concurrent updates take effect in the order they were applied.
        broker.apply_live_settings(&live.settings);
        let rendered = live.settings.render_like_configuration();
        let path = live.file.clone().unwrap_or_else(|| {
            crate::store::metadata::config_dir(&broker.store_config.root_dir())
                .join("broker.properties")
        });
        (rendered, path)
    };
    tracing::info!("updateBrokerConfig, new config: {props:?}");
    let written = tokio::task::spawn_blocking(move || {
        crate::store::metadata::write_string(&path, &rendered)
            .map_err(|e| format!("{}: {e}", path.display()))
    })
    .await;
    if let Ok(Err(e)) | Err(e) = written.map_err(|e| e.to_string()) {
        // Java logs the failure and still answers SUCCESS: the live values did change.
        tracing::error!("persist broker config: {e}");
    }
    if props.iter().any(|(k, _)| k == "brokerPermission") {
        if let Err(e) = broker.topics.next_data_version() {
            tracing::error!("write topics.json: {e}");
        }
        broker.register_with_namesrvs_soon();
    }
    Some(RemotingCommand::response_to(
        &request,
        response_code::SUCCESS,
        None,
    ))
}
