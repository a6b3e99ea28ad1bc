import BullaCrypto

/// How an image signature is stored (DESIGN.md "Formats").
public enum SignatureFormat: String, Sendable, CaseIterable, Codable {
    /// cosign v3: a Sigstore bundle (DSSE, in-toto Statement v1, cosign sign/v1) as an OCI 1.1
    /// referrer of the image.
    case bundle
    /// cosign's `sha256-<hex>.sig` manifest with simple-signing payload layers.
    case legacy
}

/// Makes image signatures and writes them where the image lives.
public struct ImageSigner: Sendable {
    /// The `{}` config blob every bundle referrer's manifest names (OCI's empty descriptor).
    public static let emptyConfig: [UInt8] = Array("{}".utf8)

    /// The key every signature and attestation is made with; its public key's hint goes in bundles.
    public let key: SigningKey
    /// `-a k=v`: on the statement's subject (bundle) or in `optional` (legacy).
    public var annotations: [String: String]
    /// The legacy payload's `docker-reference`: the repository the image is published under.
    public var identity: String?
    /// When set, every bundle's signature is recorded in this log and the bundle carries the
    /// entry with its inclusion proof and signed checkpoint.
    public var log: (any SignatureLog)?

    /// The key's certificate and its chain (leaf first), carried by every signature so a verifier
    /// trusting the CA (`--ca-roots`) can check the signer; empty for a bare key.
    public private(set) var certificates: [Certificate] = []

    /// Sets the certificates every signature carries; refuses a leaf for another key.
    public mutating func certify(with certificates: [Certificate]) throws {
        try BlobSigning.checkCertificates(certificates, key: key)
        self.certificates = certificates
    }

    /// A signer with `key`; set `log` to have each bundle's signature recorded in a log.
    public init(key: SigningKey, annotations: [String: String] = [:], identity: String? = nil) {
        self.key = key
        self.annotations = annotations
        self.identity = identity
    }

    /// What a stored item says about its image: a signature, or an attestation of a predicate.
    public enum Claim: Sendable {
        case signature
        case attestation(PredicateType, RawJSON)
        /// A complete statement made elsewhere, signed exactly as given.
        case statement(payload: [UInt8], parsed: InTotoStatement)

        /// The predicate type a referrer is annotated with, so finders can pick attestations by type.
        public var predicateType: String {
            switch self {
            case .signature: InTotoStatement.cosignSignPredicate
            case .attestation(let type, _): type.uri
            case .statement(_, let parsed): parsed.predicateType
            }
        }
    }

    /// The in-toto statement for `claim` about `descriptor`: cosign's sign/v1 statement (with the
    /// annotations on the subject), or the predicate with the image as the only subject.
    public func statement(for descriptor: Descriptor, claim: Claim) -> InTotoStatement {
        switch claim {
        case .statement(_, let parsed):
            return parsed
        case .signature:
            return InTotoStatement.imageSignature(of: descriptor.digest, annotations: annotations)
        case .attestation(let type, let predicate):
            return InTotoStatement(
                type: InTotoStatement.typeV1,
                subjects: [.init(name: nil, digest: [descriptor.digest.algorithm.rawValue: descriptor.digest.hex], annotations: annotations.isEmpty ? nil : annotations)],
                predicateType: type.uri, predicate: predicate)
        }
    }

    /// The DSSE envelope over the statement for `claim`.
    public func envelope(for descriptor: Descriptor, claim: Claim = .signature, keyID: String? = nil) throws -> DSSEEnvelope {
        var payload = statement(for: descriptor, claim: claim).serialized
        if case .statement(let given, let parsed) = claim {
            guard parsed.names(descriptor.digest) != nil else {
                throw BullaError(.invalidArgument, "the statement's subject is not this image \(descriptor.digest)")
            }
            payload = given
        }
        return try DSSEEnvelope.signed(payload: payload, payloadType: InTotoStatement.payloadType, key: key, keyID: keyID)
    }

