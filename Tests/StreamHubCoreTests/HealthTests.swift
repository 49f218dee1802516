import Foundation
import Testing

@testable import StreamHubCore

@Suite struct AlertStateMachineTests {
    let start = ContinuousClock.now
    let wall = Timestamp(millisecondsSince1970: 1_000_000)

    @Test func firesAfterFailingForAlertForThenResolves() {
        var alert = AlertStateMachine(alertFor: .seconds(30), repeatInterval: .seconds(3600))
        #expect(alert.record(healthy: false, now: start, wallClock: wall) == nil)
        #expect(alert.record(healthy: false, now: start + .seconds(29), wallClock: wall) == nil)
        let firedAt = Timestamp(millisecondsSince1970: 1_030_000)
        #expect(alert.record(healthy: false, now: start + .seconds(30), wallClock: firedAt) == .fire(startsAt: firedAt))
        #expect(alert.isFiring)
        #expect(alert.record(healthy: false, now: start + .seconds(40), wallClock: wall) == nil)
        let endedAt = Timestamp(millisecondsSince1970: 1_050_000)
        #expect(alert.record(healthy: true, now: start + .seconds(50), wallClock: endedAt) == .resolve(startsAt: firedAt, endsAt: endedAt))
        #expect(!alert.isFiring)
    }

    @Test func recoveringWhilePendingSendsNothing() {
        var alert = AlertStateMachine(alertFor: .seconds(30), repeatInterval: .seconds(3600))
        _ = alert.record(healthy: false, now: start, wallClock: wall)
        #expect(alert.record(healthy: true, now: start + .seconds(10), wallClock: wall) == nil)
        #expect(alert.record(healthy: false, now: start + .seconds(35), wallClock: wall) == nil, "pending starts over")
    }

    @Test func firingAlertRepeatsEveryRepeatInterval() {
        var alert = AlertStateMachine(alertFor: .zero, repeatInterval: .seconds(60))
        #expect(alert.record(healthy: false, now: start, wallClock: wall) == .fire(startsAt: wall))
        #expect(alert.record(healthy: false, now: start + .seconds(59), wallClock: wall) == nil)
        #expect(alert.record(healthy: false, now: start + .seconds(60), wallClock: wall) == .repeatFiring(startsAt: wall))
    }
}

@Suite struct AlertPayloadTests {
    private func notification(_ status: AlertNotification.Status) -> AlertNotification {
        AlertNotification(
            check: .connectionsNearLimit, status: status, description: "9 of 10 connections (90%); threshold 90% of the effective limit",
            startsAt: Timestamp(millisecondsSince1970: 0), endsAt: status == .resolved ? Timestamp(millisecondsSince1970: 60_000) : nil,
            instance: "hub-1:8080", externalURL: "http://hub-1:8080"
        )
    }

    @Test func payloadHasEveryKeyAlertmanagerSends() throws {
        let payload = try #require(
            try JSONSerialization.jsonObject(with: Data(notification(.firing).alertmanagerPayload)) as? [String: Any]
        )
        #expect(
            Set(payload.keys) == [
                "version", "groupKey", "truncatedAlerts", "status", "receiver", "groupLabels", "commonLabels",
                "commonAnnotations", "externalURL", "alerts",
            ]
        )
        #expect(payload["version"] as? String == "4")
        let alert = try #require((payload["alerts"] as? [[String: Any]])?.first)
        #expect(Set(alert.keys) == ["status", "labels", "annotations", "startsAt", "endsAt", "generatorURL", "fingerprint"])
        #expect(alert["endsAt"] as? String == "0001-01-01T00:00:00Z")
        #expect(alert["startsAt"] as? String == "1970-01-01T00:00:00.000Z")
        let labels = try #require(alert["labels"] as? [String: String])
        #expect(
            labels == [
                "alertname": "StreamHubConnectionsNearLimit", "check": "connections_near_limit", "instance": "hub-1:8080", "severity": "critical",
            ])
        #expect((alert["fingerprint"] as? String)?.count == 16)
    }

    @Test func resolvedPayloadCarriesEndsAtAndTheSameFingerprint() throws {
        let resolved = try #require(try JSONSerialization.jsonObject(with: Data(notification(.resolved).alertmanagerPayload)) as? [String: Any])
        let alert = try #require((resolved["alerts"] as? [[String: Any]])?.first)
        #expect(resolved["status"] as? String == "resolved")
        #expect(alert["endsAt"] as? String == "1970-01-01T00:01:00.000Z")
        #expect(notification(.resolved).fingerprint == notification(.firing).fingerprint)
    }
}

@Suite struct LatencyWindowTests {
    let bounds: [Duration] = [.milliseconds(10), .milliseconds(100), .seconds(1)]

    @Test func quantileInterpolatesLikeHistogramQuantile() {
        // 100 observations: 90 in (0, 10ms], 10 in (10ms, 100ms]; rank 99 is 9/10 into the second bucket.
        let p99 = LatencyWindow.quantile(0.99, counts: [90, 10, 0, 0], bounds: bounds)
        #expect(p99 == .milliseconds(91))
        #expect(LatencyWindow.quantile(0.99, counts: [0, 0, 0, 5], bounds: bounds) == .seconds(1))
        #expect(LatencyWindow.quantile(0.99, counts: [0, 0, 0, 0], bounds: bounds) == nil)
    }

    @Test func eachTakeStartsANewWindow() {
        let window = LatencyWindow(bounds: bounds)
        window.record(.milliseconds(500))
        #expect(window.takeQuantile(0.99) != nil)
        #expect(window.takeQuantile(0.99) == nil)
    }
}
