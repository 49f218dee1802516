import Crypto
import Foundation
import StreamHubCore
import StreamHubHTTP
import StreamHubTestSupport
import Testing

@Suite(.timeLimit(.minutes(1))) struct HealthAlertTests {
    /// Health checks every 100 ms, alerts after 300 ms, retries after 50 ms.
    private static func configuration(
        webhook: String,
        secret: String? = nil,
        maxConnections: Int = 1000,
        edit: (inout StreamHubConfiguration) -> Void = { _ in }
    ) -> StreamHubConfiguration {
        TestHub.configuration {
            $0.hub.maxConnections = maxConnections
            $0.health.interval = .milliseconds(100)
            $0.health.alertFor = .milliseconds(300)
            $0.health.webhookURLs = [webhook]
            $0.health.webhookSecret = secret
            $0.health.webhookRetryBase = .milliseconds(50)
            $0.health.webhookMaxAttempts = 3
            $0.health.webhookTimeout = .seconds(2)
            $0.nodeName = "hub-test"
            edit(&$0)
        }
    }

    @Test func nearTheConnectionLimitFiresThenResolvesWithAlertmanagerPayloads() async throws {
        try await WebhookReceiver.run { receiver in
            try await TestHub.run(Self.configuration(webhook: receiver.url, maxConnections: 10)) { hub in
                var viewers: [TestViewer] = []
                for _ in 0..<9 { viewers.append(try await hub.join("s")) }
                let firing = try await receiver.waitFor("firing notification") { $0.contains { $0.status == "firing" } }
                let payload = try #require(firing.first { $0.status == "firing" })
                #expect(payload.alertName == "StreamHubConnectionsNearLimit")
                #expect(payload.headers["content-type"] == "application/json")
                #expect(payload.json["version"] as? String == "4")
                for key in ["groupKey", "truncatedAlerts", "receiver", "groupLabels", "commonLabels", "commonAnnotations", "externalURL"] {
                    #expect(payload.json[key] != nil, "\(key) missing")
                }
                let labels = payload.alert["labels"] as? [String: String]
                #expect(labels?["instance"] == "hub-test" && labels?["severity"] == "critical" && labels?["check"] == "connections_near_limit")
                let description = (payload.alert["annotations"] as? [String: String])?["description"] ?? ""
                #expect(description.contains("9 of 10") && description.contains("90%"), "\(description)")
                #expect(payload.alert["endsAt"] as? String == "0001-01-01T00:00:00Z")

                let ready = try await hub.request(.get, "/readyz")
                #expect(ready.status == 200, "a failing check does not take the node out of the load balancer")
                let failing = ready.json["failing_checks"] as? [[String: Any]]
                #expect(failing?.first?["check"] as? String == "connections_near_limit")
                var scrape = try await hub.scrape()
                #expect(scrape.value("streamhub_health_check_status", ["check": "connections_near_limit"]) == 0)
                #expect(scrape.value("streamhub_health_alert_firing", ["check": "connections_near_limit"]) == 1)
                #expect(scrape.value("streamhub_health_check_status", ["check": "broadcast_latency"]) == 1)
                #expect(scrape.value("streamhub_health_check_status", ["check": "cluster_link"]) == nil, "no cluster on a single node")

                for viewer in viewers.prefix(5) { await viewer.close() }
                let resolved = try await receiver.waitFor("resolved notification") { $0.contains { $0.status == "resolved" } }
                let end = try #require(resolved.first { $0.status == "resolved" })
                #expect(end.alert["fingerprint"] as? String == payload.alert["fingerprint"] as? String)
                #expect(isRFC3339Milliseconds(end.alert["endsAt"]))
                #expect((try await hub.request(.get, "/readyz").json["failing_checks"] as? [Any])?.isEmpty == true)
                scrape = try await hub.scrape()
                #expect(scrape.value("streamhub_health_alert_firing", ["check": "connections_near_limit"]) == 0)
                #expect(scrape.value("streamhub_alert_notifications_total", ["status": "firing", "result": "delivered"]) == 1)
                #expect(scrape.value("streamhub_alert_notifications_total", ["status": "resolved", "result": "delivered"]) == 1)
            }
        }
    }

    @Test func signedNotificationsVerifyAndAReplayedTimestampIsDetectable() async throws {
        let secret = "webhook-secret"
        try await WebhookReceiver.run { receiver in
            try await TestHub.run(Self.configuration(webhook: receiver.url, secret: secret, maxConnections: 1)) { hub in
                let viewer = try await hub.join("s")
                let received = try await receiver.waitFor("a notification") { !$0.isEmpty }
                let request = received[0]
                let header = try #require(request.headers["x-streamhub-signature"])
                #expect(verify(header, body: request.body, secret: secret, now: Date()))
                #expect(!verify(header, body: request.body, secret: "wrong", now: Date()))
                #expect(!verify(header, body: request.body + Data(" ".utf8), secret: secret, now: Date()))
                #expect(!verify(header, body: request.body, secret: secret, now: Date().addingTimeInterval(600)), "replayed 10 minutes later")
                _ = viewer
            }
        }
    }

    @Test func receiverErrorsAreRetriedThenCountedWhileViewersKeepReceiving() async throws {
        try await WebhookReceiver.run(.status(503)) { receiver in
            try await TestHub.run(Self.configuration(webhook: receiver.url, maxConnections: 1)) { hub in
                let viewer = try await hub.join("s")
                _ = try await receiver.waitFor("3 attempts") { $0.count >= 3 }
                try await eventually("failure counted") {
                    try await hub.scrape().value("streamhub_alert_notifications_total", ["status": "firing", "result": "failed"]) == 1 ? true : nil
                }
                #expect(receiver.received.count == 3, "maxAttempts bounds the retries")
                try await hub.publish("s", "stream_started")
                _ = try await viewer.waitFor("stream_started")
            }
        }
    }

    @Test func a4xxAnswerIsFinal() async throws {
        try await WebhookReceiver.run(.status(400)) { receiver in
            try await TestHub.run(Self.configuration(webhook: receiver.url, maxConnections: 1)) { hub in
                _ = try await hub.join("s")
                try await eventually("failure counted") {
                    try await hub.scrape().value("streamhub_alert_notifications_total", ["status": "firing", "result": "failed"]) == 1 ? true : nil
                }
                #expect(receiver.received.count == 1)
            }
        }
    }

    @Test func receiverThatIsDownCountsAsFailed() async throws {
        let closedPort = try freePort()
        try await TestHub.run(Self.configuration(webhook: "http://127.0.0.1:\(closedPort)/hook", maxConnections: 1)) { hub in
            let viewer = try await hub.join("s")
            try await eventually("failure counted") {
                try await hub.scrape().value("streamhub_alert_notifications_total", ["status": "firing", "result": "failed"]) == 1 ? true : nil
            }
            try await hub.publish("s", "stream_started")
            _ = try await viewer.waitFor("stream_started")
        }
    }

    @Test func hangingReceiverDoesNotDelayBroadcasts() async throws {
        try await WebhookReceiver.run(.hang) { receiver in
            let webhookTimeout = Duration.seconds(20)
            try await TestHub.run(Self.configuration(webhook: receiver.url, maxConnections: 3) { $0.health.webhookTimeout = webhookTimeout }) { hub in
                var viewers: [TestViewer] = []
                for _ in 0..<3 { viewers.append(try await hub.join("s")) }
                _ = try await receiver.waitFor("the notification to hang") { !$0.isEmpty }
                let clock = ContinuousClock()
                let start = clock.now
                for index in 1...20 {
                    try await hub.publish("s", "quality_changed", data: #"{"n":\#(index)}"#)
                    for viewer in viewers { _ = try await viewer.waitFor("quality_changed", count: index) }
                }
                // Had a broadcast waited for the hanging POST, the first alone would have taken the webhook's timeout.
                #expect(clock.now - start < webhookTimeout, "20 events took \(clock.now - start) while the webhook hung")
            }
        }
    }
}

/// What a receiver does with `X-StreamHub-Signature`: recompute the HMAC and refuse old timestamps.
private func verify(_ header: String, body: Data, secret: String, now: Date, tolerance: TimeInterval = 300) -> Bool {
    let parts = Dictionary(
        uniqueKeysWithValues: header.split(separator: ",").map { pair -> (String, String) in
            let kv = pair.split(separator: "=", maxSplits: 1)
            return (String(kv[0]), String(kv.count > 1 ? kv[1] : ""))
        })
    guard let timestamp = parts["t"], let seconds = TimeInterval(timestamp), let signature = parts["v1"] else { return false }
    guard abs(now.timeIntervalSince1970 - seconds) <= tolerance else { return false }
    let mac = HMAC<SHA256>.authenticationCode(for: Data("\(timestamp).".utf8) + body, using: SymmetricKey(data: Data(secret.utf8)))
    return mac.map { String(format: "%02x", $0) }.joined() == signature
}
