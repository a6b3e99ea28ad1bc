import BullaCrypto

/// A signature found for an image, before any check: where it was and what it holds.
public struct FoundSignature: Sendable {
    public enum Content: Sendable {
        case bundle(SigstoreBundle)
        /// A legacy simple-signing layer: the payload bytes and the annotation's signature.
        case legacy(payload: [UInt8], signature: [UInt8])
        /// A legacy `.att` layer: a DSSE envelope.
        case envelope(DSSEEnvelope)
    }

    /// Where it was found ("referrer sha256:…", "tag sha256-….sig layer 2", a bundle file).
    public var origin: String
    public var format: SignatureFormat
    public var content: Content

    /// The signer's key hint, if the container names one (a bundle's `publicKey.hint`).
    public var keyHint: String? {
        if case .bundle(let bundle) = content { return bundle.keyHint }
        return nil
    }

    public init(origin: String, format: SignatureFormat, content: Content) {
        self.origin = origin
        self.format = format
        self.content = content
    }
}

/// Collects every signature an image source holds for one manifest digest: OCI 1.1 referrers
/// listed in the layout, the `sha256-<hex>` fallback index, and the legacy `sha256-<hex>.sig`
/// manifest. A signature that cannot be read is kept as a failure, never silently dropped.
public struct SignatureFinder: Sendable {
    /// What to look for: signatures (cosign sign/v1 referrers, `.sig`) or attestations (other
    /// referrers, `.att`).
    public enum Kind: Sendable { case signatures, attestations }

    public let source: any ImageSource
    public let kind: Kind

    public init(source: any ImageSource, kind: Kind = .signatures) {
        self.source = source
        self.kind = kind
    }

    public func signatures(for digest: Digest) throws -> (found: [FoundSignature], unreadable: [(origin: String, reason: String)]) {
        var found: [FoundSignature] = []
        var unreadable: [(String, String)] = []
        let fallbackTag = ImageSigner.tag(for: digest, suffix: "")
        let listedBy = if case .registry = source.reference { " (referrers API)" } else { "" }
        var candidates = try (source.referrers(of: digest) ?? []).filter { isReferrer($0) && wanted($0) }.map { ($0, listedBy) }
        // The referrers fallback tag: an index whose entries are the referrers.
        do {
            if let fallback = try source.descriptor(tagged: fallbackTag) {
                guard case .index(let index) = try source.manifest(fallback).content else {
                    throw BullaError(.malformedInput, "the referrers tag names a manifest, not an index")
                }
                candidates += index.manifests.filter(wanted).map { ($0, " (tag \(fallbackTag))") }
            }
        } catch {
            unreadable.append(("tag \(fallbackTag)", "\(error)"))
        }
        try Self.checkCandidateCount(candidates.count, of: digest, in: source)
        var seen: Set<Digest> = []
        for (candidate, listing) in candidates where seen.insert(candidate.digest).inserted {
            let origin = "referrer \(candidate.digest.abbreviated)\(listing)"
            do {
                if let bundle = try referrerBundle(candidate, subject: digest) {
                    found.append(FoundSignature(origin: origin, format: .bundle, content: .bundle(bundle)))
                }
            } catch {
                unreadable.append((origin, "\(error)"))
            }
        }
        if kind == .attestations {
            attestationLayers(tag: fallbackTag + ".att", after: candidates.count, found: &found, unreadable: &unreadable)
        } else {
            do {
                guard let legacy = try source.descriptor(tagged: fallbackTag + ".sig") else { return (found, unreadable) }
                guard case .image(let manifest) = try source.manifest(legacy).content else {
                    throw BullaError(.malformedInput, "the .sig tag names an index, not a manifest")
                }
                try Self.checkCandidateCount(candidates.count + manifest.layers.count, of: digest, in: source)
                for (n, layer) in manifest.layers.enumerated() where layer.mediaType == SimpleSigningPayload.mediaType {
                    let origin = "tag \(fallbackTag).sig layer \(n)"
                    guard let sig64 = layer.annotations?[SimpleSigningPayload.signatureAnnotation], let signature = Base64.decode(sig64), !signature.isEmpty else {
                        unreadable.append((origin, "no base64 signature in annotation \(SimpleSigningPayload.signatureAnnotation)"))
                        continue
                    }
                    // One unreadable layer must not hide the others.
                    do {
                        let payload = try source.contents(of: layer, limit: source.limits.maxManifestBytes)
                        found.append(FoundSignature(origin: origin, format: .legacy, content: .legacy(payload: payload, signature: signature)))
                    } catch {
                        unreadable.append((origin, "\(error)"))
                    }
                }
            } catch {
                unreadable.append(("tag \(fallbackTag).sig", "\(error)"))
            }
        }
        return (found, unreadable)
    }

