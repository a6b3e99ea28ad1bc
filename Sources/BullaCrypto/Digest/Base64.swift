/// Standard base64 (RFC 4648 §4, with padding): the encoding of bytes in Sigstore bundles, DSSE
/// envelopes and cosign annotations. Decoding is strict: no whitespace, no missing padding.
public enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    private static let values: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (i, c) in alphabet.enumerated() { table[Int(c)] = UInt8(i) }
        return table
    }()

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
        let input = Array(text.utf8)
        guard input.count % 4 == 0 else { return nil }
        var out = [UInt8]()
        out.reserveCapacity(input.count / 4 * 3)
        var i = 0
        while i < input.count {
            let quad = input[i..<i + 4]
            let padding = quad.reversed().prefix { $0 == UInt8(ascii: "=") }.count
            guard padding <= 2, i + 4 == input.count || padding == 0 else { return nil }
            var bits: UInt32 = 0
            for (n, char) in quad.enumerated() {
                let value: UInt8
                if n >= 4 - padding {
                    value = 0
                } else {
                    value = values[Int(char)]
                    guard value != 0xFF else { return nil }
                }
                bits = bits << 6 | UInt32(value)
            }
            let bytes = [UInt8(bits >> 16 & 0xFF), UInt8(bits >> 8 & 0xFF), UInt8(bits & 0xFF)]
            // Canonical form: the bits under the padding must be zero.
            if padding == 1 && bytes[2] != 0 || padding == 2 && (bytes[1] != 0 || bytes[2] != 0) { return nil }
            out.append(contentsOf: bytes.prefix(3 - padding))
            i += 4
        }
        return out
    }
}
