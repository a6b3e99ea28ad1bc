import BullaCrypto
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Decodes untrusted JSON only after bounding its size and nesting, so a hostile document costs
/// a linear scan and never a deep recursion in the decoder.
enum JSONDocument {
    /// Decodes `T` from `bytes`, naming `what` in every error.
    static func decode<T: Decodable>(
        _ type: T.Type, from bytes: [UInt8], what: String, limits: Limits, maxBytes: Int? = nil
    ) throws -> T {
        let cap = maxBytes ?? limits.maxManifestBytes
        guard bytes.count <= cap else {
            throw BullaError(.limitExceeded, "\(what) is \(bytes.count) bytes, more than the limit of \(cap)")
        }
        try checkNesting(bytes, what: what, maxDepth: limits.maxJSONDepth)
        do {
            return try JSONDecoder().decode(T.self, from: Data(bytes))
        } catch let error as BullaError {
            throw error.prefixed(what)
        } catch let error as DecodingError {
            throw BullaError(.malformedInput, "\(what) is not a valid document: \(describe(error))")
        } catch {
            throw BullaError(.malformedInput, "\(what) is not valid JSON", underlying: "\(error)")
        }
    }

    /// Refuses input that is not a JSON object or array at the top, or nests deeper than `maxDepth`.
    static func checkNesting(_ bytes: [UInt8], what: String, maxDepth: Int) throws {
        guard let first = bytes.first(where: { !isWhitespace($0) }), first == UInt8(ascii: "{") || first == UInt8(ascii: "[") else {
            throw BullaError(.malformedInput, "\(what) is not JSON: it does not start with '{' or '['")
        }
        var depth = 0
        var inString = false
        var escaped = false
        for byte in bytes {
            if inString {
                if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                depth += 1
                if depth > maxDepth {
                    throw BullaError(.limitExceeded, "\(what) nests JSON deeper than the limit of \(maxDepth) levels")
                }
            case UInt8(ascii: "}"), UInt8(ascii: "]"): depth -= 1
            default: break
            }
        }
    }

    private static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }

    private static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let keys = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return keys.isEmpty ? "" : " at \(keys)"
        }
        switch error {
        case .keyNotFound(let key, let context): return "missing field \"\(key.stringValue)\"\(path(context))"
        case .typeMismatch(_, let context): return "wrong type\(path(context)): \(context.debugDescription)"
        case .valueNotFound(_, let context): return "null value\(path(context))"
        case .dataCorrupted(let context):
            if let underlying = context.underlyingError as? BullaError { return "\(underlying.message)\(path(context))" }
            return "\(context.debugDescription)\(path(context))"
        @unknown default: return "\(error)"
        }
    }
}
