import NIOCore

/// Decides when a viewer whose queue does not drain is a slow consumer; owns no timer.
///
/// A window opens when data stays queued after a write. At each check, one write timeout later,
/// the viewer must have sent every byte that was queued when the window opened; otherwise it has stalled.
struct StallWatch {
    enum Verdict: Equatable {
        /// Nothing is queued: the watch is over.
        case drained
        /// Queued data was sent: check again after another write timeout.
        case progressing
        /// Nothing queued at the window's start was sent within it: close with 1008.
        case stalled
    }

    /// The byte count that must have been sent to make progress; `nil` while not watching.
    private var mustSend: Int?

    var isWatching: Bool { mustSend != nil }

    /// Opens a window; `written` counts every byte handed to the viewer so far.
    mutating func start(written: Int) {
        mustSend = written
    }

    /// - Parameters:
    ///   - queued: Bytes still queued.
    ///   - written: Every byte handed to the viewer so far.
    mutating func check(queued: Int, written: Int) -> Verdict {
        guard let mustSend else { return .drained }
        if queued == 0 {
            self.mustSend = nil
            return .drained
        }
        guard written - queued >= mustSend else { return .stalled }
        self.mustSend = written
        return .progressing
    }

    mutating func stop() {
        mustSend = nil
    }
}
