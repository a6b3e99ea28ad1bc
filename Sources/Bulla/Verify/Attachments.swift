import BullaCrypto

/// Something stored with an image and pointing at it: a signature, an attestation, an SBOM or
/// any other referrer, as found, nothing verified.
public struct Attachment: Codable, Sendable, Hashable {
    /// What an attachment is, as far as can be told without a key.
    public enum Kind: String, Codable, Sendable {
        case signature, attestation, sbom, artifact
    }

    /// Signature, attestation (an SBOM attestation counts as `sbom`), SBOM artifact, or other.
    public var kind: Kind
    /// `bundle` (a cosign v3 referrer), `legacy` (a `.sig`/`.att` layer) or `artifact`.
    public var format: String
    /// The referrer manifest's digest, or the legacy layer's.
    public var digest: Digest
    /// The descriptor's media type.
    public var mediaType: String
    /// The referrer's artifact type, when it states one.
    public var artifactType: String?
    /// The attestation's predicate type, as its annotation or layer states it.
    public var predicateType: String?
    /// The size the descriptor declares.
    public var size: Int64
    /// Where it was listed: the referrers API, the layout's index, or a tag.
    public var foundIn: String
    /// The key hint a bundle states: unverified, only what the bundle claims.
    public var claimedKeyHint: String?
    /// The key ID (spec/keys.md) the hint names, when it is the base64 of one: unverified too.
    public var claimedKeyID: String?
    /// Who the signature's certificate names (keyless, or a CA-certified key): unverified, only
    /// what the certificate says until `verify` checks it.
    public var claimedIdentity: SignerIdentity?

    /// The identity a certificate names, unverified: Fulcio's issuer and subject, else the
    /// subject name.
    static func claimedIdentity(of leaf: Certificate?) -> SignerIdentity? {
        guard let leaf else { return nil }
        let fulcio = try? FulcioIdentity(certificate: leaf)
        return SignerIdentity(issuer: fulcio?.issuer, subject: fulcio?.subject ?? leaf.subject)
    }
}

/// Everything attached to one image, from every place Bulla looks (`bulla tree`): found, listed
/// and typed, but not verified, so no key is needed.
public struct AttachmentTree: Codable, Sendable {
    /// The media type of the JSON form (spec/cli.md).
    public static let mediaType = "application/vnd.bulla.tree.v1+json"
    /// Always ``mediaType``, so a reader can check the version first.
    public var mediaType = AttachmentTree.mediaType
    /// The image as printed.
    public var reference: String
    /// The manifest digest the attachments point at.
    public var digest: Digest
    /// Where Bulla looked, in words.
    public var searched: [String]
    /// What was found, in the order found.
    public var attachments: [Attachment]
    /// What was listed but could not be read, with why.
    public var unreadable: [UnreadableItem]

    /// A listed item that could not be read.
    public struct UnreadableItem: Codable, Sendable, Hashable {
        /// Where it was listed.
        public var origin: String
        /// Why it could not be read.
        public var reason: String
    }

    /// Lists what `source` stores for its image (or `platform`'s manifest of an index).
    public init(source: any ImageSource, platform: Platform? = nil) throws {
        let subject = try source.resolve(platform: platform).descriptor.digest
        self.reference = source.reference.description
        self.digest = subject
        self.searched = SignatureFinder(source: source, kind: .signatures).places(for: subject) + [
            "tag \(CosignStorage.tag(for: subject, suffix: ".att"))",
        ]
        var listing = Listing(source: source, subject: subject)
        try listing.collect()
        attachments = listing.found
        unreadable = listing.unreadable
        if case .dockerArchive = source.reference { searched = SignatureFinder(source: source).places(for: subject) }
    }

    /// One walk over the places attachments are kept.
    private struct Listing {
        let source: any ImageSource
        let subject: Digest
        var found: [Attachment] = []
        var unreadable: [UnreadableItem] = []
        var seen: Set<Digest> = []

        init(source: any ImageSource, subject: Digest) {
            self.source = source
            self.subject = subject
        }

