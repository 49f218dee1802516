import Foundation

/// The callbacks in `Recorded/`, as media servers sent them (see its README).
enum Recorded {
    static func bytes(_ name: String) throws -> [UInt8] {
        guard let url = Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Recorded") else {
            throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: "Recorded/\(name)"])
        }
        return Array(try Data(contentsOf: url))
    }
}
