import StreamHubCore
import StreamHubRedis

/// `<namespace>:ingest:<id>`: the cluster's record of a stream's media-server liveness, `alive`
/// until twice the ingest timeout after its latest update (a key silent for one timeout is
/// silent), or `ended` for a timeout after the stream ended or started anew. Only Redis's clock counts.
extension ClusterStore {
    func ingestKey(_ id: StreamID) -> String { "\(namespace):ingest:\(id.rawValue)" }

    func recordIngest(_ value: String, of id: StreamID, for lifetime: Duration) -> RedisCommand {
        RedisCommand("SET", [ingestKey(id), value, "PX", String(Self.milliseconds(lifetime))])
    }

    func checkIngestSilence(of id: StreamID, timeout: Duration) -> RedisCommand {
        RedisCommand("EVAL", [Self.silenceScript, "1", ingestKey(id), String(Self.milliseconds(timeout))])
    }

    /// The silence script's answer.
    static func silence(from reply: RESPValue) throws(RedisError) -> IngestSilence {
        guard let answer = reply.integer else { throw .protocolViolation("unexpected reply to the ingest silence script") }
        switch answer {
        case -2: return .ended
        case -1, 0: return .silent
        default: return .alive(remaining: .milliseconds(answer))
        }
    }

    static func milliseconds(_ duration: Duration) -> Int64 {
        max(1, duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000)
    }

    /// KEYS: the stream's ingest key. ARGV: the timeout in milliseconds. Returns -2 for `ended`, -1
    /// for no record, the milliseconds until silent for a live one, or 0 to the one caller that
    /// finds it silent (it marks it `ended`, so no other node ends the stream again).
    static let silenceScript = """
        local value = redis.call('GET', KEYS[1])
        if not value then return -1 end
        if value == 'ended' then return -2 end
        local remaining = redis.call('PTTL', KEYS[1]) - tonumber(ARGV[1])
        if remaining > 0 then return remaining end
        redis.call('SET', KEYS[1], 'ended', 'PX', ARGV[1])
        return 0
        """
}
