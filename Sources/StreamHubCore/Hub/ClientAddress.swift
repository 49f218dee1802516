import NIOCore

/// A client's IP address, IPv4 addresses held in their IPv4-mapped IPv6 form so that each client has one key.
public struct ClientAddress: Hashable, Sendable, CustomStringConvertible {
    /// The 16 bytes of the IPv6 form, in network order.
    public let bytes: [UInt8]

    /// Reads an address such as `203.0.113.7` or `2001:db8::1`; `nil` for anything else.
    public init?(_ text: some StringProtocol) {
        guard let address = try? SocketAddress(ipAddress: String(text), port: 0) else { return nil }
        self.init(address)
    }

    /// The IP address of a socket address; `nil` for a Unix domain socket.
    public init?(_ address: SocketAddress) {
        switch address {
        // sockaddr_in holds the address at bytes 4..<8, sockaddr_in6 at 8..<24 (after family, port, flow info).
        case .v4(let v4):
            bytes = Array(repeating: 0, count: 10) + [0xFF, 0xFF] + withUnsafeBytes(of: v4.address) { Array($0[4..<8]) }
        case .v6(let v6):
            bytes = withUnsafeBytes(of: v6.address) { Array($0[8..<24]) }
        case .unixDomainSocket:
            return nil
        }
    }

    /// Whether it is an IPv4 address (IPv4-mapped).
    public var isIPv4: Bool { bytes.prefix(12) == [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF] }

    public var description: String {
        if isIPv4 { return bytes.suffix(4).map(String.init).joined(separator: ".") }
        return stride(from: 0, to: 16, by: 2).map { String(UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]), radix: 16) }.joined(separator: ":")
    }
}
