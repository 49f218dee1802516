import StreamHubCore
import StreamHubRedis

/// Where the cluster keeps its data in Redis and the commands that read and change it.
///
/// - `<namespace>:stream:<id>`: a hash per stream (`id`, `status`, `quality`, `peak`, `epoch`),
///   expiring after the stream-state TTL without events or reports of viewers. Whoever creates it
///   gives it its epoch; a hash created anew (Redis lost it, or it expired) gets a new one.
/// - `<namespace>:history:<id>`: a list of the stream's last ``EventEnvelope``s, oldest first,
///   capped at the history size and expiring the history TTL after the latest; emptied whenever
///   the stream's epoch changes.
/// - `<namespace>:events`: one ``EventEnvelope`` per accepted event.
/// - `<namespace>:counts`: ``CountReport``s.
/// - `<namespace>:ingest:<id>`: a stream's media-server liveness (IngestLivenessStore.swift).
struct ClusterStore: Sendable {
    let namespace: String
    /// Seconds a stream's hash outlives its last event or report of viewers.
    let stateTTLSeconds: Int
    /// Events kept in a stream's history list; 0 keeps none.
    let historySize: Int
    /// Seconds a stream's history list outlives its latest event.
    let historyTTLSeconds: Int

    var eventsChannel: String { "\(namespace):events" }
    var countsChannel: String { "\(namespace):counts" }

    func stateKey(_ id: StreamID) -> String { "\(namespace):stream:\(id.rawValue)" }

    func historyKey(_ id: StreamID) -> String { "\(namespace):history:\(id.rawValue)" }

    /// Numbers the event, updates the stream's hash, publishes the envelope and appends it to the
    /// stream's history, atomically.
    /// - Parameters:
    ///   - lastEventID: This node's latest id for the stream: ids never go back after a `local_only` publish.
    ///   - viewers: The stream's viewers as this node counts them, for the peak.
    ///   - epoch: The stream's epoch if the hash has none yet.
    func publish(
        _ request: PublishRequest, to id: StreamID, envelopePrefix: [UInt8], lastEventID: UInt64, viewers: Int, epoch: StreamEpoch
    ) -> RedisCommand {
        let quality = request.event == .qualityChanged ? request.dataObject : []
        return RedisCommand(
            "EVAL",
            bytes: [
                Array(Self.publishScript.utf8), Array("2".utf8), Array(stateKey(id).utf8), Array(historyKey(id).utf8),
                Array(request.event.rawValue.utf8), quality, Array(String(lastEventID).utf8), Array(String(viewers).utf8),
                Array(String(stateTTLSeconds).utf8), Array(eventsChannel.utf8), envelopePrefix, Array(epoch.rawValue.utf8),
                Array(String(historySize).utf8), Array(String(historyTTLSeconds).utf8),
            ]
        )
    }

    /// The id, peak and epoch the publish script gave the event.
    static func assignment(from reply: RESPValue) throws(RedisError) -> (eventID: UInt64, peakViewers: Int, epoch: StreamEpoch) {
        guard let values = reply.array ?? nil, values.count == 3, let id = values[0].integer, let peak = values[1].integer,
            (1...ClusterLimits.maxEventID).contains(id), (0...ClusterLimits.maxViewers).contains(peak),
            let epoch = values[2].string.flatMap({ StreamEpoch($0) })
        else { throw .protocolViolation("unexpected reply to the publish script") }
        return (UInt64(id), Int(peak), epoch)
    }

    /// Reads the stream's hash; but for a ``StateRead/lookup``, gives it `epoch` if it has none
    /// (emptying its history), and for a ``StateRead/resume`` reads its history too.
    func readState(of id: StreamID, for purpose: StateRead, epoch: StreamEpoch) -> RedisCommand {
        guard purpose != .lookup else { return RedisCommand("HGETALL", [stateKey(id)]) }
        return RedisCommand(
            "EVAL",
            [
                Self.joinScript, "2", stateKey(id), historyKey(id), epoch.rawValue, String(stateTTLSeconds),
                purpose == .resume ? "1" : "0",
            ]
        )
    }

    /// A stream's state from ``readState(of:for:epoch:)``'s reply: `HGETALL`'s (an empty hash is a
    /// stream the cluster has not seen), or the join script's pair of the hash and the history.
    /// History entries that are malformed, of another stream or epoch, or out of order void the
    /// history, never the state.
    static func storedState(from reply: RESPValue, of id: StreamID, for purpose: StateRead) throws(RedisError) -> StoredStreamState {
        guard purpose != .lookup else { return try storedState(fromHash: reply, history: nil, of: id) }
        guard let pair = reply.array ?? nil, pair.count == 2, let history = pair[1].array ?? nil else {
            throw .protocolViolation("unexpected reply to the join script")
        }
        return try storedState(fromHash: pair[0], history: history, of: id)
    }

