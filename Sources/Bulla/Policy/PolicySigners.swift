import BullaCrypto

/// Who a policy rule (or one of its attestation requirements) trusts to sign: keys, Sigstore
/// identities under a trusted root, enterprise CAs. Read from the `keys`, `identities`,
/// `trustedRoot`, `roots` and `intermediates` fields (spec/policy.md, "Signers").
struct PolicySigners {
    /// The fields that name signers; any one of them makes a rule check signatures.
    static let fields = ["keys", "identities", "trustedRoot", "roots", "intermediates"]

    var keys: [VerifyingKey] = []
    var identities: [CertificateIdentity] = []
    var sigstoreRoot: TrustedRoot?
    var authorities: TrustedRoot?

    /// The signers `map` names; nil when it names none.
    static func read(_ map: [String: PolicyNode], at node: PolicyNode) throws -> PolicySigners? {
        guard fields.contains(where: { map[$0] != nil }) else { return nil }
        var signers = PolicySigners()
        signers.keys = try map["keys"].map { try $0.keys() } ?? []
        signers.identities = try map["identities"].map { try $0.list().map(identity) } ?? []
        if let rootNode = map["trustedRoot"] {
            guard !signers.identities.isEmpty else { throw rootNode.fail("a trusted root applies to identities: give identities") }
            signers.sigstoreRoot = try rootNode.file { try TrustedRoot(bytes: $0) }
        }
        if let intermediates = map["intermediates"], map["roots"] == nil { throw intermediates.fail("intermediates need roots") }
        if let rootsNode = map["roots"] {
            let roots = try rootsNode.certificates()
            let intermediates = try map["intermediates"]?.certificates() ?? []
            do { signers.authorities = try TrustedRoot(enterpriseRoots: roots, intermediates: intermediates) } catch let error as BullaError { throw rootsNode.fail(error.message) }
        }
        guard !signers.keys.isEmpty || !signers.identities.isEmpty || signers.authorities != nil else {
            throw node.fail("names no signer: give keys, identities or roots")
        }
        return signers
    }

    /// One `identities:` entry: `issuer`, then `subject` or `subjectRegExp`, and `claims`.
    private static func identity(_ node: PolicyNode) throws -> CertificateIdentity {
        let map = try node.mapping(["issuer", "subject", "subjectRegExp", "claims"], required: ["issuer"])
        do {
            return try CertificateIdentity(
                issuer: try map["issuer"]!.string(), subject: try map["subject"]?.string(), subjectPattern: try map["subjectRegExp"]?.string(),
                claims: try map["claims"]?.stringMap() ?? [:])
        } catch let error as BullaError where error.code == .invalidArgument {
            throw node.fail(error.message)
        }
    }

    /// Trust in these signers, `threshold` of them distinct. Keys alone bound the threshold;
    /// an identity pattern or a CA does not.
    func trust(threshold node: PolicyNode?, annotations: [String: String] = [:], logKeys: [VerifyingKey]) throws -> TrustPolicy {
        let threshold = try node.map { try $0.int() } ?? 1
        let distinct = Set(keys).count
        let bounded = identities.isEmpty && authorities == nil
        if let node, threshold < 1 || (bounded && threshold > distinct) {
            throw node.fail("threshold \(threshold) cannot be met by \(distinct) distinct key(s)")
        }
        return TrustPolicy(keys: keys, threshold: threshold, requiredAnnotations: annotations, logKeys: logKeys, requireLog: !logKeys.isEmpty,
                           identities: identities, sigstoreRoot: sigstoreRoot, certificateAuthorities: authorities)
    }
}

extension PolicyNode {
    /// A file named relative to the policy (or absolute), read whole up to 1 MiB and parsed by
    /// `parse`; the server watches it with the policy.
    func file<T>(_ parse: ([UInt8]) throws -> T) throws -> T {
        let text = try string()
        let location = text.hasPrefix("/") ? text : "\(context.baseDirectory)/\(text)"
        context.files.add(location)
        do { return try parse(try FileIO.read(location, limit: 1 << 20)) } catch let error as BullaError { throw fail(error.message) }
    }

    /// PEM certificates: each entry a file (relative to the policy) or PEM text.
    func certificates() throws -> [Certificate] {
        let items = try list()
        guard !items.isEmpty else { throw fail("needs at least one certificate") }
        return try items.flatMap { item in
            let text = try item.string()
            if text.hasPrefix("-----BEGIN") {
                do { return try Certificate.certificates(pem: Array(text.utf8)) } catch let error as BullaError { throw item.fail(error.message) }
            }
            return try item.file { try Certificate.certificates(pem: $0) }
        }
    }
}
