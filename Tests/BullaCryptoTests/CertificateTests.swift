import BullaCrypto
import Foundation
import Testing

/// spec/vectors/certificates: certificates made by make.sh with the openssl CLI (whose chain
/// cases make.sh checks against `openssl verify -attime`), and real Fulcio certificates copied
/// from sigstore-conformance by sigstore/extract.sh.
enum CertificateVectors {
    static let directory = SpecVectors.root.appendingPathComponent("certificates")
    static let all = try! SpecVectors.load(Expected.self, "certificates/expected.json")
    static let sigstore = try! SpecVectors.load(SigstoreVectors.self, "certificates/sigstore/sigstore.json")

    /// The one certificate of the PEM file `name`.
    static func certificate(_ name: String) throws -> Certificate {
        let pem = try Data(contentsOf: directory.appendingPathComponent(name))
        let certificates = try Certificate.certificates(pem: Array(pem))
        try #require(certificates.count == 1, "\(name) holds one certificate")
        return certificates[0]
    }

    static func certificates(_ names: [String]) throws -> [Certificate] { try names.map(certificate) }

    struct Expected: Decodable {
        let chains: [ChainCase]
        let fields: [FieldCase]
        let identities: [IdentityCase]
    }
}

struct ChainCase: Decodable, Sendable, CustomTestStringConvertible {
    let name: String
    let leaf: String
    let roots: [String]
    let intermediates: [String]
    let time: Int64
    let extendedKeyUsage: String?
    let intermediatesAreAnchors: Bool
    let expect: String
    let reason: String?
    let chain: [String]?
    var testDescription: String { name }
}

struct FieldCase: Decodable, Sendable, CustomTestStringConvertible {
    let certificate: String
    let subject: String
    let issuer: String
    let serialNumber: String
    let notBefore: Int64
    let notAfter: Int64
    let isCA: Bool
    let keyUsage: [String]
    let extendedKeyUsage: [String]
    let subjectAlternativeNames: [String]
    var testDescription: String { certificate }
}

struct IdentityCase: Decodable, Sendable, CustomTestStringConvertible {
    let certificate: String
    let issuer: String?
    let subject: String?
    let claims: [String: String]?
    let error: String?
    var testDescription: String { certificate }
}

struct SigstoreVectors: Decodable {
    let cases: [SigstoreCase]
}

struct SigstoreCase: Decodable, Sendable, CustomTestStringConvertible {
    struct Log: Decodable, Sendable {
        let key: String
        let validFrom: Int64?
        let validUntil: Int64?
    }
    struct Identity: Decodable, Sendable {
        let issuer: String
        let subject: String
    }
    let name: String
    let leaf: String
    let caChains: [[String]]
    let ctLogs: [Log]
    let time: Int64
    let chain: String
    let sct: String
    let identity: Identity?
    var testDescription: String { name }