    /// A manifest listed beside images that may hold a bundle.
    private func isReferrer(_ descriptor: Descriptor) -> Bool {
        descriptor.artifactType == SigstoreBundle.mediaTypeV03 || descriptor.artifactType == MediaType.ociEmpty
    }

    /// Refuses an image with more signature candidates than ``Limits/maxReferrers``: reading
    /// only the first ones would let anyone who can push hide the real signature behind junk,
    /// and reading all of them would let them hold a verifier for as long as they like.
    public static func checkCandidateCount(_ count: Int, of subject: CustomStringConvertible, in source: any ImageSource) throws {
        let limit = source.limits.maxReferrers
        guard count <= limit else {
            throw BullaError(.limitExceeded, "\(source.reference) lists \(count) signatures, attestations or referrers for \(subject), more than the \(limit) Bulla reads")
        }
    }

    /// A referrer whose annotation names its predicate type is only looked at when that type is
    /// what this search is for; one without the annotation is always read.
    private func wanted(_ descriptor: Descriptor) -> Bool {
        guard let predicate = descriptor.annotations?[ImageSigner.referrerAnnotationPredicate] else { return true }
        return (predicate == InTotoStatement.cosignSignPredicate) == (kind == .signatures)
    }

    /// The DSSE envelopes of the `.att` manifest, one per layer.
    private func attestationLayers(tag: String, after candidates: Int, found: inout [FoundSignature], unreadable: inout [(String, String)]) {
        do {
            guard let entry = try source.descriptor(tagged: tag) else { return }
            guard case .image(let manifest) = try source.manifest(entry).content else {
                throw BullaError(.malformedInput, "the .att tag names an index, not a manifest")
            }
            try Self.checkCandidateCount(candidates + manifest.layers.count, of: tag, in: source)
            for (n, layer) in manifest.layers.enumerated() where layer.mediaType == ImageSigner.dsseLayerMediaType {
                let origin = "tag \(tag) layer \(n)"
                do {
                    let bytes = try source.contents(of: layer, limit: source.limits.maxAttestationBytes)
                    found.append(FoundSignature(origin: origin, format: .legacy, content: .envelope(try DSSEEnvelope(bytes: bytes, limits: source.limits))))
                } catch {
                    unreadable.append((origin, "\(error)"))
                }
            }
        } catch {
            unreadable.append(("tag \(tag)", "\(error)"))
        }
    }

    /// The bundle of a referrer manifest whose subject is `subject`; nil for a referrer of
    /// another image or of another artifact type.
    private func referrerBundle(_ descriptor: Descriptor, subject: Digest) throws -> SigstoreBundle? {
        guard MediaType.kind(of: descriptor.mediaType) == .image, case .image(let manifest) = try source.manifest(descriptor).content,
              manifest.subject?.digest == subject else { return nil }
        let isBundle = manifest.artifactType == SigstoreBundle.mediaTypeV03 || manifest.config.artifactType == SigstoreBundle.mediaTypeV03
        guard isBundle else { return nil }
        guard let layer = manifest.layers.first(where: { SigstoreBundle.readableMediaTypes.contains($0.mediaType) }) else {
            throw BullaError(.malformedInput, "its artifactType says Sigstore bundle, but no layer is one (\(manifest.layers.map(\.mediaType).joined(separator: ", ")))")
        }
        // An attestation bundle carries its whole predicate (an SBOM can be large); a signature
        // bundle is small.
        let limit = kind == .attestations ? source.limits.maxAttestationBytes : source.limits.maxManifestBytes
        return try SigstoreBundle(bytes: try source.contents(of: layer, limit: limit), limits: source.limits)
    }
}
