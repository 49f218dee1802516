/// Why a publish was refused; each case names what was wrong.
public enum PublishError: Error, Equatable, CustomStringConvertible {
    case payloadTooLarge(bytes: Int, limit: Int)
    case malformedJSON(JSONSyntaxError)
    case notAnObject
    case missingEvent
    case eventNotAString
    case unknownEvent(String)
    case serverOnlyEvent(String)
    case dataNotAnObject

    public var description: String {
        switch self {
        case .payloadTooLarge(let bytes, let limit):
            "event body is \(bytes) bytes; the limit is \(limit)"
        case .malformedJSON(let error):
            "body is not valid JSON: \(error)"
        case .notAnObject:
            "body must be a JSON object: {\"event\": \"...\", \"data\": {...}}"
        case .missingEvent:
            "body has no \"event\" field"
        case .eventNotAString:
            "\"event\" must be a string"
        case .unknownEvent(let name):
            "unknown event \"\(name.prefix(64))\"; publishable events are "
                + PublishedEvent.allCases.map(\.rawValue).joined(separator: ", ")
        case .serverOnlyEvent(let name):
            "\"\(name)\" is sent by the hub itself and cannot be published"
        case .dataNotAnObject:
            "\"data\" must be a JSON object"
        }
    }
}
