import NIOCore
import NIOEmbedded
import NIOPosix
import Testing

@testable import StreamHubCore

/// `ViewerSocket` finds the descriptor inside SwiftNIO's socket channel, which SwiftNIO does not make
/// public: these tests fail, rather than the hub silently writing through the channel again, if a
/// SwiftNIO update moves it.
@Suite(.timeLimit(.minutes(1))) struct ViewerSocketTests {
    @Test func sendsBuffersInOrderOnAnAcceptedTCPChannel() async throws {
        try await withConnectedPair { server, client in
            let sent = try await server.eventLoop.submit {
                ViewerSocket(of: server)?.send([ByteBuffer(string: "hello, "), ByteBuffer(string: "viewer"), ByteBuffer(string: "!")])
            }.get()
            #expect(sent == 14)
            #expect(try await client.received(14) == "hello, viewer!")
        }
    }

    @Test func takesWhatAFullSocketHasRoomForWithoutBlocking() async throws {
        try await withConnectedPair { server, client in
            try await client.channel.setOption(.autoRead, value: false).get()
            let chunk = ByteBuffer(repeating: 0x61, count: 1 << 20)
            let taken = try await server.eventLoop.submit {
                let socket = try #require(ViewerSocket(of: server))
                var taken: [Int] = []
                while taken.last != 0, taken.count < 1000 { taken.append(socket.send(CollectionOfOne(chunk))) }
                return taken
            }.get()
            #expect(taken.first ?? 0 > 0)
            #expect(taken.last == 0, "a full socket takes nothing, and the call does not block")
        }
    }

    @Test func leavesChannelsWithoutASocketToSwiftNIO() {
        #expect(ViewerSocket(of: EmbeddedChannel()) == nil)
    }

    private func withConnectedPair(_ body: (any Channel, ByteCollector) async throws -> Void) async throws {
        let group = MultiThreadedEventLoopGroup.singleton
        let accepted = group.next().makePromise(of: (any Channel).self)
        let listener = try await ServerBootstrap(group: group)
            .childChannelInitializer { channel in
                accepted.succeed(channel)
                return channel.eventLoop.makeSucceededVoidFuture()
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let collector = ByteCollector()
        let client = try await ClientBootstrap(group: group)
            .channelInitializer { channel in channel.pipeline.addHandler(collector) }
            .connect(to: try #require(listener.localAddress)).get()
        collector.channel = client
        let server = try await accepted.futureResult.get()
        try await body(server, collector)
        try await client.close()
        try await listener.close()
    }
}

/// Collects what the client side of a connection reads.
private final class ByteCollector: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    var channel: (any Channel)!
    private var bytes = ByteBuffer()
    private var waiting: (count: Int, promise: EventLoopPromise<String>)?

    func received(_ count: Int) async throws -> String {
        try await channel.eventLoop.flatSubmit {
            let promise = self.channel.eventLoop.makePromise(of: String.self)
            self.waiting = (count, promise)
            self.fulfil()
            return promise.futureResult
        }.get()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        bytes.writeBuffer(&buffer)
        fulfil()
    }

    private func fulfil() {
        guard let waiting, bytes.readableBytes >= waiting.count else { return }
        self.waiting = nil
        waiting.promise.succeed(bytes.readString(length: waiting.count)!)
    }
}
