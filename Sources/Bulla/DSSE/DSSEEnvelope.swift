import BullaCrypto

/// A DSSE envelope (secure-systems-lab/dsse, envelope.md): a payload, its type, and signatures
/// over the pre-authentication encoding of both.
public struct DSSEEnvelope: Sendable, Hashable {
    /// One entry of `signatures`: a signature over the PAE and the optional key hint beside it.
    public struct Signature: Sendable, Hashable {
        /// The `keyid` hint, written for other tools; verification never chooses a key by it.
        public var keyID: String?
        /// The raw signature bytes (DER ECDSA or Ed25519), base64 in the JSON form.
        public var signature: [UInt8]

        /// A signature as read or made; nothing is checked until `signatures(verifiedBy:)`.
        public init(keyID: String?, signature: [UInt8]) {
            self.keyID = keyID
            self.signature = signature
        }
    }

    /// What the payload is (in-toto statement, cosign payload); signed with it, so it cannot be swapped.
    public var payloadType: String
    /// The payload exactly as signed; verification uses these bytes, never a re-encoding.
    public var payload: [UInt8]
    /// Every signature the envelope carries; any one verifying under a trusted key is enough.
    public var signatures: [Signature]

    /// An envelope from its parts, as read or about to be written; `signed(...)` makes a signed one.
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

    /// This envelope's PAE: the exact bytes its signatures are over (DSSE protocol.md).
    public var preAuthenticationEncoding: [UInt8] {
        Self.preAuthenticationEncoding(payloadType: payloadType, payload: payload)
    }

    /// A new envelope with one signature by `key`.
    public static func signed(payload: [UInt8], payloadType: String, key: SigningKey, keyID: String? = nil) throws -> DSSEEnvelope {
        let signature = try key.signature(for: preAuthenticationEncoding(payloadType: payloadType, payload: payload))
        return DSSEEnvelope(payloadType: payloadType, payload: payload, signatures: [Signature(keyID: keyID, signature: signature)])
    }

    /// The signatures that verify under `key`. The key hint (`keyid`) is never trusted: every
    /// signature is tried against the key. For ECDSA the encoding is hashed in its two parts, so
    /// a large payload is never copied to be verified.
    public func signatures(verifiedBy key: VerifyingKey) -> [Signature] {
        let header = Array("DSSEv1 \(payloadType.utf8.count) \(payloadType) \(payload.count) ".utf8)
        if let algorithm = key.algorithm.digest {
            var hash = StreamingDigest(algorithm)
            hash.update(header)
            hash.update(payload)
            let digest = hash.finalize()
            return signatures.filter { key.isValidSignatureAnyEncoding($0.signature, forDigest: digest) }
        }
        let message = header + payload
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
    public init(bytes: [UInt8], what: String = "DSSE envelope", limits: Limits = .default) throws {
        self = try JSONReader.read(bytes, what: what, maxDepth: limits.maxJSONDepth) { try DSSEEnvelope(reading: &$0, what: what) }
    }

    /// Reads an envelope from a parsed value (a bundle's `dsseEnvelope`), as strictly as from bytes.
    public init(json: JSONValue, what: String = "DSSE envelope") throws {
        try self.init(bytes: json.serialized, what: what)
    }

    /// Reads an envelope object in place; the payload is decoded straight from the input bytes.
    init(reading reader: inout JSONReader, what: String) throws {
        var payloadType: String?, payload: [UInt8]?
        var signatures: [Signature]?
        try reader.object { reader, name in
            if name.is("payloadType") {
                payloadType = try reader.optionalString("payloadType")
            } else if name.is("payload") {
                guard let decoded = Self.decodeBase64(try reader.unescapedStringBytes("payload")) else {
                    throw BullaError(.malformedInput, "\(what) payload is missing or not base64")
                }
                payload = decoded
            } else if name.is("signatures") {
                var items: [Signature] = []
                try reader.array { reader in
                    let index = items.count
                    var keyID: String?, sig: [UInt8]?
                    try reader.object { reader, name in
                        if name.is("sig") {
                            sig = Self.decodeBase64(try reader.unescapedStringBytes("sig"))
                        } else if name.is("keyid") {
                            keyID = try reader.optionalString("keyid")
                        } else {
                            try reader.skip()
                        }
                    }
                    guard let sig, !sig.isEmpty else {
                        throw BullaError(.malformedInput, "\(what) signature \(index) is missing or not base64")
                    }
                    items.append(Signature(keyID: keyID, signature: sig))
                }
                signatures = items
            } else {
                try reader.skip()
            }
        }
        guard let payloadType else { throw BullaError(.malformedInput, "\(what) has no payloadType string") }
        guard let payload else { throw BullaError(.malformedInput, "\(what) payload is missing or not base64") }
        guard let signatures, !signatures.isEmpty else { throw BullaError(.malformedInput, "\(what) has no signatures") }
        self.init(payloadType: payloadType, payload: payload, signatures: signatures)
    }

    static func decodeBase64(_ text: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        let raw = UnsafeRawBufferPointer(text)
        return Base64.decode(raw) ?? Base64.decode(raw, alphabet: .urlSafe, paddingRequired: false)
    }
}
