import Logging
import NIOCore
import NIOEmbedded

@testable import StreamHubCore

/// A hub on one embedded event loop with viewers on embedded channels: the fan-out and the
/// heartbeat run for real, and each viewer's frames can be read back.
final class EmbeddedViewers {
    let loop = EmbeddedEventLoop()
    let hub: Hub
    private(set) var channels: [EmbeddedChannel] = []

    init(configuration: HubConfiguration = HubConfiguration(), observer: any HubObserver = NoHubObserver()) {
        hub = Hub(configuration: configuration, eventLoopGroup: loop, logger: Logger(label: "test"), observer: observer)
    }

    /// Adds `count` viewers of `stream`; `below` adds handlers to each pipeline before the viewer's.
    func addViewers(_ count: Int, of stream: StreamID, below: (EmbeddedChannel) throws -> Void = { _ in }) throws {
        for _ in 0..<count {
            let channel = EmbeddedChannel(loop: loop)
            try below(channel)
            try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 9)).wait()
            guard case .success = hub.admit(streamID: stream.rawValue, origin: nil, channel: channel) else { throw ChannelError.ioOnClosedChannel }
            try hub.attachViewer(of: stream, to: channel)
            channels.append(channel)
        }
    }

    func publish(_ body: String, to stream: StreamID) throws {
        _ = hub.publish(try PublishRequest(body: Array(body.utf8)[...]), to: stream, on: loop)
    }

    /// The frames `channel` was written since the last read, as (opcode, text payload).
    func frames(of channel: EmbeddedChannel) -> [(opcode: UInt8, text: String)] {
        var frames: [(UInt8, String)] = []
        while let buffer = try? channel.readOutbound(as: ByteBuffer.self) {
            var buffer = buffer
            while let first = buffer.readInteger(as: UInt8.self), let second = buffer.readInteger(as: UInt8.self) {
                var length = Int(second & 0x7F)
                if length == 126 { length = Int(buffer.readInteger(as: UInt16.self) ?? 0) }
                frames.append((first & 0x0F, buffer.readString(length: length) ?? ""))
            }
        }
        return frames
    }

    /// The ids of the text messages of `channel` since the last read.
    func messageIDs(of channel: EmbeddedChannel) -> [String] {
        frames(of: channel).filter { $0.opcode == 1 }.compactMap { text in
            text.text.split(separator: ",").first.map { String($0.dropFirst(6)) }  // {"id":N,...
        }
    }
}
