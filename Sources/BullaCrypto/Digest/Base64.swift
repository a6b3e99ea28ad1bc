/// RFC 4648 base64, strict on input: a signature or payload has one encoding, so anything else
/// (missing or extra padding, stray characters, non-zero bits under the padding) is refused.
public enum Base64 {
    /// `+/` (RFC 4648 §4) or `-_` (§5, which DSSE also accepts).
    public enum Alphabet: Sendable { case standard, urlSafe }

    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    private static let standardValues = table(plus: "+", slash: "/")
    private static let urlSafeValues = table(plus: "-", slash: "_")

    private static func table(plus: Unicode.Scalar, slash: Unicode.Scalar) -> [UInt8] {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (i, c) in alphabet.prefix(62).enumerated() { table[Int(c)] = UInt8(i) }
        table[Int(plus.value)] = 62
        table[Int(slash.value)] = 63
        return table
    }

    /// Padded standard base64 (RFC 4648 §4), the form bundles, envelopes and key hints carry.
    public static func encode<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> String {
        var out = [UInt8]()
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var iterator = bytes.makeIterator()
        while let a = iterator.next() {
            let b = iterator.next()
            let c = iterator.next()
            out.append(alphabet[Int(a >> 2)])
            out.append(alphabet[Int((a & 0x03) << 4 | (b ?? 0) >> 4)])
            out.append(b.map { alphabet[Int(($0 & 0x0F) << 2 | (c ?? 0) >> 6)] } ?? UInt8(ascii: "="))
            out.append(c.map { alphabet[Int($0 & 0x3F)] } ?? UInt8(ascii: "="))
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// nil for anything but canonical padded base64 (also refusing non-zero padding bits).
    public static func decode(_ text: String) -> [UInt8]? {
        var text = text
        return text.withUTF8 { decode(UnsafeRawBufferPointer($0)) }
    }

    /// Decodes bytes where they lie (a payload inside a larger document is not copied first).
    /// `paddingRequired: false` also accepts the unpadded form URL-safe encoders write.
    public static func decode(_ input: UnsafeRawBufferPointer, alphabet: Alphabet = .standard, paddingRequired: Bool = true) -> [UInt8]? {
        var length = input.count
        var padding = 0
        while padding < 2, length > 0, input[length - 1] == UInt8(ascii: "=") {
            length -= 1
            padding += 1
        }
        if padding > 0 || paddingRequired {
            guard (length + padding) % 4 == 0 else { return nil }
        }
        let tail = length % 4
        guard tail != 1 else { return nil }
        let values = alphabet == .standard ? standardValues : urlSafeValues
        let fullQuads = length / 4
        var ok = false
        // Every byte is written below before it is read; the buffer is not zeroed first (a
        // payload can be tens of megabytes).
        let out = [UInt8](unsafeUninitializedCapacity: fullQuads * 3 + max(tail - 1, 0)) { out, initialized in
            initialized = out.count
            ok = values.withUnsafeBufferPointer { values -> Bool in
                var bad: UInt8 = 0
                var o = 0
                var i = 0
                for _ in 0..<fullQuads {
                    let a = values[Int(input[i])], b = values[Int(input[i + 1])], c = values[Int(input[i + 2])], d = values[Int(input[i + 3])]
                    bad |= a | b | c | d
                    let bits = UInt32(a) << 18 | UInt32(b) << 12 | UInt32(c) << 6 | UInt32(d)
                    out[o] = UInt8(truncatingIfNeeded: bits >> 16)
                    out[o + 1] = UInt8(truncatingIfNeeded: bits >> 8)
                    out[o + 2] = UInt8(truncatingIfNeeded: bits)
                    o += 3
                    i += 4
                }
                // Invalid characters map to 0xFF, whose top bits no valid value has.
                guard bad & 0xC0 == 0 else { return false }
                if tail > 0 {
                    var bits: UInt32 = 0
                    for k in 0..<tail {
                        let v = values[Int(input[i + k])]
                        guard v != 0xFF else { return false }
                        bits = bits << 6 | UInt32(v)
                    }
                    // Canonical form: the bits under the missing characters are zero.
                    if tail == 2 {
                        guard bits & 0x0F == 0 else { return false }
                        out[o] = UInt8(truncatingIfNeeded: bits >> 4)
                    } else {
                        guard bits & 0x03 == 0 else { return false }
                        out[o] = UInt8(truncatingIfNeeded: bits >> 10)
                        out[o + 1] = UInt8(truncatingIfNeeded: bits >> 2)
                    }
                }
                return true
            }
        }
        return ok ? out : nil
    }
}
