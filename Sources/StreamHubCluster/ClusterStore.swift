import StreamHubCore
import StreamHubRedis

/// Where the cluster keeps its data in Redis and the commands that read and change it.
///
/// - `<namespace>:stream:<id>`: a hash per stream (`id`, `status`, `quality`, `peak`), expiring
///   after the stream-state TTL without events or reports of viewers.
/// - `<namespace>:events`: one ``EventEnvelope`` per accepted event.
/// - `<namespace>:counts`: ``CountReport``s.
struct ClusterStore: Sendable {
    let namespace: String
    /// Seconds a stream's hash outlives its last event or report of viewers.
    let stateTTLSeconds: Int

    var eventsChannel: String { "\(namespace):events" }
    var countsChannel: String { "\(namespace):counts" }

    func stateKey(_ id: StreamID) -> String { "\(namespace):stream:\(id.rawValue)" }

    /// Numbers the event, updates the stream's hash and publishes the envelope, atomically.
    /// - Parameters:
    ///   - lastEventID: This node's latest id for the stream: ids never go back after a `local_only` publish.
    ///   - viewers: The stream's viewers as this node counts them, for the peak.
    func publish(
        _ request: PublishRequest, to id: StreamID, envelopePrefix: [UInt8], lastEventID: UInt64, viewers: Int
    ) -> RedisCommand {
        let quality = request.event == .qualityChanged ? request.dataObject : []
        return RedisCommand(
            "EVAL",
            bytes: [
                Array(Self.publishScript.utf8), Array("1".utf8), Array(stateKey(id).utf8),
                Array(request.event.rawValue.utf8), quality, Array(String(lastEventID).utf8), Array(String(viewers).utf8),
                Array(String(stateTTLSeconds).utf8), Array(eventsChannel.utf8), envelopePrefix,
            ]
        )
    }

    /// The id and peak the publish script gave the event.
    static func assignment(from reply: RESPValue) throws(RedisError) -> (eventID: UInt64, peakViewers: Int) {
        guard let values = reply.array ?? nil, values.count == 2, let id = values[0].integer, let peak = values[1].integer,
            (1...ClusterLimits.maxEventID).contains(id), (0...ClusterLimits.maxViewers).contains(peak)
        else { throw .protocolViolation("unexpected reply to the publish script") }
        return (UInt64(id), Int(peak))
    }

    func readState(of id: StreamID) -> RedisCommand {
        RedisCommand("HGETALL", [stateKey(id)])
    }

    /// A stream's state from `HGETALL`; an empty hash is a stream the cluster has not seen.
    static func storedState(from reply: RESPValue) throws(RedisError) -> StoredStreamState {
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
        return StoredStreamState(
            lastEventID: UInt64(try number("id", in: 0...ClusterLimits.maxEventID)),
            status: fields["status"].flatMap { StreamStatus(rawValue: String(decoding: $0, as: UTF8.self)) } ?? .offline,
            quality: fields["quality"].flatMap { $0.isEmpty ? nil : $0 },
            peakViewers: Int(try number("peak", in: 0...ClusterLimits.maxViewers))
        )
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

    /// KEYS[1]: the stream's hash. ARGV: event, quality JSON, the node's last id, the node's viewer
    /// count, TTL in seconds, the events channel, the envelope up to its id.
    static let publishScript = """
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
        redis.call('PUBLISH', ARGV[6], ARGV[7] .. string.format('%d', id) .. ',"peak_viewers":' .. string.format('%d', peak) .. '}')
        return {id, peak}
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
