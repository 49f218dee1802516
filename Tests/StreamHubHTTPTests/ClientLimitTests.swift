import StreamHubHTTP
import StreamHubTestSupport
import Testing

/// `--max-connections-per-ip`, `--max-connect-rate` and `--trusted-proxies`, with real viewers from
/// several loopback addresses.
@Suite(.timeLimit(.minutes(1))) struct ClientLimitTests {
    static func from(_ source: String, forwardedFor: String? = nil) -> TestViewer.Options {
        var options = TestViewer.Options()
        options.sourceAddress = source
        if let forwardedFor { options.extraHeaders = ["X-Forwarded-For: \(forwardedFor)"] }
        return options
    }

    @Test func anAddressHoldingItsLimitIsRefusedWhileOtherAddressesStillJoin() async throws {
        try await TestHub.run(TestHub.configuration { $0.hub.maxConnectionsPerIP = 2 }) { hub in
            let first = try await hub.join("s", Self.from("127.0.0.2"))
            _ = try await hub.join("s", Self.from("127.0.0.2"))
            let refused = try await TestViewer.connect(port: hub.port, path: "/api/v1/streams/s/ws", options: Self.from("127.0.0.2"))
            guard case .refused(let status, let headers, let body) = refused else { throw TestFailure("third viewer from 127.0.0.2 was let in") }
            #expect(status == 503)
            #expect(headers["retry-after"] == "5")
            #expect(body.contains("too many viewer connections from this address"))
            #expect(hub.observer.counts.rejected[.perIP] == 1)
            _ = try await hub.join("s", Self.from("127.0.0.3"))
            // A slot comes back when its viewer leaves.
            await first.close()
            _ = try await eventually("slot of 127.0.0.2 free again") { () async throws -> Bool? in
                guard case .upgraded = try await TestViewer.connect(port: hub.port, path: "/api/v1/streams/s/ws", options: Self.from("127.0.0.2"))
                else { return nil }
                return true
            }
        }
    }

    @Test func forwardedForCountsOnlyFromATrustedProxy() async throws {
        let configuration = TestHub.configuration {
            $0.hub.maxConnectionsPerIP = 1
            $0.edge.trustedProxies = TrustedProxies([TrustedProxies.Block("127.0.0.2/32")!])
        }
        try await TestHub.run(configuration) { hub in
            // Through the proxy, two different clients each get their slot; the proxy's own address holds none.
            _ = try await hub.join("s", Self.from("127.0.0.2", forwardedFor: "203.0.113.7"))
            _ = try await hub.join("s", Self.from("127.0.0.2", forwardedFor: "198.51.100.1, 127.0.0.2"))
            let again = try await TestViewer.connect(
                port: hub.port, path: "/api/v1/streams/s/ws", options: Self.from("127.0.0.2", forwardedFor: "203.0.113.7"))
            guard case .refused(503, _, _) = again else { throw TestFailure("203.0.113.7 got a second slot through the proxy") }
            // From an untrusted peer the header is ignored: spoofing a new address each time does not help.
            _ = try await hub.join("s", Self.from("127.0.0.3", forwardedFor: "192.0.2.1"))
            let spoofed = try await TestViewer.connect(
                port: hub.port, path: "/api/v1/streams/s/ws", options: Self.from("127.0.0.3", forwardedFor: "192.0.2.2"))
            guard case .refused(503, _, _) = spoofed else { throw TestFailure("a spoofed X-Forwarded-For from 127.0.0.3 was believed") }
            #expect(hub.observer.counts.rejected[.perIP] == 2)
        }
    }

    @Test func aBurstOfUpgradesBeyondTheConnectRateIsRefusedWithRetryAfter1() async throws {
        try await TestHub.run(TestHub.configuration { $0.hub.maxConnectRate = 5 }) { hub in
            let start = ContinuousClock.now
            let outcomes = try await withThrowingTaskGroup(of: TestViewer.Handshake.self) { group in
                for _ in 0..<60 { group.addTask { try await TestViewer.connect(port: hub.port, path: "/api/v1/streams/s/ws") } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            var upgraded = 0
            var refused = 0
            for outcome in outcomes {
                switch outcome {
                case .upgraded: upgraded += 1
                case .refused(let status, let headers, _):
                    #expect(status == 503 && headers["retry-after"] == "1")
                    refused += 1
                }
            }
            // The bucket starts full (5) and refills at 5 a second while the burst lasts.
            let elapsed = ContinuousClock.now - start
            let burstSeconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            #expect(upgraded >= 5 && upgraded <= 5 + Int(5 * burstSeconds) + 1, "\(upgraded) upgraded in \(elapsed)")
            #expect(refused > 0 && refused == 60 - upgraded)
            #expect(hub.observer.counts.rejected[.rate] ?? 0 == refused)
        }
    }
}
