import COpenSSL
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Owns one `X509`, freed in `deinit`. An `X509` is not changed after parsing (its extension
/// cache is filled under OpenSSL's lock when the `Certificate` is made), so it can be shared.
final class X509Box: @unchecked Sendable {
    let pointer: OpaquePointer

    /// Parses `der`, refusing bytes after the certificate and an encoding OpenSSL would write
    /// differently (a BER outer length), so one certificate has one DER.
    init(der: [UInt8]) throws {
        let parsed: OpaquePointer? = der.withUnsafeBufferPointer { buffer in
            var cursor: UnsafePointer<UInt8>? = buffer.baseAddress
            guard let x509 = d2i_X509(nil, &cursor, buffer.count) else { return nil }
            guard cursor == buffer.baseAddress.map({ $0 + buffer.count }) else {
                X509_free(x509)
                return nil
            }
            return x509
        }
        guard let parsed else {
            throw BullaError(.malformedInput, "not a DER X.509 certificate (or bytes follow it)", underlying: OpenSSLCall.drainErrorQueue())
        }
        pointer = parsed
        guard (try? Certificate.encode(parsed, i2d_X509)) == der else {
            throw BullaError(.malformedInput, "certificate not in DER's one encoding (long-form or indefinite lengths)")
        }
    }

    deinit { X509_free(pointer) }
}

// MARK: reading the fields

/// Unix seconds from and to the proleptic Gregorian calendar (UTC), without the C library's
/// time zone: the days-from-civil algorithm of H. Hinnant's "chrono-compatible low-level date
/// algorithms".
enum UnixTime {
    /// Seconds since 1970-01-01T00:00:00Z of a UTC calendar time.
    static func seconds(year: Int64, month: Int64, day: Int64, hour: Int64, minute: Int64, second: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * ((month + 9) % 12) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = era * 146_097 + dayOfEra - 719_468
        return days * 86_400 + hour * 3_600 + minute * 60 + second
    }

    /// RFC 3339 text ("2024-03-19T17:26:26Z") of Unix seconds, for messages.
    static func text(_ seconds: Int64) -> String {
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let time = seconds - days * 86_400
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        func two(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(year)-\(two(month))-\(two(day))T\(two(time / 3_600)):\(two(time / 60 % 60)):\(two(time % 60))Z"
    }
}

/// The one DER element certificate extensions wrap their values in (Fulcio's UTF8Strings, the
/// SCT list's OCTET STRING), read strictly: definite minimal length, nothing after it.
enum DERElement {
    /// The content of `bytes` when they are exactly one element with `tag`; nil otherwise.
    static func content(of bytes: [UInt8], tag: UInt8) -> ArraySlice<UInt8>? {
        guard bytes.count >= 2, bytes[0] == tag else { return nil }
        var start = 2
        var length = Int(bytes[1])
        if length >= 0x80 {
            let count = length & 0x7F
            guard (1...3).contains(count), bytes.count >= 2 + count, bytes[2] != 0 else { return nil }
            length = bytes[2..<(2 + count)].reduce(0) { $0 << 8 | Int($1) }
            guard length >= 0x80 else { return nil }
            start = 2 + count
        }
        guard bytes.count - start == length else { return nil }
        return bytes[start...]
    }
}