    private static func storedState(fromHash reply: RESPValue, history: [RESPValue]?, of id: StreamID) throws(RedisError) -> StoredStreamState {
        guard let values = reply.array ?? nil, values.count.isMultiple(of: 2) else { throw .protocolViolation("unexpected reply to HGETALL") }
        var fields: [String: [UInt8]] = [:]
        for index in stride(from: 0, to: values.count, by: 2) {
            guard let key = values[index].string, let value = values[index + 1].bytes else { throw .protocolViolation("unexpected reply to HGETALL") }
            fields[key] = value
        }
        func number(_ key: String, in range: ClosedRange<Int64>) throws(RedisError) -> Int64 {
            guard let field = fields[key] else { return 0 }
            guard let value = Int64(String(decoding: field, as: UTF8.self)), range.contains(value) else {
                throw .protocolViolation("stream state field \(key) out of range")
            }
            return value
        }
        let epoch = fields["epoch"].flatMap { StreamEpoch(String(decoding: $0, as: UTF8.self)) }
        return StoredStreamState(
            lastEventID: UInt64(try number("id", in: 0...ClusterLimits.maxEventID)),
            status: fields["status"].flatMap { StreamStatus(rawValue: String(decoding: $0, as: UTF8.self)) } ?? .offline,
            quality: fields["quality"].flatMap { $0.isEmpty ? nil : $0 },
            peakViewers: Int(try number("peak", in: 0...ClusterLimits.maxViewers)),
            epoch: epoch,
            history: epoch.map { storedEvents(history ?? [], of: id, in: $0) } ?? []
        )
    }

    /// The history list's envelopes as events, or none if any is not one of the stream's in `epoch`, in order.
    private static func storedEvents(_ entries: [RESPValue], of id: StreamID, in epoch: StreamEpoch) -> [StoredEvent] {
        var events: [StoredEvent] = []
        events.reserveCapacity(entries.count)
        for entry in entries {
            guard let bytes = entry.bytes, let envelope = try? EventEnvelope(decoding: bytes), envelope.streamID == id,
                envelope.epoch == epoch, envelope.eventID > events.last?.assignment.eventID ?? 0
            else { return [] }
            events.append(StoredEvent(request: envelope.request, assignment: envelope.assignment))
        }
        return events
    }

    /// Raises each stream's stored peak to at least the given one and renews its expiry.
    func recordPeaks(_ peaks: some Collection<(StreamID, Int)>) -> RedisCommand {
        var arguments = [Array(Self.peaksScript.utf8), Array(String(peaks.count).utf8)]
        arguments += peaks.map { Array(stateKey($0.0).utf8) }
        arguments.append(Array(String(stateTTLSeconds).utf8))
        arguments += peaks.map { Array(String($0.1).utf8) }
        return RedisCommand("EVAL", bytes: arguments)
    }

    func publish(_ report: CountReport) -> RedisCommand {
        RedisCommand("PUBLISH", bytes: [Array(countsChannel.utf8), report.encoded()])
    }

    /// KEYS: the stream's hash and history. ARGV: event, quality JSON, the node's last id, the node's
    /// viewer count, state TTL in seconds, the events channel, the envelope up to its id, an epoch
    /// for a hash without one, history size, history TTL in seconds.
    static let publishScript = """
        if redis.call('HSETNX', KEYS[1], 'epoch', ARGV[8]) == 1 then redis.call('DEL', KEYS[2]) end
        local epoch = redis.call('HGET', KEYS[1], 'epoch')
        local id = math.max(tonumber(redis.call('HGET', KEYS[1], 'id') or '0'), tonumber(ARGV[3])) + 1
        local peak = math.max(tonumber(redis.call('HGET', KEYS[1], 'peak') or '0'), tonumber(ARGV[4]))
        if ARGV[1] == 'stream_started' then
          peak = tonumber(ARGV[4])
          redis.call('HSET', KEYS[1], 'status', 'live')
        elseif ARGV[1] == 'stream_ended' then
          redis.call('HSET', KEYS[1], 'status', 'ended')
        else
          redis.call('HSET', KEYS[1], 'quality', ARGV[2])
        end
        redis.call('HSET', KEYS[1], 'id', id, 'peak', peak)
        redis.call('EXPIRE', KEYS[1], ARGV[5])
        local envelope = ARGV[7] .. string.format('%d', id) .. ',"peak_viewers":' .. string.format('%d', peak) .. ',"epoch":"' .. epoch .. '"}'
        redis.call('PUBLISH', ARGV[6], envelope)
        local size = tonumber(ARGV[9])
        if size > 0 then
          redis.call('RPUSH', KEYS[2], envelope)
          redis.call('LTRIM', KEYS[2], -size, -1)
          redis.call('EXPIRE', KEYS[2], ARGV[10])
        end
        return {id, peak, epoch}
        """

    /// KEYS: the stream's hash and history. ARGV: an epoch for a hash without one, state TTL in
    /// seconds, `1` to read the history.
    static let joinScript = """
        if redis.call('HSETNX', KEYS[1], 'epoch', ARGV[1]) == 1 then
          redis.call('DEL', KEYS[2])
          redis.call('EXPIRE', KEYS[1], ARGV[2])
        end
        local history = {}
        if ARGV[3] == '1' then history = redis.call('LRANGE', KEYS[2], 0, -1) end
        return {redis.call('HGETALL', KEYS[1]), history}
        """

    /// KEYS: streams' hashes. ARGV[1]: TTL in seconds; ARGV[i + 1]: the peak this node saw for KEYS[i].
    static let peaksScript = """
        for i, key in ipairs(KEYS) do
          local peak = tonumber(ARGV[i + 1])
          if peak > tonumber(redis.call('HGET', key, 'peak') or '0') then redis.call('HSET', key, 'peak', peak) end
          redis.call('EXPIRE', key, ARGV[1])
        end
        return #KEYS
        """
}
