/// ECDSA signature encodings. Bulla writes DER (`ECDSA-Sig-Value`, RFC 3279), as cosign does;
/// some DSSE producers write the fixed-width `r || s` form (IEEE P1363), which is converted to
/// DER before verification.
public enum ECDSASignature {
    /// DER for a raw `r || s` of 64 (P-256) or 96 (P-384) bytes; nil for any other length.
    public static func der(fromRaw raw: [UInt8]) -> [UInt8]? {
        guard raw.count == 64 || raw.count == 96 else { return nil }
        let half = raw.count / 2
        let body = integer(Array(raw[..<half])) + integer(Array(raw[half...]))
        return [0x30] + length(body.count) + body
    }

    private static func integer(_ magnitude: [UInt8]) -> [UInt8] {
        var bytes = Array(magnitude.drop { $0 == 0 })
        if bytes.isEmpty { bytes = [0] }
        if bytes[0] & 0x80 != 0 { bytes.insert(0, at: 0) }
        return [0x02] + length(bytes.count) + bytes
    }

    private static func length(_ count: Int) -> [UInt8] {
        count < 0x80 ? [UInt8(count)] : [0x81, UInt8(count)]
    }
}
