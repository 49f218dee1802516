import Foundation
import NIOPosix
import StreamHubCore
import StreamHubTestSupport
import Synchronization
import Testing

@Suite(.timeLimit(.minutes(1))) struct ViewerEventTests {
    @Test func newViewerGetsStreamStateOfAnUnseenStream() async throws {
        try await TestHub.run { hub in
            let viewer = try await hub.join("match-42")
            let state = try await viewer.waitFor("stream_state")
            #expect(state.id == 0)
            #expect(state.data["stream_id"] as? String == "match-42")
            #expect(state.data["status"] as? String == "offline")
            #expect(state.data["viewer_count"] as? Int == 1)
            #expect(state.data["peak_viewers"] as? Int == 1)
            #expect(state.data["quality"] is NSNull)
            #expect(isRFC3339Milliseconds(state.data["timestamp"]))
            #expect(viewer.messages.first?.event == "stream_state")
        }
    }

    /// In the `streamhub` binary, HTTP handlers run on the event loops themselves.
    @Test func eventsPublishedOnTheViewersEventLoopsArriveInOrder() async throws {
        try await TestHub.run { hub in
            let viewer = try await hub.join("s")
            _ = try await viewer.waitFor("stream_state")
            let loops = Array(MultiThreadedEventLoopGroup.singleton.makeIterator())
            for seq in 1...20 {
                let request = try PublishRequest(body: Array(#"{"event":"quality_changed","data":{"seq":\#(seq)}}"#.utf8)[...])
                let loop = loops[seq % loops.count]
                let receipt = try await loop.flatSubmit { hub.hub.publish(request, to: StreamID("s")!, on: loop) }.get()
                #expect(receipt.eventID == UInt64(seq))
            }
            let received = try await viewer.waitFor("quality_changed", count: 20)
            #expect(received.id == 20)
            let seqs = viewer.messages.filter { $0.event == "quality_changed" }.map { ($0.data["seq"] as? Int) ?? 0 }
            #expect(seqs == Array(1...20))
        }
    }

    @Test func eventsCarryIncreasingIDsAndForwardPublisherFieldsUnchanged() async throws {
        try await TestHub.run { hub in
            let viewer = try await hub.join("s1")
            _ = try await viewer.waitFor("stream_state")
            let answer = try await hub.publish("s1", "stream_started", data: #"{"title":"Final","stream_id":"spoofed","nested":{"a":[1,2.50,true]}}"#)
            #expect(answer.json["id"] as? Int == 1)
            #expect(answer.json["stream_id"] as? String == "s1")
            #expect(answer.json["viewers_local"] as? Int == 1)
            #expect(answer.json["cluster"] as? String == "disabled")
            #expect(isRFC3339Milliseconds(answer.json["timestamp"]))
            try await hub.publish("s1", "quality_changed", data: #"{"quality":"1080p","bitrate_kbps":6000}"#)
            try await hub.publish("s1", "stream_ended", data: #"{"reason":"done","peak_viewers":999}"#)

            let started = try await viewer.waitFor("stream_started")
            #expect(started.id == 1)
            #expect(started.text.contains(#""nested":{"a":[1,2.50,true]}"#), "publisher JSON is forwarded byte for byte")
            #expect(started.data["stream_id"] as? String == "s1", "the hub overwrites stream_id")
            #expect(started.data["title"] as? String == "Final")
            #expect(isRFC3339Milliseconds(started.data["timestamp"]))
            let quality = try await viewer.waitFor("quality_changed")
            #expect(quality.id == 2)
            #expect(quality.data["bitrate_kbps"] as? Int == 6000)
            let ended = try await viewer.waitFor("stream_ended")
            #expect(ended.id == 3)
            #expect(ended.data["peak_viewers"] as? Int == 1, "the hub sets the peak since stream_started")
            #expect(ended.data["reason"] as? String == "done")
            let published = viewer.messages.filter { $0.event != "viewer_count_changed" && $0.event != "stream_state" }
            #expect(published.map(\.id) == [1, 2, 3])
        }
    }

    @Test func stateFollowsLiveQualityAndEndedAndPeakResetsOnStart() async throws {
        try await TestHub.run { hub in
            let first = try await hub.join("s2")
            let second = try await hub.join("s2")
            _ = try await second.waitFor("stream_state")
            await second.close()
            try await eventually("second viewer left") { hub.hub.state(of: .init("s2")!).viewerCount == 1 ? true : nil }
            try await hub.publish("s2", "stream_started")
            try await hub.publish("s2", "quality_changed", data: #"{"quality":"720p"}"#)
            let live = try await hub.request(.get, "/api/v1/streams/s2", token: nil)
            #expect(live.status == 200)
            #expect(live.json["status"] as? String == "live")
            #expect(live.json["peak_viewers"] as? Int == 1, "stream_started resets the peak to the current count")
            #expect((live.json["quality"] as? [String: Any])?["quality"] as? String == "720p")
            #expect(live.json["id"] as? Int == 2)

            try await hub.publish("s2", "stream_ended")
            let late = try await hub.join("s2")
            let state = try await late.waitFor("stream_state")
            #expect(state.id == 3)
            #expect(state.data["status"] as? String == "ended")
            #expect((state.data["quality"] as? [String: Any])?["quality"] as? String == "720p", "ending keeps the quality")
            #expect(state.data["viewer_count"] as? Int == 2)
            _ = first
        }
    }

    /// The join invariant (`JoinCursor`): after its `stream_state` with id N, a viewer gets every event above N once, in order.
    @Test func viewersJoiningWhileEventsArePublishedGetEveryLaterEventOnceInOrder() async throws {
        try await TestHub.run { hub in
            let stream = StreamID("busy")!
            let joinsDone = Atomic<Bool>(false)
            let loops = Array(MultiThreadedEventLoopGroup.singleton.makeIterator())
            let publisher = Task {
                var published: UInt64 = 0
                var afterJoins = 0
                while afterJoins < 20 {
                    if joinsDone.load(ordering: .relaxed) { afterJoins += 1 }
                    let request = try PublishRequest(body: Array(#"{"event":"quality_changed","data":{"n":\#(published)}}"#.utf8)[...])
                    let loop = loops[Int(published) % loops.count]
                    published = try await loop.flatSubmit { hub.hub.publish(request, to: stream, on: loop) }.get().eventID
                    if published % 2 == 0 { try await Task.sleep(for: .milliseconds(1)) }
                }
                return published
            }
            try await eventually("publishing started") { hub.hub.state(of: stream).lastEventID > 0 ? true : nil }
            let viewers = try await withThrowingTaskGroup(of: TestViewer.self) { group in
                for _ in 0..<20 { group.addTask { try await hub.join("busy") } }
                var viewers: [TestViewer] = []
                for try await viewer in group { viewers.append(viewer) }
                return viewers
            }
            for viewer in viewers { _ = try await viewer.waitFor("stream_state") }
            joinsDone.store(true, ordering: .relaxed)
            let last = Int(try await publisher.value)
            for viewer in viewers {
                let messages = try await viewer.waitForMessages { $0.contains { $0.event == "quality_changed" && $0.id == last } }
                let joinedAt = messages[0].id
                #expect(messages[0].event == "stream_state")
                #expect(joinedAt >= 1 && joinedAt < last, "joined mid-stream: stream_state id \(joinedAt) of \(last)")
                let ids = messages.filter { $0.event == "quality_changed" }.map(\.id)
                #expect(
                    ids == Array(stride(from: joinedAt + 1, through: last, by: 1)), "each event after stream_state's id \(joinedAt), once, in order")
            }
        }
    }

    @Test func stateOfAStreamWithoutViewersOrEventsIsForgottenAfterTheTTL() async throws {
        try await TestHub.run(TestHub.configuration { $0.hub.streamStateTTL = .seconds(3) }) { hub in
            try await hub.publish("short", "stream_started")
            #expect(try await hub.request(.get, "/api/v1/streams/short").json["status"] as? String == "live")
            try await eventually(timeout: .seconds(10), "state forgotten") {
                try await hub.request(.get, "/api/v1/streams/short").json["status"] as? String == "offline" ? true : nil
            }
        }
    }

    @Test func listingStreamsNeedsTheTokenAndIsBusiestFirst() async throws {
        try await TestHub.run { hub in
            var viewers: [TestViewer] = []
            for _ in 0..<3 { viewers.append(try await hub.join("big")) }
            viewers.append(try await hub.join("small"))
            try await eventually("joins counted") { hub.hub.connections == 4 && hub.hub.activeStreams == 2 ? true : nil }

            #expect(try await hub.request(.get, "/api/v1/streams", token: nil).status == 401)
            let all = try await hub.request(.get, "/api/v1/streams")
            let streams = all.json["streams"] as? [[String: Any]] ?? []
            #expect(streams.map { $0["stream_id"] as? String } == ["big", "small"])
            #expect(streams.first?["viewer_count"] as? Int == 3)
            let top = try await hub.request(.get, "/api/v1/streams?limit=1").json["streams"] as? [[String: Any]]
            #expect(top?.count == 1)
            let bad = try await hub.request(.get, "/api/v1/streams?limit=zero")
            #expect(bad.status == 400)
            #expect((bad.json["error"] as? String)?.contains("limit") == true)
        }
    }
}

func isRFC3339Milliseconds(_ value: Any?) -> Bool {
    guard let text = value as? String else { return false }
    return text.wholeMatch(of: /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z/) != nil
}
