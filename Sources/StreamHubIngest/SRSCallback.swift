import StreamHubCore

/// SRS `http_hooks` (`srs_app_http_hooks.cpp`): a JSON object with `action`, `app`, `stream`, and
/// fields the hub does not use (`client_id`, a string since SRS 5 and an integer before; `ip`,
/// `vhost`, `param`, `tcUrl`, `server_id`, `service_id`, `stream_url`, `stream_id`).
public enum SRSCallback {
    /// The callback a hook's body describes: `on_publish` and `on_unpublish` are the publish's start
    /// and end; every other action (`on_play`, `on_stop`, `on_dvr`, `on_hls`, …) reads as ``IngestCall/other``.
    public static func parse(_ body: ArraySlice<UInt8>) throws(IngestRefusal) -> IngestCallback {
        let object: [JSONMember]?
        do {
            object = try JSONScanner.object(in: body)
        } catch {
            throw .badRequest("an SRS hook's body is not valid JSON: \(error)")
        }
        guard let members = object else { throw .badRequest("an SRS hook's body must be a JSON object") }
        /// The member's string; a member that is there but no string is refused.
        func string(_ key: String) throws(IngestRefusal) -> String? {
            guard let member = members.first(where: { $0.key == key }) else { return nil }
            guard let text = JSONScanner.string(member.value) else { throw .badRequest("\"\(key)\" must be a string") }
            return text
        }
        guard let action = try string("action") else { throw .badRequest("no \"action\" string: not an SRS hook") }
        let call: IngestCall =
            switch action {
            case "on_publish": .publish
            case "on_unpublish": .publishDone
            default: .other
            }
        return IngestCallback(server: .srs, call: call, app: try string("app") ?? "", name: try string("stream") ?? "")
    }
}