    func leafCertificate() throws -> Certificate { try Certificate(derEncoded: try #require(Base64.decode(leaf))) }
    /// Each CA chain's last certificate is a root; the others may complete a path.
    func roots() throws -> [Certificate] { try caChains.compactMap(\.last).map(Self.certificate) }
    func intermediates() throws -> [Certificate] { try caChains.flatMap { $0.dropLast() }.map(Self.certificate) }
    func logs() throws -> [CTLogKey] {
        try ctLogs.map { CTLogKey(key: try VerifyingKey(derRepresentation: try #require(Base64.decode($0.key))), validFrom: $0.validFrom, validUntil: $0.validUntil) }
    }
    /// The chain verified at the case's time, through the whole trusted root.
    func verifiedChain(_ leaf: Certificate? = nil) throws -> [Certificate] {
        try CertificateChain.verify(leaf ?? leafCertificate(), roots: roots(), intermediates: intermediates(), at: time)
    }
    private static func certificate(_ base64: String) throws -> Certificate {
        try Certificate(derEncoded: try #require(Base64.decode(base64)))
    }
}

@Suite struct CertificateChainTests {
    @Test(arguments: CertificateVectors.all.chains)
    func chainsVerifyAtTheGivenTimeOrSayWhy(_ vector: ChainCase) throws {
        let leaf = try CertificateVectors.certificate(vector.leaf)
        let verify = {
            try CertificateChain.verify(
                leaf, roots: CertificateVectors.certificates(vector.roots),
                intermediates: CertificateVectors.certificates(vector.intermediates), at: vector.time,
                extendedKeyUsage: vector.extendedKeyUsage, intermediatesAreAnchors: vector.intermediatesAreAnchors)
        }
        if vector.expect == "ok" {
            #expect(try verify() == CertificateVectors.certificates(try #require(vector.chain)))
        } else {
            let error = #expect(throws: BullaError.self) { try verify() }
            #expect(error?.code.name == vector.expect)
            #expect(error?.message.contains(try #require(vector.reason)) == true, "\(error?.message ?? "")")
        }
    }

    @Test func aFailureNamesTheTimeAndTheCertificate() throws {
        let error = #expect(throws: BullaError.self) {
            try CertificateChain.verify(
                CertificateVectors.certificate("leaf-expired.pem"), roots: [CertificateVectors.certificate("root.pem")],
                intermediates: [CertificateVectors.certificate("intermediate.pem")], at: 1_735_689_900)
        }
        #expect(error?.message.contains("at 2025-01-01T00:05:00Z: certificate has expired (depth 0, email:signer@example.com)") == true, "\(error?.message ?? "")")
    }

    @Test func aLeafWhoseSignatureWasChangedDoesNotVerify() throws {
        var der = try CertificateVectors.certificate("leaf.pem").derRepresentation
        der[der.count - 1] ^= 0x01
        let error = #expect(throws: BullaError.self) {
            try CertificateChain.verify(
                Certificate(derEncoded: der), roots: [CertificateVectors.certificate("root.pem")],
                intermediates: [CertificateVectors.certificate("intermediate.pem")], at: 1_735_689_900)
        }
        #expect(error?.code == .signatureInvalid)
        #expect(error?.message.contains("certificate signature failure") == true, "\(error?.message ?? "")")
    }
}

@Suite struct CertificateTests {
    @Test(arguments: CertificateVectors.all.fields)
    func fieldsReadAsTheVectorsState(_ vector: FieldCase) throws {
        let certificate = try CertificateVectors.certificate(vector.certificate)
        #expect(certificate.subject == vector.subject)
        #expect(certificate.issuer == vector.issuer)
        #expect(certificate.serialNumber == vector.serialNumber)
        #expect(certificate.notBefore == vector.notBefore)
        #expect(certificate.notAfter == vector.notAfter)
        #expect(certificate.isCA == vector.isCA)
        #expect(certificate.keyUsage == KeyUsage(vector.keyUsage.map { Self.keyUsages[$0]! }))
        #expect(certificate.extendedKeyUsage == vector.extendedKeyUsage)
        #expect(certificate.subjectAlternativeNames.map(\.description) == vector.subjectAlternativeNames)
        #expect(try certificate.publicKey.algorithm == .ecdsaP256)
        #expect(try certificate.publicKey.derRepresentation == certificate.subjectPublicKeyInfo)
        #expect(try Certificate(derEncoded: certificate.derRepresentation) == certificate)
        #expect(try Certificate.certificates(pem: Array(certificate.pemRepresentation.utf8)) == [certificate])
    }

    static let keyUsages: [String: KeyUsage] = [
        "digitalSignature": .digitalSignature, "keyCertSign": .keyCertSign, "cRLSign": .cRLSign,
    ]

    @Test func extensionValuesAreTheRawOctets() throws {
        let leaf = try CertificateVectors.certificate("leaf.pem")
        #expect(leaf.extensionValue(oid: "1.3.6.1.4.1.57264.1.1") == Array("https://accounts.example.com".utf8))
        #expect(leaf.extensionValue(oid: "1.3.6.1.4.1.57264.1.8") == [0x0C, 28] + Array("https://accounts.example.com".utf8))
        #expect(leaf.extensionValue(oid: "1.3.6.1.4.1.57264.1.99") == nil)
    }

    @Test func derIsReadStrictlyAndBounded() throws {
        let der = try CertificateVectors.certificate("leaf.pem").derRepresentation
        #expect(throws: BullaError(.malformedInput)) { try Certificate(derEncoded: der + [0]) }
        for length in stride(from: 0, to: der.count, by: 7) {
            #expect(throws: BullaError(.malformedInput)) { try Certificate(derEncoded: Array(der.prefix(length))) }
        }
        // The same certificate with its outer length in a longer form than DER allows.
        let outerLength = Int(der[2]) << 8 | Int(der[3])
        #expect(der[1] == 0x82)
        let loose = [0x30, 0x83, 0x00, UInt8(outerLength >> 8), UInt8(outerLength & 0xFF)] + der[4...]
        #expect(throws: BullaError(.malformedInput)) { try Certificate(derEncoded: Array(loose)) }
        #expect(throws: BullaError(.limitExceeded)) { try Certificate(derEncoded: [UInt8](repeating: 0x30, count: Certificate.maximumSize + 1)) }
    }

    @Test func pemReadsEveryCertificateBlockAndOnlyThose() throws {
        let root = try CertificateVectors.certificate("root.pem")
        let leaf = try CertificateVectors.certificate("leaf.pem")
        let key = "-----BEGIN PUBLIC KEY-----\n\(Base64.encode(try leaf.publicKey.derRepresentation))\n-----END PUBLIC KEY-----\n"
        let bundle = "chain:\n" + leaf.pemRepresentation + key + root.pemRepresentation.replacingOccurrences(of: "\n", with: "\r\n")
        #expect(try Certificate.certificates(pem: Array(bundle.utf8)) == [leaf, root])
        #expect(throws: BullaError(.malformedInput)) { try Certificate.certificates(pem: Array(key.utf8)) }
        #expect(throws: BullaError(.malformedInput)) { try Certificate.certificates(pem: []) }
        let unterminated = String(leaf.pemRepresentation.split(separator: "\n").dropLast().joined(separator: "\n"))
        #expect(throws: BullaError(.malformedInput)) { try Certificate.certificates(pem: Array(unterminated.utf8)) }
        let headers = leaf.pemRepresentation.replacingOccurrences(of: "-----\n", with: "-----\nProc-Type: 4,ENCRYPTED\n")
        #expect(throws: BullaError(.malformedInput)) { try Certificate.certificates(pem: Array(headers.utf8)) }
    }

    @Test func aKeyVerifyingKeyRefusesIsRefusedHereToo() throws {
        // The CA of this conformance case signs with RSA, which Bulla does not verify with.
        let rsaCase = try #require(CertificateVectors.sigstore.cases.first { $0.name == "bundle-with-sct-with-extensions" })
        let root = try #require(try rsaCase.roots().first)
        #expect(throws: BullaError(.unsupported)) { try root.publicKey }
    }
}

@Suite struct FulcioIdentityTests {
    @Test(arguments: CertificateVectors.all.identities)
    func identitiesReadAsTheVectorsState(_ vector: IdentityCase) throws {
        let certificate = try CertificateVectors.certificate(vector.certificate)
        if let code = vector.error {
            let error = #expect(throws: BullaError.self) { try FulcioIdentity(certificate: certificate) }
            #expect(error?.code.name == code)
            return
        }
        let identity = try FulcioIdentity(certificate: certificate)
        #expect(identity.issuer == vector.issuer)
        #expect(identity.subject == vector.subject)
        #expect(identity.claims == vector.claims)
    }

    @Test func claimNamesAreSigstoreGos() {
        let names = Dictionary(uniqueKeysWithValues: FulcioIdentity.knownClaims.map { ($0.oid, $0.name) })
        #expect(names["1.3.6.1.4.1.57264.1.9"] == "buildSignerURI")
        #expect(names["1.3.6.1.4.1.57264.1.22"] == "sourceRepositoryVisibilityAtSigning")
        #expect(FulcioIdentity.knownClaims.filter { !$0.isDERString }.map(\.oid) == (2...6).map { "1.3.6.1.4.1.57264.1.\($0)" })
    }
}

@Suite struct SignedCertificateTimestampTests {
    @Test(arguments: CertificateVectors.sigstore.cases)
    func realFulcioLeavesVerifyAtTheirProvenTime(_ vector: SigstoreCase) throws {
        guard vector.chain == "ok" else {
            let error = #expect(throws: BullaError.self) { try vector.verifiedChain() }
            #expect(error?.code == .signatureInvalid)
            #expect(error?.message.contains(vector.chain) == true, "\(error?.message ?? "")")
            return
        }
        let chain = try vector.verifiedChain()
        #expect(chain.count == (vector.caChains.first { $0.last.flatMap(Base64.decode) == chain.last?.derRepresentation }?.count ?? 0) + 1)
        if vector.sct == "ok" {
            let verified = try SignedCertificateTimestamp.verifyEmbedded(in: chain[0], issuer: chain[1], logs: vector.logs())
            #expect(verified.count == 1)
        } else {
            let error = #expect(throws: BullaError.self) {
                try SignedCertificateTimestamp.verifyEmbedded(in: chain[0], issuer: chain[1], logs: vector.logs())
            }
            #expect(error?.message.contains(vector.sct) == true, "\(error?.message ?? "")")
        }
        if let expected = vector.identity {
            let identity = try FulcioIdentity(certificate: chain[0])
            #expect(identity.issuer == expected.issuer)
            #expect(identity.subject == expected.subject)
        }
    }

    /// sigstore-conformance's happy path: its default identity, signed through GitHub Actions.
    @Test func theConformanceSuitesLeafVerifiesEndToEnd() throws {
        let vector = try #require(CertificateVectors.sigstore.cases.first { $0.name == "happy-path-v0.3" })
        let chain = try vector.verifiedChain()
        #expect(chain[1].subject == "CN=sigstore-intermediate,O=sigstore.dev")
        #expect(chain[2].subject == "CN=sigstore,O=sigstore.dev")
        let verified = try SignedCertificateTimestamp.verifyEmbedded(in: chain[0], issuer: chain[1], logs: vector.logs())
        #expect(verified[0].log.logID == verified[0].timestamp.logID)
        #expect(verified[0].timestamp.timestamp / 1_000 >= UInt64(chain[0].notBefore))
        let identity = try FulcioIdentity(certificate: chain[0])
        #expect(identity.issuer == "https://token.actions.githubusercontent.com")
        #expect(identity.subject == "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main")
        #expect(identity.claims["githubWorkflowTrigger"] == "workflow_dispatch")
        #expect(identity.claims["sourceRepositoryURI"] == "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon")
        #expect(identity.claims["runnerEnvironment"] == "github-hosted")
        #expect(identity.claims["sourceRepositoryVisibilityAtSigning"] == "public")
        // Ten minutes of validity, and the log's time must lie inside them.
        #expect(chain[0].notAfter - chain[0].notBefore == 600)
        #expect(throws: BullaError(.signatureInvalid)) {
            try CertificateChain.verify(chain[0], roots: [chain[2]], intermediates: [chain[1]], at: chain[0].notAfter + 60)
        }
    }

    @Test func aChangedSCTOrTBSOrIssuerOrWindowIsRefused() throws {
        let vector = try #require(CertificateVectors.sigstore.cases.first { $0.name == "happy-path-v0.3" })
        let chain = try vector.verifiedChain()
        let (leaf, issuer) = (chain[0], chain[1])
        let logs = try vector.logs()
        func refused(_ leaf: Certificate, issuer: Certificate, logs: [CTLogKey], _ reason: String) {
            let error = #expect(throws: BullaError.self) { try SignedCertificateTimestamp.verifyEmbedded(in: leaf, issuer: issuer, logs: logs) }
            #expect(error?.code == .signatureInvalid)
            #expect(error?.message.contains(reason) == true, "\(error?.message ?? "")")
        }
        // The SCT list is the leaf's last extension and its one SCT's signature ends it.
        let list = try #require(leaf.extensionValue(oid: SignedCertificateTimestamp.extensionOID))
        let end = try #require(Self.range(of: list, in: leaf.derRepresentation)).upperBound
        var changedSCT = leaf.derRepresentation
        changedSCT[end - 2] ^= 0x01
        refused(try Certificate(derEncoded: changedSCT), issuer: issuer, logs: logs, "does not verify")
        // A claim changed in the TBS the log signed.
        var changedTBS = leaf.derRepresentation
        let trigger = try #require(Self.range(of: Array("workflow_dispatch".utf8), in: changedTBS))
        changedTBS[trigger.lowerBound] ^= 0x20
        refused(try Certificate(derEncoded: changedTBS), issuer: issuer, logs: logs, "does not verify")
        // The issuer key hash is the intermediate's, not the root's.
        refused(leaf, issuer: chain[2], logs: logs, "does not verify")
        // A log key whose validity starts after the SCT, or ended before it.
        let sct = try #require(try SignedCertificateTimestamp.embedded(in: leaf).first)
        let log = try #require(logs.first { $0.logID == sct.logID })
        let seconds = Int64(sct.timestamp / 1_000)
        refused(leaf, issuer: issuer, logs: [CTLogKey(key: log.key, validFrom: seconds + 1)], "outside the log key's validity")
        refused(leaf, issuer: issuer, logs: [CTLogKey(key: log.key, validUntil: seconds - 1)], "outside the log key's validity")
        #expect(try SignedCertificateTimestamp.verifyEmbedded(in: leaf, issuer: issuer, logs: [CTLogKey(key: log.key, validFrom: seconds, validUntil: seconds)]).count == 1)
        refused(leaf, issuer: issuer, logs: [], "unknown log")
        // A certificate without SCTs.
        refused(try CertificateVectors.certificate("leaf.pem"), issuer: try CertificateVectors.certificate("intermediate.pem"), logs: logs, "embeds no signed certificate timestamp")
    }

    @Test func theSCTListIsParsedExactly() throws {
        let vector = try #require(CertificateVectors.sigstore.cases.first { $0.name == "bundle-with-sct-with-extensions" })
        let sct = try #require(try SignedCertificateTimestamp.embedded(in: vector.leafCertificate()).first)
        #expect(sct.version == 0)
        #expect(!sct.extensions.isEmpty)
        #expect(sct.hashAlgorithm == 4)
        #expect(sct.signatureAlgorithm == 3)
        #expect(try SignedCertificateTimestamp.embedded(in: CertificateVectors.certificate("leaf.pem")).isEmpty)
    }

    private static func range(of needle: [UInt8], in haystack: [UInt8]) -> Range<Int>? {
        guard needle.count <= haystack.count else { return nil }
        for start in 0...(haystack.count - needle.count) where haystack[start..<(start + needle.count)].elementsEqual(needle) {
            return start..<(start + needle.count)
        }
        return nil
    }
}
