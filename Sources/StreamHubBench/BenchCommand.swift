import ArgumentParser
import AsyncHTTPClient
import Foundation
import Histogram
import NIOCore
import NIOPosix

/// `streamhub-bench`: drives any hub with viewers and publishes and reports what it measured.
@main
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "streamhub-bench",
        abstract: "Connects viewers to a hub, publishes events, and reports delivery latency, throughput, CPU and memory.",
        discussion: """
            Presets (--preset): \(Scenario.presets.keys.sorted().joined(separator: ", ")); any flag overrides a preset's value. \
            URL and body templates take {stream} (the stream's name) and {seq} (the event's sequence number), so the tool \
            drives any hub, nchan included. Give the server's PIDs (--pid, repeatable: nginx's master and workers) for \
            CPU per delivery and memory per viewer. The last line of output is one JSON object.
            """
    )

    @Option(help: "A named scenario.") var preset: String?
    @Option(help: "Viewer connections.") var viewers: Int?
    @Option(help: "Streams the viewers are spread over.") var streams: Int?
    @Option(help: "New connections per second.") var connectRate: Int?
    @Option(help: "Events to publish.") var events: Int?
    @Option(help: "Events per second.") var rate: Double?
    @Option(help: "Seconds to hold the connections before publishing (memory and join-storm counts are read after it).") var hold: Double?
    @Option(help: "Viewer URL template.") var wsURL = "ws://127.0.0.1:8080/api/v1/streams/{stream}/ws"
    @Option(help: "Publish URL template.") var publishURL = "http://127.0.0.1:8080/api/v1/streams/{stream}/events"
    @Option(help: "Stream state URL template (resume storm: the latest id and epoch).")
    var stateURL = "http://127.0.0.1:8080/api/v1/streams/{stream}"
    @Option(help: "Resume storm: viewers resume this many events back (0: not a resume storm).") var resumeBack: Int?
    @Option(help: "Viewer tokens: mint one HS256 token per viewer with this secret (sub viewer-N, streams [its stream], exp in 1 h).")
    var viewerTokenSecret: String?
    @Option(help: "Viewer tokens: mint one ES256 token per viewer with this PEM private key file.") var viewerTokenKey: String?
    @Option(help: "Publish body template.") var body = #"{"event":"quality_changed","data":{"seq":{seq},"quality":"1080p"}}"#
    @Option(help: "Bearer token for publishing.") var token: String?
    @Option(help: "Stream names are this prefix plus a number.") var streamPrefix = "bench-"
    @Option(help: "Bind viewers round robin to 127.0.0.2 ... 127.0.0.(N+1); one address has about 28k ports.") var sourceAddresses = 0
    @Option(name: .customLong("pid"), help: "A server process to read CPU and memory from; repeatable.") var pids: [Int32] = []
    @Option(help: "A name for the server in the output.") var label = "hub"
    @Option(help: "Seconds to wait for missing deliveries after the last publish.") var drain = 5.0
    @Option(help: "Seconds after which the run stops, whatever it is doing.") var timeout = 180.0
    @Option(help: "Event loop threads for the viewers.") var threads = System.coreCount
    @Option(help: "Write each event's send time and slowest delivery to this file (one line per event: seq, µs since the first send, µs).")
    var eventLog: String?

    mutating func validate() throws {
        if let preset, Scenario.presets[preset] == nil {
            throw ValidationError("--preset must be one of \(Scenario.presets.keys.sorted().joined(separator: ", "))")
        }
        guard wsURL.hasPrefix("ws://"), URL(string: wsURL.replacingOccurrences(of: "{stream}", with: "s")) != nil else {
            throw ValidationError("--ws-url must be a ws:// URL template")
        }
    }

    var scenario: Scenario {
        var scenario =
            preset.flatMap { Scenario.presets[$0] }
            ?? Scenario(viewers: 100, streams: 1, connectRate: 1000, events: 10, eventRate: 10, hold: .seconds(1))
        if let viewers { scenario.viewers = viewers }
        if let streams { scenario.streams = streams }
        if let connectRate { scenario.connectRate = connectRate }
        if let events { scenario.events = events }
        if let rate { scenario.eventRate = rate }
        if let hold { scenario.hold = .seconds(hold) }
        if let resumeBack { scenario.resumeBack = resumeBack > 0 ? resumeBack : nil }
        return scenario
    }

    func run() async throws {
        let deadline = timeout
        Thread.detachNewThread {
            Thread.sleep(forTimeInterval: deadline)
            FileHandle.standardError.write(Data("streamhub-bench: stopped after --timeout \(deadline) s\n".utf8))
            Foundation.exit(2)
        }
        let result = try await BenchRun(command: self, scenario: scenario).run()
        print(result.table)
        print(result.json)
    }
}
