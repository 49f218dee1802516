/// One alert notification, as the monitor hands it to an ``AlertSink``.
public struct AlertNotification: Sendable, Equatable {
    public enum Status: String, Sendable, CaseIterable {
        case firing
        case resolved
    }

    public let check: HealthCheck
    public let status: Status
    /// The measured value and the threshold, in a sentence.
    public let description: String
    public let startsAt: Timestamp
    /// `nil` while firing.
    public let endsAt: Timestamp?
    /// The node, as the `instance` label.
    public let instance: String
    /// Where the node can be reached, for `externalURL` and `generatorURL`.
    public let externalURL: String

    public var labels: [(String, String)] {
        [("alertname", check.alertName), ("check", check.rawValue), ("instance", instance), ("severity", check.severity)]
    }
}

extension AlertNotification {
    /// The Alertmanager webhook payload (version 4) for this notification, with every key Alertmanager sends.
    public var alertmanagerPayload: [UInt8] {
        var writer = JSONWriter(capacity: 1024)
        func object(_ pairs: [(String, String)]) {
            writer.beginObject()
            for (key, value) in pairs {
                writer.key(key)
                writer.string(value)
            }
            writer.endObject()
        }
        let annotations = [("description", description), ("summary", check.summary)]
        writer.beginObject()
        writer.key("version")
        writer.string("4")
        writer.key("groupKey")
        writer.string(#"{}:{alertname="\#(check.alertName)"}"#)
        writer.key("truncatedAlerts")
        writer.integer(0)
        writer.key("status")
        writer.string(status.rawValue)
        writer.key("receiver")
        writer.string("streamhub")
        writer.key("groupLabels")
        object([("alertname", check.alertName)])
        writer.key("commonLabels")
        object(labels)
        writer.key("commonAnnotations")
        object(annotations)
        writer.key("externalURL")
        writer.string(externalURL)
        writer.key("alerts")
        writer.beginArray()
        writer.beginObject()
        writer.key("status")
        writer.string(status.rawValue)
        writer.key("labels")
        object(labels)
        writer.key("annotations")
        object(annotations)
        writer.key("startsAt")
        writer.timestamp(startsAt)
        writer.key("endsAt")
        if let endsAt { writer.timestamp(endsAt) } else { writer.string("0001-01-01T00:00:00Z") }
        writer.key("generatorURL")
        writer.string(externalURL + "/readyz")
        writer.key("fingerprint")
        writer.string(fingerprint)
        writer.endObject()
        writer.endArray()
        writer.endObject()
        return writer.bytes
    }

    /// 16 hex digits identifying the alert by its labels (FNV-1a), stable across notifications.
    public var fingerprint: String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for (name, value) in labels {
            for byte in name.utf8 + [0xFF] + value.utf8 + [0xFF] {
                hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
            }
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
