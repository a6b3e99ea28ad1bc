import BullaCrypto
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Decodes untrusted JSON only after bounding its size and nesting, so a hostile document costs
/// a linear scan and never a deep recursion in the decoder.
public enum JSONDocument {
    /// A predicate for an attestation: a JSON object, without repeated members, of at most
    /// ``AttestationLimits/maxPredicateBytes``.
    public static func decodePredicate(_ bytes: [UInt8], what: String) throws -> JSONValue {
        let value = try decode(JSONValue.self, from: bytes, what: what, limits: .default, maxBytes: AttestationLimits.maxPredicateBytes)
        guard case .object = value else { throw BullaError(.malformedInput, "\(what): a predicate is a JSON object") }
        return value
    }

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

    /// Refuses input that is not a JSON object or array at the top, nests deeper than
    /// `maxDepth`, or repeats a member name within one object. Duplicate names would let one
    /// signed document mean two things to two parsers (first wins here, last wins elsewhere).
    static func checkNesting(_ bytes: [UInt8], what: String, maxDepth: Int) throws {
        guard let first = bytes.first(where: { !isWhitespace($0) }), first == UInt8(ascii: "{") || first == UInt8(ascii: "[") else {
            throw BullaError(.malformedInput, "\(what) is not JSON: it does not start with '{' or '['")
        }
        struct Frame {
            let isObject: Bool
            var names: Set<[UInt8]> = []
            var expectingName: Bool
        }
        var stack: [Frame] = []
        var string: [UInt8]?
        var escaped = false
        for byte in bytes {
            if var current = string {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    string = nil
                    if var frame = stack.last, frame.isObject, frame.expectingName {
                        let name = try memberName(current, what: what)
                        guard frame.names.insert(name).inserted else {
                            throw BullaError(.malformedInput, "\(what) repeats the member \"\(String(decoding: name.prefix(80), as: UTF8.self))\" in one object")
                        }
                        frame.expectingName = false
                        stack[stack.count - 1] = frame
                    }
                    continue
                }
                current.append(byte)
                string = current
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): string = []
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                stack.append(Frame(isObject: byte == UInt8(ascii: "{"), expectingName: byte == UInt8(ascii: "{")))
                if stack.count > maxDepth {
                    throw BullaError(.limitExceeded, "\(what) nests JSON deeper than the limit of \(maxDepth) levels")
                }
            case UInt8(ascii: "}"), UInt8(ascii: "]"): _ = stack.popLast()
            case UInt8(ascii: ","):
                if let last = stack.indices.last, stack[last].isObject { stack[last].expectingName = true }
            default: break
            }
        }
    }

    /// A member name as its characters, so `"a"` and `"\u0061"` are the same name.
    private static func memberName(_ raw: [UInt8], what: String) throws -> [UInt8] {
        guard raw.contains(UInt8(ascii: "\\")) else { return raw }
        guard let decoded = try? JSONDecoder().decode(String.self, from: Data([UInt8(ascii: "\"")] + raw + [UInt8(ascii: "\"")])) else {
            throw BullaError(.malformedInput, "\(what) has a malformed member name")
        }
        return Array(decoded.utf8)
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
