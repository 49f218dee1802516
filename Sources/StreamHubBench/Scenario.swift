/// A named workload: how many viewers on how many streams, how fast they join, and what is published.
struct Scenario: Sendable, Equatable {
    var viewers: Int
    var streams: Int
    /// New connections per second.
    var connectRate: Int
    var events: Int
    /// Events per second.
    var eventRate: Double
    /// How long to hold the connections open after they are all up (idle RSS, join-storm counts).
    var hold: Duration
    /// A resume storm: the events are published first, then every viewer connects with `since`
    /// this many events back (and the stream's epoch) and is timed until its last replayed event.
    var resumeBack: Int? = nil

    /// The presets of BENCHMARKS.md.
    static let presets: [String: Scenario] = [
        "fan-out": Scenario(viewers: 10_000, streams: 1, connectRate: 5_000, events: 30, eventRate: 1, hold: .seconds(1)),
        "saturation": Scenario(viewers: 10_000, streams: 1, connectRate: 5_000, events: 200, eventRate: 20, hold: .seconds(1)),
        "many-streams": Scenario(viewers: 10_000, streams: 1_000, connectRate: 5_000, events: 2_000, eventRate: 200, hold: .seconds(1)),
        "idle": Scenario(viewers: 15_000, streams: 100, connectRate: 5_000, events: 0, eventRate: 1, hold: .seconds(3)),
        "join-storm": Scenario(viewers: 10_000, streams: 1, connectRate: 5_000, events: 0, eventRate: 1, hold: .seconds(3)),
        "resume-storm": Scenario(viewers: 10_000, streams: 1, connectRate: 5_000, events: 20, eventRate: 200, hold: .zero, resumeBack: 10),
    ]
}
