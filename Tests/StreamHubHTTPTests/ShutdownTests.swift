import Foundation
import StreamHubTestSupport
import Testing

@Suite(.timeLimit(.minutes(1))) struct ShutdownTests {
    @Test func sigtermRefusesNewViewersDuringTheDelayThenClosesViewersWith1001AndExitsZero() async throws {
        let hub = try await HubProcess(["--shutdown-delay", "1s", "--shutdown-grace", "4s"])
        let target = HubClient(port: hub.port)
        var viewers: [TestViewer] = []
        for _ in 0..<20 { viewers.append(try await TestViewer.join(port: hub.port, stream: "s")) }
        #expect(try await target.get("/readyz").status == 200)
        // A publisher's kept-alive connection, idle after its answer, is closed when the hub stops listening.
        let publisher = try await RawTCPClient.connect(port: hub.port)
        try await publisher.send(HTTPTimeoutTests.publish)
        try await eventually("the publish answered") { publisher.received.count > 0 ? true : nil }

        let clock = ContinuousClock()
        let signalled = clock.now
        hub.terminate()
        _ = try await eventually("readyz 503") { try await target.get("/readyz").status == 503 ? true : nil }
        switch try await TestViewer.connect(port: hub.port, path: "/api/v1/streams/s/ws") {
        case .upgraded: Issue.record("a new viewer was accepted while draining")
        case .refused(let status, let headers, _):
            #expect(status == 503)
            #expect(headers["retry-after"] != nil)
        }
        let stillConnected = viewers.filter { $0.isConnected }.count
        #expect(stillConnected == viewers.count, "viewers stay connected during --shutdown-delay")

        for viewer in viewers { try await viewer.waitUntilClosed(timeout: .seconds(4)) }
        #expect(clock.now - signalled >= .seconds(1))
        #expect(viewers.map(\.closeCode) == Array(repeating: 1001, count: viewers.count))
        try await publisher.waitUntilClosed(timeout: .seconds(4))
        #expect(try await hub.exitStatus(timeout: .seconds(5)) == 0)
        #expect(clock.now - signalled < .seconds(4))
        #expect(hub.log.contains("Draining"))
    }
}
