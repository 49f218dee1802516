import NIOCore
import NIOPosix

/// Opens viewer connections at a bounded rate, spreading them over streams and source addresses.
struct ViewerPool: Sendable {
    let group: MultiThreadedEventLoopGroup
    /// One record per loop, by the loop's identity.
    let records: [ObjectIdentifier: LoopRecord]
    let totals = BenchTotals()

    init(group: MultiThreadedEventLoopGroup) {
        self.group = group
        var records: [ObjectIdentifier: LoopRecord] = [:]
        for loop in group.makeIterator() { records[ObjectIdentifier(loop)] = LoopRecord() }
        self.records = records
    }

    /// Opens `count` viewers; viewer `i` watches stream `i % streams`. Returns how many upgraded.
    /// - Parameters:
    ///   - url: Where viewer `stream` connects: host, port and path.
    ///   - sources: Local addresses to bind, round robin (`127.0.0.2`...); none binds nothing.
    ///   - tokens: Viewer `i`'s token (`token=` in its query) is `tokens[i % tokens.count]`; none sends none.
    func open(
        count: Int, streams: Int, rate: Int, url: @escaping (Int) -> (host: String, port: Int, path: String), sources: [String],
        tokens: [String] = []
    ) async -> (opened: Int, failures: [String]) {
        var opened = 0
        var failures: [String: Int] = [:]
        let batch = max(1, rate / 100)
        let clock = ContinuousClock()
        let start = clock.now
        await withTaskGroup(of: String?.self) { tasks in
            var inFlight = 0
            for index in 0..<count {
                if index > 0, index % batch == 0 {
                    try? await clock.sleep(until: start + .seconds(Double(index) / Double(rate)))
                }
                // Bound the handshakes in flight so a slow server is not buried under SYNs.
                while inFlight >= 2_000, let result = await tasks.next() {
                    inFlight -= 1
                    if let failure = result { failures[failure, default: 0] += 1 } else { opened += 1 }
                }
                var target = url(index % streams)
                if !tokens.isEmpty { target.path += (target.path.contains("?") ? "&" : "?") + "token=" + tokens[index % tokens.count] }
                let source = sources.isEmpty ? nil : sources[index % sources.count]
                inFlight += 1
                tasks.addTask {
                    do {
                        try await connect(stream: index % streams, host: target.host, port: target.port, path: target.path, source: source)
                        return nil
                    } catch {
                        return "\(error)"
                    }
                }
            }
            for await result in tasks {
                if let failure = result { failures[failure, default: 0] += 1 } else { opened += 1 }
            }
        }
        return (opened, failures.sorted { $0.value > $1.value }.map { "\($0.value) × \($0.key)" })
    }

    private func connect(stream: Int, host: String, port: Int, path: String, source: String?) async throws {
        let loop = group.next()
        let record = records[ObjectIdentifier(loop)]!
        let upgraded = loop.makePromise(of: Void.self)
        var request = "GET \(path) HTTP/1.1\r\nHost: \(host):\(port)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        request += "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        let requestBytes = ByteBuffer(string: request)
        var bootstrap = ClientBootstrap(group: loop)
            .connectTimeout(.seconds(10))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelOption(.recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 1024, maximum: 65536))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        BenchViewer(stream: stream, request: requestBytes, record: record, totals: totals, upgraded: upgraded))
                }
            }
        if let source { bootstrap = bootstrap.bind(to: try SocketAddress(ipAddress: source, port: 0)) }
        do {
            _ = try await bootstrap.connect(host: host, port: port).get()  // the viewer sends its upgrade request
        } catch {
            upgraded.fail(error)
            throw error
        }
        try await upgraded.futureResult.get()
    }

    /// Every open viewer's counts, and all deliveries with their receive times; call after the run.
    func collect() async throws -> (viewers: [ViewerSummary], receipts: [(seq: Int, at: UInt64)]) {
        var viewers: [ViewerSummary] = []
        var receipts: [(Int, UInt64)] = []
        for loop in group.makeIterator() {
            let record = records[ObjectIdentifier(loop)]!
            let (loopViewers, loopReceipts) = try await loop.submit { (record.viewers.map(\.summary), record.receipts) }.get()
            viewers += loopViewers
            receipts += loopReceipts
        }
        return (viewers, receipts)
    }
}
