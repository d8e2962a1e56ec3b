//! UPDATE_NAMESRV_CONFIG (318): the body is properties text; known keys are applied and the
//! whole configuration is persisted to `configStorePath`. The two path keys may not be changed.

use super::{success, HandlerResult, RequestContext};
use crate::config::properties;
use crate::namesrv::kv_config::write_file_safely;
use crate::namesrv::Namesrv;
use crate::remoting::code::response_code;
use crate::remoting::RemotingCommand;

pub(super) fn handle(
    ns: &Namesrv,
    ctx: &RequestContext,
    request: &RemotingCommand,
) -> HandlerResult {
    tracing::info!(client = %ctx.remote_addr, "updateConfig called");
    let Some(body) = request.body.as_deref() else {
        return Ok(success(request));
    };
    let props = properties::parse(&String::from_utf8_lossy(body));
    if props
        .iter()
        .any(|(k, _)| k == "kvConfigPath" || k == "configStorePath")
    {
        return Ok(RemotingCommand::response_to(
            request,
            response_code::NO_PERMISSION,
            Some("Can not update config path".to_string()),
        ));
    }
    let (content, path) = {
        let mut settings = ns.settings_mut();
        settings.update(&props);
        (
            settings.format_all(),
            settings.namesrv.config_store_path.clone(),
        )
    };
    if let Err(e) = write_file_safely(std::path::Path::new(&path), &content) {
        tracing::error!(path = %path, error = %e, "persist NameServer config failed");
    }
    Ok(success(request))
}