    /// A detached cosign v3 bundle for the manifest `descriptor` names.
    public func bundle(for descriptor: Descriptor, claim: Claim = .signature) throws -> SigstoreBundle {
        let envelope = try envelope(for: descriptor, claim: claim)
        let entries = try log.map { [try $0.record(envelope, signer: key.publicKey)] } ?? []
        var bundle = SigstoreBundle(keyHint: key.publicKey.hint, content: .dsse(envelope), tlogEntries: entries)
        bundle.carry(certificates)
        return bundle
    }

    /// The legacy payload and its DER signature.
    public func legacySignature(for descriptor: Descriptor) throws -> (payload: [UInt8], signature: [UInt8]) {
        guard let identity, !identity.isEmpty else {
            throw BullaError(.invalidArgument, "a legacy signature names the repository the image is published under: pass --identity REGISTRY/REPO")
        }
        let payload = SimpleSigningPayload(dockerReference: identity, manifestDigest: descriptor.digest, optional: annotations.isEmpty ? nil : annotations).bytes
        return (payload, try key.signature(for: payload))
    }

    /// Signs each of `targets` and writes the signatures into the layout at `root`: every blob
    /// first, then one replacement of `index.json`, so the layout is unsigned or fully signed.
    @discardableResult
    public func sign(_ targets: [Descriptor], inLayout root: String, format: SignatureFormat) throws -> [SignedItem] {
        try store(targets, claim: .signature, into: LayoutDestination(root: root), format: format)
    }

    /// Signs each of `targets` and stores the signatures in `destination` (a layout, a registry).
    @discardableResult
    public func sign(_ targets: [Descriptor], into destination: any ImageDestination, format: SignatureFormat) throws -> [SignedItem] {
        try store(targets, claim: .signature, into: destination, format: format)
    }

    /// Attests `predicate` about each of `targets`, stored like signatures: a bundle referrer
    /// with the predicate type annotated, or a layer of the `sha256-<hex>.att` manifest.
    @discardableResult
    public func attest(_ targets: [Descriptor], claim: Claim, inLayout root: String, format: SignatureFormat) throws -> [SignedItem] {
        try store(targets, claim: claim, into: LayoutDestination(root: root), format: format)
    }

    /// Attests `claim` about each of `targets`, stored in `destination` (a layout, a registry).
    @discardableResult
    public func attest(_ targets: [Descriptor], claim: Claim, into destination: any ImageDestination, format: SignatureFormat) throws -> [SignedItem] {
        try store(targets, claim: claim, into: destination, format: format)
    }

    /// What gets stored for one target, made in full before anything is written.
    private enum Stored {
        case bundle([UInt8], LogPlacement?)
        case legacySignature(payload: [UInt8], signature: [UInt8])
        case legacyAttestation(envelope: [UInt8])
    }

    private func store(_ targets: [Descriptor], claim: Claim, into destination: any ImageDestination, format: SignatureFormat) throws -> [SignedItem] {
        // Sign (and log) everything first, so a failure writes nothing.
        let made: [(Descriptor, Stored)] = try targets.map { target in
            switch (format, claim) {
            case (.bundle, _):
                let made = try bundle(for: target, claim: claim)
                return (target, .bundle(made.serialized, made.logPlacement))
            case (.legacy, .signature):
                let (payload, signature) = try legacySignature(for: target)
                return (target, .legacySignature(payload: payload, signature: signature))
            case (.legacy, .attestation), (.legacy, .statement):
                // cosign's .att layers: the DSSE envelope itself, with an empty keyid.
                return (target, .legacyAttestation(envelope: try envelope(for: target, claim: claim, keyID: "").json.serialized))
            }
        }
        let created = Timestamp.rfc3339()
        var written: [SignedItem] = []
        for (target, item) in made {
            let subject = target.digest.description
            switch item {
            case .bundle(let bytes, let placement):
                let referrer = try writeReferrer(bytes, for: target, claim: claim, to: destination, created: created)
                try destination.addReferrers([referrer], of: target.digest)
                written.append(SignedItem(subject: subject, stored: referrer.digest.description, log: placement))
            case .legacySignature(let payload, let signature):
                var layer = try destination.putBlob(payload, mediaType: SimpleSigningPayload.mediaType)
                layer.annotations = [SimpleSigningPayload.signatureAnnotation: Base64.encode(signature)]
                if let leaf = certificates.first {
                    layer.annotations?[SigstoreEvidence.LegacyAnnotation.certificate] = leaf.pemRepresentation
                    if certificates.count > 1 { layer.annotations?[SigstoreEvidence.LegacyAnnotation.chain] = certificates.dropFirst().map(\.pemRepresentation).joined() }
                }
                let stored = try appendLegacyLayer(layer, tag: CosignStorage.tag(for: target.digest, suffix: ".sig"), to: destination)
                written.append(SignedItem(subject: subject, stored: stored.digest.description))
            case .legacyAttestation(let envelope):
                var layer = try destination.putBlob(envelope, mediaType: CosignStorage.dsseLayerMediaType)
                layer.annotations = ["predicateType": claim.predicateType, SimpleSigningPayload.signatureAnnotation: ""]
                let stored = try appendLegacyLayer(layer, tag: CosignStorage.tag(for: target.digest, suffix: ".att"), to: destination)
                written.append(SignedItem(subject: subject, stored: stored.digest.description))
            }
        }
        try destination.commit()
        return written
    }

