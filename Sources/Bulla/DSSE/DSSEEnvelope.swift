import BullaCrypto

/// A DSSE envelope (secure-systems-lab/dsse, envelope.md): a payload, its type, and signatures
/// over the pre-authentication encoding of both.
public struct DSSEEnvelope: Sendable, Hashable {
    public struct Signature: Sendable, Hashable {
        public var keyID: String?
        public var signature: [UInt8]

        public init(keyID: String?, signature: [UInt8]) {
            self.keyID = keyID
            self.signature = signature
        }
    }

    public var payloadType: String
    /// The payload exactly as signed; verification uses these bytes, never a re-encoding.
    public var payload: [UInt8]
    public var signatures: [Signature]

    public init(payloadType: String, payload: [UInt8], signatures: [Signature] = []) {
        self.payloadType = payloadType
        self.payload = payload
        self.signatures = signatures
    }

    /// PAE(type, body) = "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body, lengths in ASCII
    /// decimal (protocol.md).
    public static func preAuthenticationEncoding(payloadType: String, payload: [UInt8]) -> [UInt8] {
        let type = Array(payloadType.utf8)
        return Array("DSSEv1 \(type.count) ".utf8) + type + Array(" \(payload.count) ".utf8) + payload
    }

    public var preAuthenticationEncoding: [UInt8] {
        Self.preAuthenticationEncoding(payloadType: payloadType, payload: payload)
    }

    /// A new envelope with one signature by `key`.
    public static func signed(payload: [UInt8], payloadType: String, key: SigningKey, keyID: String? = nil) throws -> DSSEEnvelope {
        let signature = try key.signature(for: preAuthenticationEncoding(payloadType: payloadType, payload: payload))
        return DSSEEnvelope(payloadType: payloadType, payload: payload, signatures: [Signature(keyID: keyID, signature: signature)])
    }

    /// The signatures that verify under `key`. The key hint (`keyid`) is never trusted: every
    /// signature is tried against the key.
    public func signatures(verifiedBy key: VerifyingKey) -> [Signature] {
        let message = preAuthenticationEncoding
        return signatures.filter { key.isValidSignatureAnyEncoding($0.signature, for: message) }
    }

    // MARK: JSON

    /// `{"payloadType":…,"payload":…,"signatures":[{"keyid":…,"sig":…}]}`, standard base64.
    public var json: JSONValue {
        .object([
            ("payload", .string(Base64.encode(payload))),
            ("payloadType", .string(payloadType)),
            ("signatures", .array(signatures.map { signature in
                var members: [(String, JSONValue)] = [("sig", .string(Base64.encode(signature.signature)))]
                if let keyID = signature.keyID { members.append(("keyid", .string(keyID))) }
                return .object(members)
            })),
        ])
    }

    /// Reads the JSON form. Base64 may be standard or URL-safe (envelope.md requires both be
    /// accepted), but must otherwise be canonical; an envelope without signatures is refused.
    public init(json: JSONValue, what: String = "DSSE envelope") throws {
        guard case .string(let payloadType)? = json["payloadType"] else {
            throw BullaError(.malformedInput, "\(what) has no payloadType string")
        }
        guard case .string(let payload64)? = json["payload"], let payload = Self.decodeBase64(payload64) else {
            throw BullaError(.malformedInput, "\(what) payload is missing or not base64")
        }
        guard case .array(let items)? = json["signatures"], !items.isEmpty else {
            throw BullaError(.malformedInput, "\(what) has no signatures")
        }
        let signatures = try items.enumerated().map { index, item -> Signature in
            guard case .string(let sig64)? = item["sig"], let sig = Self.decodeBase64(sig64), !sig.isEmpty else {
                throw BullaError(.malformedInput, "\(what) signature \(index) is missing or not base64")
            }
            return Signature(keyID: item["keyid"]?.stringValue, signature: sig)
        }
        self.init(payloadType: payloadType, payload: payload, signatures: signatures)
    }

    static func decodeBase64(_ text: String) -> [UInt8]? {
        if let bytes = Base64.decode(text) { return bytes }
        var standard = String(text.map { $0 == "-" ? "+" : $0 == "_" ? "/" : $0 })
        if !standard.contains("=") { standard += String(repeating: "=", count: (4 - standard.count % 4) % 4) }
        return Base64.decode(standard)
    }
}
