import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// A viewer's TCP socket, written with `send(2)` and `sendmsg(2)` below SwiftNIO's channel.
///
/// A broadcast writes one small frame to each of thousands of sockets. Through the channel, each such
/// write also pays for SwiftNIO's bookkeeping (its pending-writes queue, lifecycle checks and the
/// retains around them); here it costs the system call (BENCHMARKS.md has what it buys). The
/// channel keeps everything else: reading, closing, errors, and any bytes the socket does not take
/// at once (``ViewerWriter`` hands those to the channel and writes through it until its queue is
/// empty again, so bytes stay in order).
///
/// What it assumes of SwiftNIO (2.101, pinned to that minor version in Package.swift):
/// - the accepted channel keeps its descriptor in `socket.descriptor` (checked: the descriptor is
///   used only if `getpeername` gives the channel's remote port);
/// - the channel closes the descriptor on its event loop and runs `channelInactive` in the same
///   step, so a viewer that checks `isActive` before each send never writes to a reused number;
/// - `bufferedWritableBytes` counts every byte queued in the channel.
/// ``ViewerWriter`` uses it only while nothing stands between the viewer and the socket (``DirectWriteProbe``).
///
/// Use it on the channel's event loop, while the channel is open: the channel owns the descriptor.
struct ViewerSocket {
    private let descriptor: CInt

    /// The socket under `channel`, or `nil` when `channel` is not a SwiftNIO TCP socket channel.
    ///
    /// SwiftNIO does not make an accepted channel's descriptor public; its socket channels keep it in
    /// `socket.descriptor`. The descriptor found there is used only if it is the socket connected to
    /// the channel's remote address, so a SwiftNIO that stores it differently costs speed, not safety.
    init?(of channel: any Channel) {
        #if canImport(Glibc)
        guard let socket = Self.storedProperty("socket", of: channel),
            let descriptor = Self.storedProperty("descriptor", of: socket) as? CInt,
            let port = channel.remoteAddress?.port, Self.peerPort(of: descriptor) == port
        else { return nil }
        self.descriptor = descriptor
        #else
        return nil
        #endif
    }

    /// Most buffers one `sendmsg(2)` takes (Linux's `IOV_MAX`).
    static let maxVectors = 1024

    /// Sends as many bytes of `buffers`, in order, as the socket takes without blocking, in one
    /// system call; returns how many it took. `0` when it took none or failed: the channel, sending
    /// the same bytes, meets the same error and closes.
    func send(_ buffers: some Collection<ByteBuffer>) -> Int {
        #if canImport(Glibc)
        let flags = CInt(MSG_NOSIGNAL) | CInt(MSG_DONTWAIT)
        if buffers.count == 1, let buffer = buffers.first {
            return buffer.withUnsafeReadableBytes { bytes in
                Self.retryingInterrupts { Glibc.send(descriptor, bytes.baseAddress, bytes.count, flags) }
            }
        }
        // Past the kernel's vector limit the rest goes to the channel's queue, in order.
        let buffers = buffers.prefix(Self.maxVectors)
        return withUnsafeTemporaryAllocation(of: iovec.self, capacity: buffers.count) { vectors in
            for (index, buffer) in zip(vectors.indices, buffers) {
                // The caller's buffers keep their storage, and so these addresses, alive until we return.
                buffer.withUnsafeReadableBytesWithStorageManagement { bytes, _ in
                    vectors[index] = iovec(iov_base: UnsafeMutableRawPointer(mutating: bytes.baseAddress), iov_len: bytes.count)
                }
            }
            var message = msghdr()
            message.msg_iov = vectors.baseAddress
            message.msg_iovlen = vectors.count
            return Self.retryingInterrupts { sendmsg(descriptor, &message, flags) }
        }
        #else
        return 0
        #endif
    }

    #if canImport(Glibc)
    private static func retryingInterrupts(_ call: () -> Int) -> Int {
        while true {
            let sent = call()
            if sent >= 0 { return sent }
            // A closed descriptor here means the viewer outlived its channel's close: a bug, as the
            // number may already belong to another file.
            assert(errno != EBADF, "send(2) to a descriptor that is no longer open")
            if errno != EINTR { return 0 }
        }
    }

    private static func storedProperty(_ label: String, of subject: Any) -> Any? {
        var mirror: Mirror? = Mirror(reflecting: subject)
        while let current = mirror {
            if let child = current.children.first(where: { $0.label == label }) { return child.value }
            mirror = current.superclassMirror
        }
        return nil
    }

    private static func peerPort(of descriptor: CInt) -> Int? {
        var address = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let found = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getpeername(descriptor, $0, &length) == 0 }
        }
        guard found else { return nil }
        // The port sits at the same offset in `sockaddr_in` and `sockaddr_in6`.
        guard [AF_INET, AF_INET6].contains(CInt(address.ss_family)) else { return nil }
        return withUnsafeBytes(of: address) { Int(UInt16(bigEndian: $0.load(fromByteOffset: 2, as: UInt16.self))) }
    }
    #endif
}
