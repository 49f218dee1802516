import Foundation
import StreamHubTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite(.timeLimit(.minutes(1))) struct PublisherBackpressureTests {
    /// A client that pipelines publishes and never reads their answers is no longer read once 64 KiB
    /// of answers wait for it: what the hub accepts stops growing, whatever the client keeps sending.
    ///
    /// The hub is a `streamhub` process of its own: the flood keeps its event loops busy for seconds,
    /// which would hold up the timers of the other tests' hubs on the shared loops of this process.
    @Test func aClientThatNeverReadsItsAnswersStopsBeingRead() async throws {
        let hub = try await HubProcess([])
        defer { hub.terminate() }
        let client = HubClient(port: hub.port)
        func answered() async throws -> Int { try await client.get("/api/v1/streams/flood").json["id"] as? Int ?? -1 }
        let rssBefore = try hub.residentBytes()
        let socket = try NonBlockingClient(port: hub.port, receiveBuffer: 4096)
        defer { socket.close() }
        let body = #"{"event":"stream_started"}"#
        let head = "POST /api/v1/streams/flood/events HTTP/1.1\r\nHost: h\r\nAuthorization: Bearer \(TestHub.token)\r\n"
        let request = Array("\(head)Content-Length: \(body.utf8.count)\r\n\r\n\(body)".utf8)
        var sent = 0
        var stalledSince: ContinuousClock.Instant?
        // Send until the hub has taken nothing for half a second (its socket buffers are full), at most 200,000 (26 MB).
        while sent < 200_000 {
            if socket.send(request) {
                sent += 1
                stalledSince = nil
            } else {
                if let since = stalledSince, ContinuousClock.now - since > .milliseconds(500) { break }
                stalledSince = stalledSince ?? .now
                try await Task.sleep(for: .milliseconds(5))
            }
        }
        // The hub works through what its socket buffer took, then stops.
        var accepted = 0
        var steadySince = ContinuousClock.now
        while ContinuousClock.now - steadySince < .milliseconds(500) {
            let now = try await answered()
            if now != accepted { (accepted, steadySince) = (now, .now) }
            try await Task.sleep(for: .milliseconds(20))
        }
        // What was answered fits in 64 KiB queued in the hub plus what the kernel holds for the
        // connection (its send buffer grows up to tcp_wmem's maximum) plus one read: each answer
        // is over 150 bytes.
        let kernelSendBuffer =
            try String(contentsOfFile: "/proc/sys/net/ipv4/tcp_wmem", encoding: .utf8)
            .split(whereSeparator: \.isWhitespace).last.flatMap { Int($0) } ?? (4 << 20)
        let bound = (kernelSendBuffer + 3 * 64 * 1024) / 150
        #expect(accepted > 0 && accepted < bound, "\(accepted) publishes answered of \(sent) sent; at most \(bound) fit the buffers")
        // Memory follows what is held, not what is sent: 64 KiB of answers, one read, the accepted events.
        let growth = try hub.residentBytes() - rssBefore
        #expect(growth < 32 << 20, "the hub's RSS grew \(growth >> 20) MiB")
    }
}

/// A TCP connection on loopback whose writes never block and which never reads.
private struct NonBlockingClient {
    let descriptor: CInt

    init(port: Int, receiveBuffer: CInt) throws {
        descriptor = Glibc.socket(AF_INET, CInt(SOCK_STREAM.rawValue), 0)
        var size = receiveBuffer
        setsockopt(descriptor, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<CInt>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw TestFailure("cannot connect to 127.0.0.1:\(port)") }
        _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK)
    }

    /// Sends all of `bytes` or none (a request is never cut); `false` when the socket has no room.
    func send(_ bytes: [UInt8]) -> Bool {
        var room: CInt = 0
        var length = socklen_t(MemoryLayout<CInt>.size)
        getsockopt(descriptor, SOL_SOCKET, SO_SNDBUF, &room, &length)
        var queued: CInt = 0
        _ = ioctl(descriptor, UInt(TIOCOUTQ), &queued)
        guard Int(room - queued) > bytes.count * 2 else { return false }
        let written = bytes.withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, CInt(MSG_NOSIGNAL)) }
        return written == bytes.count
    }

    func close() { _ = Glibc.close(descriptor) }
}
