import Foundation
import Logging
import StreamHubCore

/// Writes one JSON object per log record to standard error: `ts`, `level`, `label`, `message` and the metadata.
struct JSONLogHandler: LogHandler {
    let label: String
    var logLevel = Logger.Level.info
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        write(level: event.level, message: event.message.description, metadata: metadata.merging(event.metadata ?? [:]) { $1 })
    }

    /// Writes one record, whatever the log level.
    func write(level: Logger.Level, message: String, metadata: Logger.Metadata = [:]) {
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("ts")
        writer.timestamp(.now())
        writer.key("level")
        writer.string(level.rawValue)
        writer.key("label")
        writer.string(label)
        writer.key("message")
        writer.string(message)
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) {
            writer.key(key)
            writer.string(value.description)
        }
        writer.endObject()
        FileHandle.standardError.write(Data(writer.bytes + [0x0A]))
    }
}
