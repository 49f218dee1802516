import Foundation
import StreamHubCore
import StreamHubHTTP
import StreamHubIngest
import StreamHubTestSupport
import Testing

/// Broadcaster to viewer: ffmpeg publishes to a real nginx-rtmp whose callbacks reach a real hub.
@Suite(.enabled(if: NginxRTMPServer.shouldRun, "nginx, libnginx-mod-rtmp or ffmpeg is not installed"), .timeLimit(.minutes(1)))
struct NginxRTMPIngestTests {
    static let secret = "ingest-secret-for-tests"

    static func configuration(timeout: Duration = .seconds(90)) -> StreamHubConfiguration {
        TestHub.configuration { $0.ingest = IngestConfiguration(secrets: [secret], timeout: timeout) }
    }

    @Test(arguments: ["post", "get"])
    func aBroadcastStartsAndEndsTheStreamForItsViewersAndItsKeyReachesNone(notifyMethod: String) async throws {
        try await TestHub.run(Self.configuration()) { hub in
            let nginx = try await NginxRTMPServer(hubPort: hub.port, secret: Self.secret, notifyMethod: notifyMethod)
            let viewer = try await hub.join("match-7")
            _ = try await viewer.waitFor("stream_state")
            let broadcast = try await FFmpegBroadcast.run(to: nginx.url("match-7?key=broadcaster-key-123"), seconds: 3)
            #expect(broadcast.status == 0, "ffmpeg: \(broadcast.stderr) nginx: \(nginx.errorLog)")
            let started = try await viewer.waitFor("stream_started")
            #expect(started.data["source"] as? String == "nginx-rtmp" && started.data["app"] as? String == "live")
            let ended = try await viewer.waitFor("stream_ended", timeout: .seconds(10))
            #expect(ended.data["source"] as? String == "nginx-rtmp" && ended.data["reason"] as? String == "publish_done")
            #expect(!viewer.frames.contains { $0.text.contains("broadcaster-key-123") || $0.text.contains("127.0.0.1") })
            let scrape = try await hub.scrape()
            let calls = { (call: String) in
                scrape.value("streamhub_ingest_callbacks_total", ["server": "nginx_rtmp", "call": call, "result": "accepted"])
            }
            #expect(calls("publish") == 1 && calls("publish_done") == 1)
            #expect((calls("update") ?? 0) >= 1, "a 3 s broadcast with notify_update_timeout 1s sends updates")
            #expect(try await hub.get("/api/v1/streams/match-7").json["status"] as? String == "ended")
        }
    }

    @Test func aWrongSecretRefusesThePublishSoTheBroadcastFails() async throws {
        try await TestHub.run(Self.configuration()) { hub in
            let nginx = try await NginxRTMPServer(hubPort: hub.port, secret: "not-the-hubs-secret")
            let broadcast = try await FFmpegBroadcast.run(to: nginx.url("match-8"), seconds: 2)
            #expect(broadcast.status != 0, "nginx-rtmp refuses a publish its on_publish did not accept")
            let scrape = try await hub.scrape()
            #expect(scrape.value("streamhub_ingest_callbacks_total", ["server": "nginx_rtmp", "call": "publish", "result": "refused"]) == 1)
            #expect(try await hub.get("/api/v1/streams/match-8").json["status"] as? String == "offline")
        }
    }

    @Test func aMediaServerKilledMidBroadcastEndsTheStreamWithIngestTimeout() async throws {
        try await TestHub.run(Self.configuration(timeout: .seconds(2))) { hub in
            let nginx = try await NginxRTMPServer(hubPort: hub.port, secret: Self.secret)
            let viewer = try await hub.join("match-9")
            let broadcast = try FFmpegBroadcast(startingTo: nginx.url("match-9"), seconds: 40)
            _ = try await viewer.waitFor("stream_started", timeout: .seconds(10))
            _ = try await eventually(timeout: .seconds(10), "an update from nginx") {
                let scrape = try await hub.scrape()
                return scrape.value("streamhub_ingest_callbacks_total", ["server": "nginx_rtmp", "call": "update", "result": "accepted"]).flatMap {
                    $0 >= 1 ? true : nil
                }
            }
            nginx.crash()
            let killedAt = ContinuousClock.now
            let ended = try await viewer.waitFor("stream_ended", timeout: .seconds(10))
            let after = ContinuousClock.now - killedAt
            #expect(ended.data["reason"] as? String == "ingest_timeout" && ended.data["source"] as? String == "nginx-rtmp")
            // The last update came at most 1 s before the kill; the timeout is 2 s after it, swept every 200 ms.
            #expect(after >= .milliseconds(900) && after < .seconds(6), "ended \(after) after the kill")
            #expect(viewer.messages("stream_ended").count == 1)
            withExtendedLifetime(broadcast) {}
        }
    }
}
