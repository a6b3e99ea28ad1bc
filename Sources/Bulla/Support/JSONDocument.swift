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
    public static func decodePredicate(_ bytes: [UInt8], what: String) throws -> RawJSON {
        guard bytes.count <= AttestationLimits.maxPredicateBytes else {
            throw BullaError(.limitExceeded, "\(what) is \(bytes.count) bytes, more than the limit of \(AttestationLimits.maxPredicateBytes)")
        }
        let value = try RawJSON(validating: bytes, what: what)
        guard value.isObject else { throw BullaError(.malformedInput, "\(what): a predicate is a JSON object") }
        return value
    }

    /// Decodes `T` from `bytes`, naming `what` in every error.
    public static func decode<T: Decodable>(
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

    /// Refuses input that is not a JSON object or array at the top, is not strict JSON, nests
    /// deeper than `maxDepth`, or repeats a member name within one object. Duplicate names would
    /// let one signed document mean two things to two parsers (first wins here, last elsewhere).
    static func checkNesting(_ bytes: [UInt8], what: String, maxDepth: Int) throws {
        try JSONReader.validate(bytes, what: what, maxDepth: maxDepth)
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
