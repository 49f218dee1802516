import Foundation
import StreamHubHTTP
import StreamHubIngest
import StreamHubTestSupport
import Testing

/// `openapi.yaml` against the hub: every route in one is in the other, and what the hub sends
/// viewers matches the message schemas.
@Suite(.timeLimit(.minutes(1))) struct APIDescriptionTests {
    /// `METHOD /path` of every operation in `openapi.yaml`.
    static func specifiedRoutes() throws -> Set<String> {
        let text = try String(contentsOf: Repository.file("openapi.yaml"), encoding: .utf8)
        var routes: Set<String> = []
        var path: String?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if let match = line.wholeMatch(of: /\ \ (\/\S*):/) {
                path = String(match.1)
            } else if let match = line.wholeMatch(of: /\ {4}(get|put|post|delete|patch|head|options):.*/), let path {
                routes.insert("\(match.1.uppercased()) \(path)")
            } else if !line.hasPrefix(" ") && !line.isEmpty {
                path = nil
            }
        }
        return routes
    }

    @Test func everyRouteTheHubServesIsInTheSpecAndEveryRouteInTheSpecIsServed() async throws {
        try await TestHub.run(TestHub.configuration { $0.ingest = IngestConfiguration(secrets: ["spec-test-secret-1234"]) }) { hub in
            let served = Set(hub.routes)
            let specified = try Self.specifiedRoutes()
            #expect(served.count > 10)
            #expect(served.subtracting(specified).isEmpty, "served, not in openapi.yaml: \(served.subtracting(specified).sorted())")
            #expect(specified.subtracting(served).isEmpty, "in openapi.yaml, not served: \(specified.subtracting(served).sorted())")
        }
    }

    @Test func aServedPathWithAnotherMethodIs405WithAllowAndAnUnservedOneIs404() async throws {
        try await TestHub.run { hub in
            let trace = try await hub.request(.trace, "/readyz")
            #expect(trace.status == 405 && trace.headers[.allow] == "GET" && trace.json["error"] is String)
            let delete = try await hub.request(.delete, "/api/v1/streams/match-1/events")
            #expect(delete.status == 405 && delete.headers[.allow] == "POST")
            #expect(try await hub.request(.get, "/api/v1/nothing-here").status == 404)
        }
    }

    @Test func theHubServesTheSpecTheClientAndTheDemoWithContentTypesAndETags() async throws {
        try await TestHub.run { hub in
            for (path, type) in [
                ("/api/v1/openapi.yaml", "application/yaml"), ("/client/streamhub.js", "text/javascript"),
                ("/client/streamhub.d.ts", "text/plain"), ("/demo", "text/html"),
            ] {
                let answer = try await hub.get(path)
                #expect(answer.status == 200 && answer.headers[.contentType]?.hasPrefix(type) == true, "\(path)")
                let file = path == "/demo" ? "client/demo.html" : path == "/api/v1/openapi.yaml" ? "openapi.yaml" : String(path.dropFirst())
                #expect(answer.body == (try String(contentsOf: Repository.file(file), encoding: .utf8)), "\(path) is \(file) as committed")
                let etag = try #require(answer.headers[.eTag])
                let again = try await HubClient(port: hub.port).request(.get, path, headers: [.ifNoneMatch: etag])
                #expect(again.status == 304 && again.body.isEmpty, "\(path)")
            }
        }
        try await TestHub.run(TestHub.configuration { $0.demo = false }) { hub in
            let demo = try await hub.get("/demo")
            let client = try await hub.get("/client/streamhub.js")
            #expect(demo.status == 404 && client.status == 200)
        }
    }
}

/// What a viewer receives, every kind of message, checked against the spec's schemas.
@Suite(.enabled(if: MessageSchemas.shouldRun, "no Python with jsonschema and PyYAML"), .timeLimit(.minutes(1)))
struct ViewerMessageSchemaTests {
    @Test func everyKindOfViewerMessageMatchesServerMessage() async throws {
        try await TestHub.run(TestHub.configuration { $0.hub.historySize = 2 }) { hub in
            let viewer = try await hub.join("match-1")
            _ = try await viewer.waitFor("stream_state")
            try await hub.publish("match-1", "stream_started", data: #"{"title":"Final","tags":["a"],"n":1.5}"#)
            try await hub.publish("match-1", "quality_changed", data: #"{"resolution":"1080p"}"#)
            let epoch = try #require(viewer.messages("stream_state")[0].data["epoch"] as? String)
            let recovered = try await TestViewer.resume(port: hub.port, stream: "match-1", since: 1, epoch: epoch)
            _ = try await recovered.waitFor("quality_changed")
            try await hub.publish("match-1", "quality_changed", data: #"{"resolution":"720p"}"#)
            try await hub.publish("match-1", "quality_changed", data: #"{"resolution":"480p"}"#)
            let missed = try await TestViewer.resume(port: hub.port, stream: "match-1", since: 1, epoch: epoch)
            _ = try await missed.waitFor("stream_state")
            try await hub.publish("match-1", "stream_ended")
            _ = try await viewer.waitFor("stream_ended")
            try await viewer.waitForViewerCount(3)
            let texts = [viewer, recovered, missed].flatMap { $0.frames.filter { $0.opcode == .text }.map(\.text) }
            #expect(Set(texts.compactMap { ServerMessage($0)?.event }).count == 5)
            #expect(texts.contains { $0.contains(#""recovered":true"#) } && texts.contains { $0.contains(#""recovered":false"#) })
            try await MessageSchemas.validate(texts)
        }
    }
}
