import BullaCrypto
import Foundation
import Testing

@testable import Bulla

/// Transparency evidence against the sigstore-conformance bundle-verify vectors: every vector
/// is run through the trusted root, RFC 3161 timestamp and tlog-entry checks, and must fail
/// the check the table names (with its reason) or pass them all; then tampered copies of real
/// entries are refused by the check that guards what was changed.
@Suite struct RekorEntryTests {
    /// The checks, in the order a run makes them; the first that fails is the one reported.
    enum Check: String, Sendable { case bundle, root, timestamp, entry, log, time, body, promise, proof }

    /// Vectors these checks refuse: the check and a phrase of its message. Every other vector
    /// passes them all; the `_fail` ones among those fail on certificates, SCTs or the bundle's
    /// own fields, which are checked elsewhere (see `notRefusedHere`).
    static let refused: [String: (Check, String)] = [
        "bundle-malformed-json_fail": (.bundle, "is not valid JSON"),
        "trust-root-tlog-missing-validity-start_fail": (.root, "validFor.start is missing"),
        "bundle-negative-log-index_fail": (.entry, "an index is never negative"),
        "bundle-from-wrong-instance_fail": (.log, "is not a transparency log of the trusted root"),
        "rekor2-no-timestamp_fail": (.time, "no integration time and no timestamp"),
        "rekor2-timestamp-outside-trust-root-tsa-validity_fail": (.timestamp, "is outside its validity"),
        "rekor2-timestamp-outside-tsa-cert-validity_fail": (.timestamp, "certificate has expired"),
        "rekor2-timestamp-payload-mismatch_fail": (.timestamp, "the message imprint is"),
        "rekor2-timestamp-untrusted-tsa-with-embedded-cert_fail": (.timestamp, "does not verify under a certificate chaining"),
        "rekor2-timestamp-untrusted-tsa-without-embedded-cert_fail": (.timestamp, "does not verify under a certificate chaining"),
        "bundle-unknown-version_fail": (.body, "the entry says hashedrekord 0.0.1"),
        "dsse-invalid-sig_fail": (.body, "a signature the envelope does not hold"),
        "dsse-mismatch-envelope_fail": (.body, "it records another payload"),
        "dsse-mismatch-sig_fail": (.body, "a signature the envelope does not hold"),
        "incorrect-public-key_fail": (.body, "another certificate or key"),
        "intoto-log-entry-mismatch_fail": (.body, "a signature the envelope does not hold"),
        "rekor2-dsse-invalid-sig_fail": (.body, "it records another signature"),
        "rekor2-dsse-mismatch-envelope_fail": (.body, "it records another digest"),
        "rekor2-dsse-mismatch-sig_fail": (.body, "it records another signature"),
        "signature-mismatch_fail": (.body, "it records another signature"),
        "wrong-hashedrekord-artifact_fail": (.body, "another artifact digest"),
        "wrong-hashedrekord-cert-and-sig_fail": (.body, "it records another signature"),
        "wrong-hashedrekord-entry_fail": (.body, "another artifact digest"),
        "wrong-material_fail": (.body, "another artifact digest"),
        // Their signature or certificate is unreadable, so the body is not compared; the
        // vectors' tampered bodies then fail the log's promise.
        "bundle-empty-certificate-chain_fail": (.promise, "(SET) does not verify"),
        "bundle-invalid-base64-signature_fail": (.promise, "(SET) does not verify"),
        "set-invalid-signature_fail": (.promise, "(SET) does not verify"),
        "bundle-with-root-cert_fail": (.proof, "inclusion proof has no checkpoint"),
        "checkpoint-bad-keyhint_fail": (.proof, "no signature by a known key"),
        "checkpoint-wrong-roothash_fail": (.proof, "is not the proof's treeSize"),
        "inclusion-proof-corrupted-hash_fail": (.proof, "inclusion proof leads to"),
        "invalid-checkpoint-signature_fail": (.proof, "invalid signature for key rekor.sigstore.dev+c0d23d6a"),
        "invalid-inclusion-proof_fail": (.proof, "inclusion proof leads to"),
        "intoto-missing-inclusion-proof_fail": (.proof, "has no inclusion proof"),
        "rekor2-no-inclusion-proof_fail": (.proof, "has no inclusion proof"),
        "rekor2-checkpoint-missing-log-signature_fail": (.proof, "malformed note"),
        "rekor2-checkpoint-missing-origin_fail": (.proof, "malformed checkpoint"),
        "rekor2-checkpoint-missing-root-hash_fail": (.proof, "malformed checkpoint"),
        "rekor2-checkpoint-missing-size_fail": (.proof, "malformed checkpoint"),
        "rekor2-checkpoint-no-matching-signature_fail": (.proof, "is not the log's \"log2025-alpha1.rekor.sigstage.dev\""),
    ]
    /// Rejected by the suite for what other checks judge: the signing certificate's validity
    /// against the proven time, the CT log's SCT, the bundle's digest hint, the key argument.
    static let notRefusedHere: Set<String> = [
        "integrated-time-in-future_fail", "intoto-expired-certificate_fail", "intoto-set-outside-signing-cert-validity_fail",
        "intoto-tsa-timestamp-outside-cert-validity_fail", "invalid-ct-key_fail", "message-digest-mismatch_fail",
        "rekor2-timestamp-with-incorrect-time_fail", "managed-key-no-key_fail", "managed-key-wrong-key_fail",
    ]
    static var vectors: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: SigstoreConformance.vectors.path)) ?? [])
            .filter { SigstoreConformance.hasFile($0, "bundle.sigstore.json") }.sorted()
    }

    @Test func everyVectorIsInTheTable() {
        #expect(Self.vectors.count == 70)
        for vector in Self.vectors where vector.hasSuffix("_fail") {
            #expect(Self.refused[vector] != nil || Self.notRefusedHere.contains(vector), "\(vector)")
        }
    }

    @Test(arguments: vectors)
    func conformanceVector(_ vector: String) throws {
        let failure = try Self.firstFailure(vector)
        if let (check, phrase) = Self.refused[vector] {
            #expect(failure?.0 == check, "\(vector): \(failure.map { "\($0.0): \($0.1)" } ?? "passed")")
            #expect(failure?.1.message.contains(phrase) == true, "\(vector): \(failure?.1.message ?? "passed")")
        } else {
            #expect(failure == nil, "\(vector): \(failure.map { "\($0.0): \($0.1)" } ?? "")")
        }
    }

    /// The accepted vectors pass `verify` as a whole, which reports what the entry proved.
    @Test(arguments: vectors.filter { !$0.hasSuffix("_fail") })
    func acceptedVectorsVerifyWhole(_ vector: String) throws {
        let run = try Run(vector)
        let verified = try run.entry.verify(against: run.root, content: try #require(run.content), signer: try #require(run.signer),
                                            timestamp: try run.timestamp(), requireInclusionProof: run.requireProof)
        let log = try run.entry.log(in: run.root)
        #expect(verified.logIndex == run.entry.logIndex && verified.baseURL == log.baseURL)
        #expect(verified.integratedTime == (run.entry.signedEntryTimestamp == nil ? nil : run.entry.integratedTime))
    }

    // MARK: Tampered entries

    @Test func aTamperedPromiseBodyOrTimeIsRefused() throws {
        let run = try Run("happy-path-v0.3")
        let log = try run.entry.log(in: run.root)
        var entry = run.entry
        entry.signedEntryTimestamp![10] ^= 1
        #expect(performing: { try entry.verifyInclusionPromise(log: log) }, throws: { ($0 as? BullaError)?.message.contains("(SET) does not verify") == true })
        entry = run.entry
        entry.integratedTime! += 1
        #expect(throws: BullaError(.signatureInvalid)) { try entry.verifyInclusionPromise(log: log) }
        entry = run.entry
        entry.logIndex += 1
        #expect(throws: BullaError(.signatureInvalid)) { try entry.verifyInclusionPromise(log: log) }
        entry = run.entry
        entry.canonicalizedBody[entry.canonicalizedBody.count - 3] ^= 1
        #expect(throws: BullaError(.signatureInvalid)) { try entry.verifyInclusionPromise(log: log) }
        #expect(throws: BullaError(.signatureInvalid)) { try entry.verifyInclusionProof(log: log) }
    }

    @Test func aTamperedProofIsRefused() throws {
        let run = try Run("happy-path-v0.3")
        let log = try run.entry.log(in: run.root)
        let tampers: [(inout RekorEntry.Proof) -> Void] = [
            { $0.hashes[3][0] ^= 1 }, { $0.hashes.removeLast() }, { $0.hashes.append($0.hashes[0]) },
            { $0.logIndex += 1 }, { $0.treeSize += 1 }, { $0.rootHash[0] ^= 1 }, { $0.checkpoint = nil },
        ]
        for tamper in tampers {
            var entry = run.entry
            tamper(&entry.inclusionProof!)
            #expect(throws: BullaError.self) { try entry.verifyInclusionProof(log: log) }
        }
    }

    /// Time: an integration time ahead of the clock (beyond the skew) or outside the log key's
    /// window is refused; the window's end is inside.
    @Test func integrationTimesAreJudgedAgainstTheClockAndTheKey() throws {
        let run = try Run("happy-path-v0.1")
        var log = try run.entry.log(in: run.root)
        let time = try #require(run.entry.integratedTime)
        try run.entry.verifyTime(log: log, timestamp: nil, now: time - RekorEntry.maxClockSkew)
        #expect(performing: { try run.entry.verifyTime(log: log, timestamp: nil, now: time - RekorEntry.maxClockSkew - 1) },
                throws: { ($0 as? BullaError)?.message.contains("is in the future") == true })
        log.publicKey.validFor.end = time
        try run.entry.verifyTime(log: log, timestamp: nil)
        log.publicKey.validFor.end = time - 1
        #expect(performing: { try run.entry.verifyTime(log: log, timestamp: nil) }, throws: { ($0 as? BullaError)?.message.contains("was trusted") == true })
        log.publicKey.validFor = .init(start: time + 1)
        #expect(throws: BullaError(.signatureInvalid)) { try run.entry.verifyTime(log: log, timestamp: nil) }
    }

    /// A bundle's content of the other kind never matches: a DSSE entry does not record a
    /// message signature, nor a hashedrekord 0.0.1 entry an envelope.
    @Test func contentOfTheOtherKindDoesNotMatch() throws {
        let dsse = try Run("happy-path-intoto-in-dsse-v3"), message = try Run("happy-path-v0.3")
        #expect(performing: { try dsse.entry.verifyBody(matches: try #require(message.content), signer: try #require(dsse.signer)) },
                throws: { ($0 as? BullaError)?.message.contains("a dsse entry does not record a bundle's message signature") == true })
        #expect(throws: BullaError(.signatureInvalid)) { try message.entry.verifyBody(matches: try #require(dsse.content), signer: try #require(message.signer)) }
        #expect(throws: BullaError(.signatureInvalid)) { try message.entry.verifyBody(matches: try #require(message.content), signer: try #require(dsse.signer)) }
    }

    /// A v0.1 bundle may carry the promise alone; later bundles and Rekor v2 need the proof.
    @Test func theProofIsRequiredUnlessTheBundleIsV01() throws {
        let run = try Run("happy-path-v0.1")
        var entry = run.entry
        entry.inclusionProof = nil
        let content = try #require(run.content), signer = try #require(run.signer)
        #expect(try entry.verify(against: run.root, content: content, signer: signer, requireInclusionProof: false).integratedTime == entry.integratedTime)
        #expect(throws: BullaError(.signatureInvalid)) { try entry.verify(against: run.root, content: content, signer: signer) }
        entry.signedEntryTimestamp = nil
        #expect(throws: BullaError(.signatureInvalid)) { try entry.verify(against: run.root, content: content, signer: signer, requireInclusionProof: false) }
    }

    /// The JSON form: int64 as strings or numbers, proto field names, a negative index and
    /// oversized lists refused.
    @Test func entriesReadAsProtobufJSON() throws {
        let json = try Run("happy-path-v0.3").json
        let text = json.text
        let numbers = text.replacingOccurrences(of: #""logIndex":"79571823""#, with: #""logIndex":79571823"#)
            .replacingOccurrences(of: #""integratedTime":"1710869186""#, with: #""integrated_time":1710869186"#)
        #expect(try RekorEntry(json: try JSONValue(parsing: Array(numbers.utf8), what: "entry")) == (try RekorEntry(json: json)))
        for (original, replacement, reason) in [
            (#""logIndex":"75408392""#, #""logIndex":"-2""#, "inclusionProof.logIndex is -2"),
            (#""integratedTime":"1710869186""#, #""integratedTime":"-1""#, "integratedTime is negative"),
            (#""logIndex":"79571823""#, #""logIndex":"x""#, "is not an integer"),
            (#""keyId":"#, #""keyID":"#, "tlog entry.logId.keyId is missing"),
            (#""hashes":["#, #""hashes":[\#(Array(repeating: "\"AA==\",", count: 65).joined())"#, "more than the limit of 64"),
        ] {
            let broken = text.replacingOccurrences(of: original, with: replacement)
            #expect(broken != text, "\(original)")
            #expect(performing: { try RekorEntry(json: try JSONValue(parsing: Array(broken.utf8), what: "entry")) },
                    throws: { ($0 as? BullaError)?.message.contains(reason) == true })
        }
    }

    // MARK: Running a vector

    /// One vector's material: its root, its first tlog entry, what it signed and by whom.
    struct Run {
        let vector: String
        let bundle: JSONValue
        let root: TrustedRoot
        let json: JSONValue
        let entry: RekorEntry
        var content: RekorEntry.SignedContent?
        var signer: [UInt8]?
        var signature: [UInt8] = []

        init(_ vector: String) throws {
            self.vector = vector
            bundle = try SigstoreConformance.bundle(vector)
            root = try SigstoreConformance.trustedRoot(vector)
            guard case .array(let entries)? = bundle["verificationMaterial"]?["tlogEntries"], let first = entries.first else {
                throw BullaError(.notFound, "\(vector) has no tlog entry")
            }
            json = first
            entry = try RekorEntry(json: first)
            let material = bundle["verificationMaterial"] ?? .null
            let artifact = SigstoreConformance.hasFile(vector, "artifact") ? try SigstoreConformance.vectorBytes(vector, "artifact")
                : Array(try Data(contentsOf: SigstoreConformance.vectors.appendingPathComponent("a.txt")))
            if let envelope = bundle["dsseEnvelope"], let parsed = try? DSSEEnvelope(json: envelope) {
                (content, signature) = (.dsse(parsed), parsed.signatures[0].signature)
            } else if let signature = bundle["messageSignature"]?["signature"]?.stringValue.flatMap(Base64.decode) {
                (content, self.signature) = (.messageSignature(digest: Digest.compute(.sha256, over: artifact), signature: signature), signature)
            }
            if let certificate = material["certificate"]?["rawBytes"]?.stringValue.flatMap(Base64.decode) {
                signer = certificate
            } else if case .array(let chain)? = material["x509CertificateChain"]?["certificates"] {
                signer = chain.first?["rawBytes"]?.stringValue.flatMap(Base64.decode)
            } else if SigstoreConformance.hasFile(vector, "key.pub") {
                signer = (try? VerifyingKey(pemRepresentation: try SigstoreConformance.vectorBytes(vector, "key.pub")))?.derRepresentation
            }
        }

        /// Bundles from v0.2 on must carry an inclusion proof.
        var requireProof: Bool { !(bundle["mediaType"]?.stringValue ?? "").hasSuffix("version=0.1") }

        /// The first RFC 3161 timestamp's verified time, if the bundle has one.
        func timestamp() throws -> Int? {
            guard case .array(let stamps)? = bundle["verificationMaterial"]?["timestampVerificationData"]?["rfc3161Timestamps"],
                  let text = stamps.first?["signedTimestamp"]?.stringValue else { return nil }
            guard let der = Base64.decode(text.filter { $0 != "\n" }) else { throw BullaError(.malformedInput, "\(vector): signedTimestamp is not base64") }
            return try root.verifiedTimestamp(try TimestampToken(derRepresentation: der), over: signature).time
        }
    }

    /// Runs the checks in ``Check`` order and returns the first that fails, with its error.
    static func firstFailure(_ vector: String) throws -> (Check, BullaError)? {
        func attempt(_ check: Check, _ body: () throws -> Void) throws -> (Check, BullaError)? {
            do { try body() } catch let error as BullaError { return (check, error) }
            return nil
        }
        if let failure = try attempt(.bundle, { _ = try SigstoreConformance.bundle(vector) }) { return failure }
        if let failure = try attempt(.root, { _ = try SigstoreConformance.trustedRoot(vector) }) { return failure }
        var run: Run?
        var time: Int?
        if let failure = try attempt(.entry, { run = try Run(vector) }) { return failure }
        guard let run else { return nil }
        if let failure = try attempt(.timestamp, { time = try run.timestamp() }) { return failure }
        var log: TrustedRoot.LogInstance?
        if let failure = try attempt(.log, { log = try run.entry.log(in: run.root, at: run.entry.integratedTime ?? time) }) { return failure }
        guard let log else { return nil }
        if let failure = try attempt(.time, { try run.entry.verifyTime(log: log, timestamp: time) }) { return failure }
        if let content = run.content, let signer = run.signer,
           let failure = try attempt(.body, { try run.entry.verifyBody(matches: content, signer: signer) }) { return failure }
        if run.entry.signedEntryTimestamp != nil, let failure = try attempt(.promise, { try run.entry.verifyInclusionPromise(log: log) }) { return failure }
        if run.entry.inclusionProof != nil || run.requireProof || run.entry.isRekorV2,
           let failure = try attempt(.proof, { try run.entry.verifyInclusionProof(log: log) }) { return failure }
        return nil
    }
}
