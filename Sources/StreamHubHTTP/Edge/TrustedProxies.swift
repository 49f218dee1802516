import NIOCore
import StreamHubCore

/// The proxies whose `X-Forwarded-For` the hub believes (`--trusted-proxies`), and the client
/// address it makes of a request.
public struct TrustedProxies: Sendable {
    /// One CIDR block, as `10.0.0.0/8` or `2001:db8::/32`; an address alone is a single host.
    public struct Block: Sendable, Equatable {
        let network: [UInt8]
        let prefixLength: Int

        /// `nil` when `text` is not a CIDR block.
        public init?(_ text: some StringProtocol) {
            let parts = text.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count <= 2, let address = ClientAddress(parts[0]) else { return nil }
            let maxLength = address.isIPv4 ? 32 : 128
            guard let length = parts.count == 2 ? Int(parts[1]) : maxLength, (0...maxLength).contains(length) else { return nil }
            network = address.bytes
            prefixLength = address.isIPv4 ? length + 96 : length
        }

        func contains(_ address: ClientAddress) -> Bool {
            var remaining = prefixLength
            for (mine, theirs) in zip(network, address.bytes) where remaining > 0 {
                let bits = min(8, remaining)
                let mask = UInt8(truncatingIfNeeded: 0xFF << (8 - bits))
                guard mine & mask == theirs & mask else { return false }
                remaining -= bits
            }
            return true
        }
    }

    public let blocks: [Block]

    public init(_ blocks: [Block] = []) {
        self.blocks = blocks
    }

    /// Whether `address` is one of the trusted proxies.
    public func trusts(_ address: ClientAddress) -> Bool {
        blocks.contains { $0.contains(address) }
    }

    /// The client behind a request from `peer`: the peer itself, or, when the peer is a trusted
    /// proxy, the right-most address of `X-Forwarded-For` (all its header lines, in order) that is
    /// not a trusted proxy, the left-most when all are; the peer when the header is missing or unreadable.
    public func client(peer: ClientAddress?, forwardedFor: [String]) -> ClientAddress? {
        guard let peer, !blocks.isEmpty, trusts(peer), !forwardedFor.isEmpty else { return peer }
        var chain: [ClientAddress] = []
        for line in forwardedFor {
            for entry in line.split(separator: ",") {
                guard let address = ClientAddress(entry.trimmed()) else { return peer }
                chain.append(address)
            }
        }
        return chain.last { !trusts($0) } ?? chain.first ?? peer
    }
}

extension Substring {
    /// Without leading and trailing spaces and tabs.
    fileprivate func trimmed() -> Substring {
        let blank: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let start = firstIndex(where: { !blank($0) }), let end = lastIndex(where: { !blank($0) }) else { return "" }
        return self[start...end]
    }
}
