/// Where a joining viewer's events begin: the one rule that gives it neither a gap nor a duplicate.
///
/// The invariant: a viewer's `stream_state` carries the stream's latest `id` N, and after it the
/// viewer gets every event numbered above N, each once, in order. Three facts make it hold:
/// 1. The join (``StreamDirectory/join(_:loop:now:wallClock:)``) and every publish to the stream
///    take the stream's shard lock, and a publish numbers its event and enqueues it to the loops'
///    ``LoopFanout``s under that lock. So an event is either numbered before the join (its id is at
///    most N) or enqueued after it, to the viewer's loop too (the join counted the viewer there).
/// 2. The viewer is added to its loop's fanout on that loop, right after the join and before the
///    loop can drain anything enqueued after it, so such an event finds it.
/// 3. A loop may still be writing events numbered before the join; the cursor skips them (their
///    ids are at most N). `viewer_count_changed` takes no id and always passes.
///
/// A resuming viewer (`?since=S`) gets the events numbered S+1 through N from the stream's
/// ``StreamHistory``, taken under the same lock in the same join, and written right after its
/// `stream_state` before the loop can write it anything else; live delivery then begins above N
/// as for any viewer. So the replay ends exactly where live events begin.
struct JoinCursor {
    /// The latest id the viewer's `stream_state` covered.
    let coveredThrough: UInt64

    /// Whether the viewer still needs the message numbered `eventID` (`nil`: a message without an id).
    func wants(_ eventID: UInt64?) -> Bool {
        guard let eventID else { return true }
        return eventID > coveredThrough
    }
}
