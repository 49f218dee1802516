import Foundation
import StreamHubTestSupport
import Testing

/// The history's memory is what README states: history size × event size, per stream with a recent event.
@Suite(.timeLimit(.minutes(2))) struct HistoryMemoryTests {
    /// A `streamhub` process of its own, so its RSS is the hub's alone.
    @Test func aStreamHoldingAFullWindowOf64KiBEventsCostsTheWindowAndAResumeGetsItAll() async throws {
        let hub = try await HubProcess(["--history-size", "100"])
        defer { hub.terminate() }
        let client = HubClient(port: hub.port)
        let filler = String(repeating: "x", count: 64 * 1024 - 100)
        func publish(_ seq: Int) async throws -> [String: Any] {
            let body = #"{"event":"quality_changed","data":{"seq":\#(seq),"pad":"\#(filler)"}}"#
            let answer = try await client.request(.post, "/api/v1/streams/big/events", body: body, token: TestHub.token)
            guard answer.status == 202 else { throw TestFailure("publish answered \(answer.status): \(answer.body)") }
            return answer.json
        }
        for seq in 1...20 { _ = try await publish(seq) }  // warm up allocator and buffers
        let rssBefore = try hub.residentBytes()
        var epoch = ""
        for seq in 21...320 { epoch = try await publish(seq)["epoch"] as? String ?? "" }
        let growth = try hub.residentBytes() - rssBefore
        // 300 events (19 MiB) went through; the window holds 100 of them, each in a buffer of the
        // next power of two (128 KiB): README's bound, 12.5 MiB.
        #expect(growth < 100 * (128 << 10) + (2 << 20), "RSS grew \(growth >> 20) MiB")

        let viewer = try await TestViewer.resume(port: hub.port, stream: "big", since: 220, epoch: epoch)
        // stream_state carries the latest id too: wait for the replayed event of that id.
        let received = try await viewer.waitForMessages(timeout: .seconds(10)) { $0.last { $0.event == "quality_changed" }?.id == 320 }
        #expect(received.first?.data["recovered"] as? Bool == true)
        #expect(viewer.publishedEvents.map(\.id) == Array(221...320), "6.3 MB replayed past the 1 MiB queue limit")
        #expect(viewer.isConnected)
        await viewer.close()
    }
}