    private func writeReferrer(_ bundleBytes: [UInt8], for target: Descriptor, claim: Claim, to destination: any ImageDestination, created: String) throws -> Descriptor {
        let layer = try destination.putBlob(bundleBytes, mediaType: SigstoreBundle.mediaTypeV03)
        let config = try destination.putBlob(Self.emptyConfig, mediaType: MediaType.ociEmpty)
        let annotations = [
            CosignStorage.referrerAnnotationContent: "dsse-envelope",
            CosignStorage.referrerAnnotationPredicate: claim.predicateType,
            "org.opencontainers.image.created": created,
        ]
        let manifest = JSONValue.object([
            ("schemaVersion", .integer(2)),
            ("mediaType", .string(MediaType.ociManifest)),
            ("artifactType", .string(SigstoreBundle.mediaTypeV03)),
            ("config", .descriptor(config)),
            ("layers", .array([.descriptor(layer)])),
            ("subject", .descriptor(Descriptor(mediaType: target.mediaType, digest: target.digest, size: target.size))),
            ("annotations", .annotations(annotations)),
        ])
        var descriptor = try destination.putManifest(manifest.serialized, mediaType: MediaType.ociManifest, as: .child)
        descriptor.artifactType = SigstoreBundle.mediaTypeV03
        descriptor.annotations = annotations
        return descriptor
    }

    /// Appends `layer` to the manifest tagged `tag` (or starts one), as cosign does for `.sig`
    /// and `.att`, keeping every layer already there even when another signer writes the tag
    /// at the same moment.
    private func appendLegacyLayer(_ layer: Descriptor, tag: String, to destination: any ImageDestination) throws -> Descriptor {
        try destination.updateTag(tag, mediaType: MediaType.ociManifest) { current in
            var layers: [Descriptor] = []
            if let current, case .image(let manifest) = current.content { layers = manifest.layers }
            // Two signers of one image sign the same payload: a layer is the same only if its
            // signature is too.
            if layers.contains(where: { $0.digest == layer.digest && $0.annotations == layer.annotations }) { return nil }
            layers.append(layer)
            let config = JSONValue.object([
                ("architecture", .string("")),
                ("created", .string("0001-01-01T00:00:00Z")),
                ("history", .array([.object([("created", .string("0001-01-01T00:00:00Z"))])])),
                ("os", .string("")),
                ("rootfs", .object([("type", .string("layers")), ("diff_ids", .array(layers.map { .string($0.digest.description) }))])),
                ("config", .object([])),
            ])
            let configDescriptor = try destination.putBlob(config.serialized, mediaType: MediaType.ociConfig)
            return JSONValue.object([
                ("schemaVersion", .integer(2)),
                ("mediaType", .string(MediaType.ociManifest)),
                ("config", .descriptor(configDescriptor)),
                ("layers", .array(layers.map(JSONValue.descriptor))),
            ]).serialized
        }
    }
}