        mutating func collect() throws {
            if case .dockerArchive = source.reference { return }
            var failures: [UnreadableItem] = []
            defer { unreadable = failures }
            // Runs `work`, keeping a failure as unreadable so one bad item hides nothing else.
            func attempt<T>(_ origin: String, _ work: () throws -> T) -> T? {
                do { return try work() } catch {
                    failures.append(UnreadableItem(origin: origin, reason: "\(error)"))
                    return nil
                }
            }
            let (source, subject) = (self.source, self.subject)
            let listing = self
            let tag = CosignStorage.tag(for: subject, suffix: "")
            let listedBy = if case .registry = source.reference { "referrers API" } else { "layout index" }
            var candidates = try (source.referrers(of: subject) ?? []).map { ($0, listedBy) }
            candidates += attempt("tag \(tag)") { () throws -> [(Descriptor, String)] in
                guard let fallback = try source.descriptor(tagged: tag) else { return [] }
                guard case .index(let index) = try source.manifest(fallback).content else {
                    throw BullaError(.malformedInput, "the referrers tag names a manifest, not an index")
                }
                return index.manifests.map { ($0, "tag \(tag)") }
            } ?? []
            try SignatureFinder.checkCandidateCount(candidates.count, of: subject, in: source)
            for (descriptor, place) in candidates where seen.insert(descriptor.digest).inserted {
                if let item = attempt("referrer \(descriptor.digest.abbreviated) (\(place))", { try listing.referrer(descriptor, foundIn: place) }) ?? nil {
                    found.append(item)
                }
            }
            for suffix in [".sig", ".att"] {
                let count = found.count
                found += attempt("tag \(tag)\(suffix)") { try listing.legacy(tag: tag + suffix, after: count) } ?? []
            }
        }


        /// A referrer manifest: a bundle (signature or attestation), an SBOM, or another artifact.
        /// A layout lists referrers of every image together; only this image's are kept.
        private func referrer(_ descriptor: Descriptor, foundIn place: String) throws -> Attachment? {
            guard MediaType.kind(of: descriptor.mediaType) == .image, case .image(let manifest) = try source.manifest(descriptor).content else { return nil }
            guard manifest.subject?.digest == subject else { return nil }
            let artifactType = manifest.artifactType ?? descriptor.artifactType ?? manifest.config.mediaType
            var item = Attachment(kind: Self.kind(ofArtifact: artifactType), format: "artifact", digest: descriptor.digest, mediaType: descriptor.mediaType,
                                  artifactType: artifactType, size: descriptor.size, foundIn: place)
            if artifactType == SigstoreBundle.mediaTypeV03 {
                item.format = "bundle"
                item.predicateType = manifest.annotations?[CosignStorage.referrerAnnotationPredicate] ?? descriptor.annotations?[CosignStorage.referrerAnnotationPredicate]
                if let layer = manifest.layers.first(where: { SigstoreBundle.readableMediaTypes.contains($0.mediaType) }) {
                    let bundle = try SigstoreBundle(bytes: try source.contents(of: layer, limit: source.limits.maxAttestationBytes), limits: source.limits)
                    item.claimedKeyHint = bundle.keyHint
                    if let bytes = bundle.keyHint.flatMap(Base64.decode), bytes.count == 32 { item.claimedKeyID = Hex.encode(bytes) }
                    item.claimedIdentity = Attachment.claimedIdentity(of: (try? SigstoreEvidence(bundle: bundle))?.certificates?.first)
                    if item.predicateType == nil, case .dsse(let envelope) = bundle.content {
                        item.predicateType = (try? InTotoStatement(payload: envelope.payload))?.predicateType
                    }
                }
                item.kind = Self.kind(ofPredicate: item.predicateType)
            }
            return item
        }

        /// The layers of cosign's `.sig` or `.att` manifest: each one signature or attestation.
        private func legacy(tag: String, after count: Int) throws -> [Attachment] {
            guard let descriptor = try source.descriptor(tagged: tag) else { return [] }
            guard case .image(let manifest) = try source.manifest(descriptor).content else {
                throw BullaError(.malformedInput, "the \(tag) tag names an index, not a manifest")
            }
            try SignatureFinder.checkCandidateCount(count + manifest.layers.count, of: subject, in: source)
            let attestations = tag.hasSuffix(".att")
            return manifest.layers.map { layer in
                let predicate = attestations ? layer.annotations?["predicateType"] : nil
                var item = Attachment(kind: attestations ? Self.kind(ofPredicate: predicate) : .signature, format: "legacy", digest: layer.digest,
                                      mediaType: layer.mediaType, predicateType: predicate, size: layer.size, foundIn: "tag \(tag)")
                // The certificate annotation is read without the payload: what it claims, not a verification.
                if let pem = layer.annotations?[SigstoreEvidence.LegacyAnnotation.certificate] {
                    item.claimedIdentity = Attachment.claimedIdentity(of: (try? Certificate.certificates(pem: Array(pem.utf8)))?.first)
                }
                return item
            }
        }

        private static func kind(ofPredicate type: String?) -> Attachment.Kind {
            guard let type else { return .attestation }
            if type == InTotoStatement.cosignSignPredicate { return .signature }
            return isSBOM(type) ? .sbom : .attestation
        }

        private static func kind(ofArtifact type: String) -> Attachment.Kind {
            isSBOM(type) ? .sbom : .artifact
        }

        private static func isSBOM(_ type: String) -> Bool {
            let lowered = type.lowercased()
            return lowered.contains("spdx") || lowered.contains("cyclonedx")
        }
    }
}
