import NIOCore
import Synchronization

/// `--max-connections-per-ip` and `--max-connect-rate`: what one client address, and all new
/// viewers together, may take of a node.
final class ClientLimits: Sendable {
    private let perAddress: Int?
    private let held = Mutex<[ClientAddress: Int]>([:])
    private let bucket: Mutex<TokenBucket>?

    init(perAddress: Int?, rate: Int?) {
        self.perAddress = perAddress
        self.bucket = rate.map { Mutex(TokenBucket(capacity: $0, now: .now())) }
    }

    /// Takes a viewer slot of `address` until `channel` closes; `false` when it holds its limit already.
    func takeSlot(of address: ClientAddress?, until channel: any Channel) -> Bool {
        guard let perAddress, let address else { return true }
        let taken = held.withLock { held in
            guard held[address, default: 0] < perAddress else { return false }
            held[address, default: 0] += 1
            return true
        }
        guard taken else { return false }
        channel.closeFuture.whenComplete { _ in
            self.held.withLock { held in
                let left = held[address, default: 1] - 1
                held[address] = left > 0 ? left : nil
            }
        }
        return true
    }

    /// Takes a token for one new viewer; `false` when this second's are spent.
    func takeConnectToken() -> Bool {
        bucket?.withLock { $0.take(now: .now()) } ?? true
    }
}

/// R tokens a second, bursts up to R; starts full.
struct TokenBucket: Sendable {
    let capacity: Int
    private var tokens: Double
    private var refilledAt: NIODeadline

    init(capacity: Int, now: NIODeadline) {
        self.capacity = capacity
        self.tokens = Double(capacity)
        self.refilledAt = now
    }

    mutating func take(now: NIODeadline) -> Bool {
        let elapsed = Double(max(0, (now - refilledAt).nanoseconds)) / 1e9
        tokens = min(Double(capacity), tokens + elapsed * Double(capacity))
        refilledAt = now
        guard tokens >= 1 else { return false }
        tokens -= 1
        return true
    }
}
