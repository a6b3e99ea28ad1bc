import BullaCrypto

/// cosign's encrypted private key file, read as JSON so `key import-cosign` can hand its fields
/// to BullaCrypto (spec/keys.md, "Importing a cosign key").
///
/// cosign writes one PEM block labelled `ENCRYPTED SIGSTORE PRIVATE KEY` (before cosign 2.0:
/// `ENCRYPTED COSIGN PRIVATE KEY`) whose body is go-securesystemslib's `encrypted` JSON:
/// `{"kdf":{"name":"scrypt","params":{"N":…,"r":…,"p":…},"salt":…},
/// "cipher":{"name":"nacl/secretbox","nonce":…},"ciphertext":…}`, byte strings in padded
/// standard base64. Member names are matched exactly, as written.
enum CosignKeyDocument {
    /// Most bytes of JSON read: a cosign key's is under 1 KiB.
    static let maxJSONBytes = 64 * 1024

    /// The sealed key in `pem`, every field read and bounded; nothing is decrypted.
    static func sealedKey(in pem: [UInt8]) throws -> CosignSealedKey {
        let body = try PEM.decode(pem, label: try CosignSealedKey.label(of: pem))
        guard body.count <= maxJSONBytes else { throw CosignSealedKey.malformed("the JSON is \(body.count) bytes, more than \(maxJSONBytes)") }
        let document: JSONValue
        do {
            document = try JSONValue(parsing: body, what: "cosign private key")
        } catch let error as BullaError {
            throw CosignSealedKey.malformed(error.message)
        }
        guard case .object = document else { throw CosignSealedKey.malformed("the JSON is not an object") }
        let parameters = document["kdf"]?["params"]
        return try CosignSealedKey(
            kdf: try string(document["kdf"]?["name"], "kdf.name"), cipher: try string(document["cipher"]?["name"], "cipher.name"),
            n: try integer(parameters?["N"], "kdf.params.N"), r: try integer(parameters?["r"], "kdf.params.r"), p: try integer(parameters?["p"], "kdf.params.p"),
            salt: try bytes(document["kdf"]?["salt"], "kdf.salt"), nonce: try bytes(document["cipher"]?["nonce"], "cipher.nonce"),
            ciphertext: try bytes(document["ciphertext"], "ciphertext"))
    }

    private static func string(_ value: JSONValue?, _ field: String) throws -> String {
        guard let value else { throw CosignSealedKey.malformed("no \(field)") }
        guard let text = value.stringValue else { throw CosignSealedKey.malformed("\(field) is not a string") }
        return text
    }

    /// A whole number; a negative or fractional one is refused by name.
    private static func integer(_ value: JSONValue?, _ field: String) throws -> UInt64 {
        guard let value else { throw CosignSealedKey.malformed("no \(field)") }
        guard case .integer(let number) = value, number >= 0 else { throw CosignSealedKey.malformed("\(field) is not a whole number") }
        return UInt64(number)
    }

    /// The bytes of a padded standard base64 string, as Go's encoding/json writes `[]byte`.
    private static func bytes(_ value: JSONValue?, _ field: String) throws -> [UInt8] {
        guard let decoded = Base64.decode(try string(value, field)) else { throw CosignSealedKey.malformed("\(field) is not base64") }
        return decoded
    }
}
