import NIOCore

/// What ``Hub/submit(_:to:)`` gives back: the receipt at once when this node numbered the event,
/// or its future while the broker numbers it.
public enum PublishOutcome: Sendable {
    case accepted(PublishReceipt)
    case numbering(EventLoopFuture<PublishReceipt>)
}
