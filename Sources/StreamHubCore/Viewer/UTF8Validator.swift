import NIOCore

/// Checks UTF-8 (Unicode 15, Table 3-7) as it arrives, byte by byte across any number of pieces:
/// overlong forms, surrogates and code points above U+10FFFF are refused at their first bad byte.
struct UTF8Validator {
    /// Continuation bytes the current sequence still needs.
    private var needed = 0
    /// The range the next continuation byte must fall in (narrower right after some lead bytes).
    private var lower: UInt8 = 0x80
    private var upper: UInt8 = 0xBF

    /// Whether the text so far ends on a whole character.
    var isComplete: Bool { needed == 0 }

    /// Takes `bytes`; `false` at the first byte that cannot continue valid UTF-8.
    mutating func validate(_ bytes: ByteBuffer) -> Bool {
        bytes.withUnsafeReadableBytes { validate($0) }
    }

    mutating func validate(_ bytes: UnsafeRawBufferPointer) -> Bool {
        for byte in bytes {
            if needed == 0 {
                if byte < 0x80 { continue }
                guard start(byte) else { return false }
            } else {
                guard byte >= lower, byte <= upper else { return false }
                (needed, lower, upper) = (needed - 1, 0x80, 0xBF)
            }
        }
        return true
    }

    private mutating func start(_ lead: UInt8) -> Bool {
        switch lead {
        case 0xC2...0xDF: (needed, lower, upper) = (1, 0x80, 0xBF)
        case 0xE0: (needed, lower, upper) = (2, 0xA0, 0xBF)  // no overlong three-byte forms
        case 0xE1...0xEC, 0xEE...0xEF: (needed, lower, upper) = (2, 0x80, 0xBF)
        case 0xED: (needed, lower, upper) = (2, 0x80, 0x9F)  // no surrogates
        case 0xF0: (needed, lower, upper) = (3, 0x90, 0xBF)  // no overlong four-byte forms
        case 0xF1...0xF3: (needed, lower, upper) = (3, 0x80, 0xBF)
        case 0xF4: (needed, lower, upper) = (3, 0x80, 0x8F)  // nothing above U+10FFFF
        default: return false
        }
        return true
    }
}
