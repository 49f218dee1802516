/// Positions in a batch of at most 32 deliveries: those a viewer was written.
struct DeliveryIndices: Equatable {
    private var bits: UInt32 = 0

    var isEmpty: Bool { bits == 0 }
    var count: Int { bits.nonzeroBitCount }

    func contains(_ index: Int) -> Bool { bits & (1 << index) != 0 }

    mutating func insert(_ index: Int) {
        precondition(index < UInt32.bitWidth, "a batch holds at most 32 deliveries")
        bits |= 1 << index
    }
}
