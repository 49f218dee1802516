import StreamHubCore
import Synchronization

/// The hub a ``ClusterNode`` serves, set once when the hub attaches its broker.
final class AttachedHub: Sendable {
    private let slot = Mutex<BrokerContext?>(nil)

    func attach(_ context: BrokerContext) {
        slot.withLock { $0 = context }
    }

    /// `nil` only before the hub was built.
    var context: BrokerContext? { slot.withLock { $0 } }
}
