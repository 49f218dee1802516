/// nginx-rtmp-module's `on_publish`, `on_publish_done` and `on_update` notifications
/// (`ngx_rtmp_notify_module.c`): form fields, each app-level call starting with `app`, `flashver`,
/// `swfurl`, `tcurl`, `pageurl`, `addr`, `clientid`, then `call` and its own fields, then the
/// broadcaster's query string.
public enum NginxRTMPCallback {
    /// The callback the fields describe. `call=done` (sent with `on_done` right before
    /// `publish_done`) and `update_play` are not about the publish: they read as ``IngestCall/other``.
    public static func parse(_ fields: FormFields) throws(IngestRefusal) -> IngestCallback {
        guard let call = fields["call"] else { throw .badRequest("no \"call\" field: not an nginx-rtmp notification") }
        let kind: IngestCall =
            switch call {
            case "publish": .publish
            case "publish_done": .publishDone
            case "update_publish": .update
            default: .other
            }
        return IngestCallback(server: .nginxRTMP, call: kind, app: fields["app"] ?? "", name: fields["name"] ?? "")
    }
}
