import Foundation
import JWTKit
import StreamHubAuth
import StreamHubCore
import StreamHubHTTP
import StreamHubTestSupport
import Testing

/// The demo page and `streamhub.js` in a real headless Chromium against a real hub on loopback;
/// a ``TCPRelay`` between them cuts the page off as a network would. Screenshots of each state
/// go to the folder the run prints. One browser at a time: Chromium is heavy, and the other suites run beside it.
@Suite(.enabled(if: HeadlessChromium.shouldRun, "chromium is not installed"), .serialized, .timeLimit(.minutes(3)))
struct BrowserClientTests {
    /// The event log's rows, newest last: `[id, event]`.
    static let logRows = "[...document.querySelectorAll('#log li')].reverse().map(li => [li.children[0].textContent, li.children[1].textContent])"

    static func events(_ page: BrowserPage) async throws -> [String] {
        (try await page.evaluate(logRows) as? [[String]] ?? []).map { "\($0[0]) \($0[1])" }
    }

    @Test func thePageShowsPublishedEventsViewerCountsAndEveryEventOnceAcrossACutOrAGap() async throws {
        let browser = try await HeadlessChromium.shared.value
        try await TestHub.run(TestHub.configuration { $0.hub.historySize = 5 }) { hub in
            let relay = try await TCPRelay(to: hub.port)
            let pages = [try await browser.newPage(), try await browser.newPage()]
            for page in pages {
                try await page.navigate("http://127.0.0.1:\(relay.port)/demo?stream=match-1")
                try await page.waitForText("connection", "open")
            }
            try await hub.publish("match-1", "stream_started", data: #"{"title":"Final"}"#)
            try await hub.publish("match-1", "quality_changed", data: #"{"resolution":"1080p","bitrate_kbps":6000}"#)
            for page in pages {
                try await page.waitForText("status", "live")
                try await page.waitForText("viewers", "2")
            }
            let page = pages[0]
            try await page.waitForText("quality", #"{"resolution":"1080p","bitrate_kbps":6000}"#)
            try await page.screenshot("1-live-two-viewers")

            // Cut off: three events while away arrive once each, in order, after the reconnect.
            relay.cut()
            try await page.waitForText("connection", "reconnecting")
            try await page.screenshot("2-reconnecting")
            for n in 1...3 { try await hub.publish("match-1", "quality_changed", data: #"{"n":\#(n)}"#) }
            relay.restore()
            try await page.waitForText("connection", "open", timeout: .seconds(30))
            _ = try await eventually(timeout: .seconds(10), "the missed events") { try await Self.events(page).count >= 7 ? true : nil }
            #expect(
                try await Self.events(page) == [
                    "0 stream_state", "1 stream_started", "2 quality_changed", " resumed", "3 quality_changed", "4 quality_changed",
                    "5 quality_changed",
                ])

            // Away longer than the history holds: a gap, then the current state.
            relay.cut()
            try await page.waitForText("connection", "reconnecting")
            for n in 4...12 { try await hub.publish("match-1", "quality_changed", data: #"{"n":\#(n)}"#) }
            relay.restore()
            try await page.waitForText("connection", "open", timeout: .seconds(30))
            _ = try await eventually(timeout: .seconds(10), "the gap") { try await Self.events(page).contains(" gap") ? true : nil }
            #expect(try await Self.events(page).suffix(2) == [" gap", "14 stream_state"])
            try await page.waitForText("quality", #"{"n":12}"#)
            try await page.screenshot("3-after-a-gap")
            for page in pages { #expect(page.consoleErrors.isEmpty, "\(page.consoleErrors)") }
            await relay.stop()
        }
    }

    @Test func afterTheHubRestartsOnItsPortThePageReconnectsByItselfAndShowsTheNextEvent() async throws {
        let browser = try await HeadlessChromium.shared.value
        let first = try await HubProcess([])
        let port = first.port
        let page = try await browser.newPage()
        try await page.navigate("http://127.0.0.1:\(port)/demo?stream=match-2")
        try await page.waitForText("connection", "open")
        try await HubClient(port: port).request(.post, "/api/v1/streams/match-2/events", body: #"{"event":"stream_started"}"#, token: TestHub.token)
        try await page.waitForText("status", "live")
        first.terminate()
        #expect(try await first.exitStatus(timeout: .seconds(15)) == 0)
        try await page.waitForText("connection", "reconnecting")
        let second = try await HubProcess(["--port", "\(port)"])
        try await page.waitForText("connection", "open", timeout: .seconds(40))
        try await HubClient(port: second.port).request(
            .post, "/api/v1/streams/match-2/events", body: #"{"event":"quality_changed","data":{"resolution":"720p"}}"#, token: TestHub.token)
        try await page.waitForText("quality", #"{"resolution":"720p"}"#)
        try await page.screenshot("4-after-a-restart")
        #expect(page.consoleErrors.isEmpty, "\(page.consoleErrors)")
        second.terminate()
    }

    @Test func aTokenThatExpiresIsReplacedFromGetTokenAndNothingIsMissed() async throws {
        let browser = try await HeadlessChromium.shared.value
        let secret = ViewerAuthTests.secret
        let authenticator = try await JWTViewerAuthenticator(ViewerAuthConfiguration(secrets: [secret], leeway: .zero))
        try await TestHub.run(TestHub.configuration { $0.viewerAuthenticator = authenticator }) { hub in
            let page = try await browser.newPage()
            try await page.navigate("http://127.0.0.1:\(hub.port)/demo")
            // A page of its own on the hub's origin: getToken hands out the tokens the test gives it.
            let shortLived = try await ViewerAuthTests.token(streams: ["match-3"], expiresIn: 2)
            let longLived = try await ViewerAuthTests.token(streams: ["match-3"])
            _ = try await page.evaluate(
                """
                (async () => {
                  const { connectViewer } = await import("/client/streamhub.js");
                  window.tokens = ["\(shortLived)", "\(longLived)"];
                  window.asked = 0; window.received = []; window.statuses = [];
                  window.viewer = connectViewer(location.origin, "match-3", {
                    getToken: async () => window.tokens[Math.min(window.asked++, 1)],
                    onMessage: (m) => window.received.push(m),
                    onStatus: (s) => window.statuses.push(s),
                  });
                  return true;
                })()
                """)
            _ = try await eventually(timeout: .seconds(10), "connected") {
                try await page.evaluate("window.statuses.includes('open')") as? Bool == true ? true : nil
            }
            try await hub.publish("match-3", "stream_started")
            _ = try await eventually(timeout: .seconds(15), "a second token") {
                try await page.evaluate("window.asked") as? Int ?? 0 >= 2 ? true : nil
            }
            try await hub.publish("match-3", "quality_changed", data: #"{"resolution":"480p"}"#)
            _ = try await eventually(timeout: .seconds(15), "the event after the new token") {
                try await page.evaluate("window.received.some(m => m.event === 'quality_changed')") as? Bool == true ? true : nil
            }
            let published =
                try await page.evaluate(
                    "window.received.filter(m => m.id > 0 && m.event !== 'stream_state' && m.event !== 'viewer_count_changed').map(m => m.id + ' ' + m.event)"
                ) as? [String]
            #expect(published == ["1 stream_started", "2 quality_changed"])
            if MessageSchemas.shouldRun {
                try await MessageSchemas.validate(try await page.evaluate("window.received.map(m => JSON.stringify(m))") as? [String] ?? [])
            }
            #expect(hub.observer.counts.closed[.tokenExpired] == 1)
            #expect(page.consoleErrors.isEmpty, "\(page.consoleErrors)")
        }
    }
}
