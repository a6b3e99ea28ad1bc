import BullaCrypto

/// A signature found for an image, before any check: where it was and what it holds.
public struct FoundSignature: Sendable {
    /// What the signature container holds, by storage format; each is checked its own way.
    public enum Content: Sendable {
        case bundle(SigstoreBundle)
        /// A legacy simple-signing layer: the payload bytes and the annotation's signature.
        case legacy(payload: [UInt8], signature: [UInt8])
        /// A legacy `.att` layer: a DSSE envelope.
        case envelope(DSSEEnvelope)
    }

    /// Where it was found ("referrer sha256:…", "tag sha256-….sig layer 2", a bundle file).
    public var origin: String
    /// `bundle` or `legacy`, reported with the check's outcome.
    public var format: SignatureFormat
    /// The signature with what it signs, exactly as read, for the verifier to check.
    public var content: Content
    /// A legacy layer's annotations: where cosign keeps a keyless signature's certificate,
    /// chain, Rekor bundle and timestamp (``SigstoreEvidence/LegacyAnnotation``).
    public var annotations: [String: String] = [:]

    /// The signer's key hint, if the container names one (a bundle's `publicKey.hint`).
    public var keyHint: String? {
        if case .bundle(let bundle) = content { return bundle.keyHint }
        return nil
    }

    /// A found signature from its parts, as the finder or a detached bundle file gives them.
    public init(origin: String, format: SignatureFormat, content: Content, annotations: [String: String] = [:]) {
        self.origin = origin
        self.format = format
        self.content = content
        self.annotations = annotations
    }
}

/// Collects every signature an image source holds for one manifest digest: OCI 1.1 referrers
/// listed in the layout, the `sha256-<hex>` fallback index, and the legacy `sha256-<hex>.sig`
/// manifest. A signature that cannot be read is kept as a failure, never silently dropped.
public struct SignatureFinder: Sendable {
    /// What to look for: signatures (cosign sign/v1 referrers, `.sig`) or attestations (other
    /// referrers, `.att`).
    public enum Kind: Sendable, Hashable { case signatures, attestations }

    /// The image source searched: a layout, an archive or a registry.
    public let source: any ImageSource
    /// Whether signatures or attestations are looked for.
    public let kind: Kind

    /// A finder of `kind` over `source`.
    public init(source: any ImageSource, kind: Kind = .signatures) {
        self.source = source
        self.kind = kind
    }

    /// Where a search for `digest` looks, in words: what a report of nothing found names, so
    /// the user knows where to put a signature or that a detached bundle is needed.
    public func places(for digest: Digest) -> [String] {
        let tag = CosignStorage.tag(for: digest, suffix: "")
        let listed: String
        switch source.reference {
        case .registry: listed = "the registry's referrers API"
        case .dockerArchive: return ["nowhere: a docker-archive holds no signatures (verify a detached bundle with --bundle FILE)"]
        default: listed = "the referrers the layout's index lists"
        }
        return ["\(listed) for \(digest.abbreviated)", "tag \(tag)", "tag \(tag)\(kind == .attestations ? ".att" : ".sig")"]
    }

    /// Every signature stored for `digest`, with each one that could not be read and why.
    public func signatures(for digest: Digest) throws -> (found: [FoundSignature], unreadable: [(origin: String, reason: String)]) {
        do {
            return try search(for: digest)
        } catch let exceeded as EvidenceReads.Exceeded {
            throw exceeded.error
        }
    }

    private func search(for digest: Digest) throws -> (found: [FoundSignature], unreadable: [(origin: String, reason: String)]) {
        var found: [FoundSignature] = []
        var unreadable: [(String, String)] = []
        let fallbackTag = CosignStorage.tag(for: digest, suffix: "")
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
        var reads = EvidenceReads(source: source, subject: digest)
        var seen: Set<Digest> = []
        for (candidate, listing) in candidates where seen.insert(candidate.digest).inserted {
            let origin = "referrer \(candidate.digest.abbreviated)\(listing)"
            let layer: Descriptor?
            do {
                layer = try bundleLayer(candidate, subject: digest)
            } catch {
                unreadable.append((origin, "\(error)"))
                continue
            }
            guard let layer, try reads.admit(layer, roleLimit: bundleLimit) else { continue }
            do {
                found.append(FoundSignature(origin: origin, format: .bundle, content: .bundle(try bundle(layer))))
            } catch {
                unreadable.append((origin, "\(error)"))
            }
        }
        if kind == .attestations {
            try attestationLayers(tag: fallbackTag + ".att", after: candidates.count, reads: &reads, found: &found, unreadable: &unreadable)
        } else {
            do {
                guard let legacy = try source.descriptor(tagged: fallbackTag + ".sig") else { return (found, unreadable) }
                guard case .image(let manifest) = try source.manifest(legacy).content else {
                    throw BullaError(.malformedInput, "the .sig tag names an index, not a manifest")
                }
                try Self.checkCandidateCount(candidates.count + manifest.layers.count, of: digest, in: source)
                var payloads: [Digest: [UInt8]] = [:]
                for (n, layer) in manifest.layers.enumerated() where layer.mediaType == SimpleSigningPayload.mediaType {
                    let origin = "tag \(fallbackTag).sig layer \(n)"
                    guard let sig64 = layer.annotations?[SimpleSigningPayload.signatureAnnotation], let signature = Base64.decode(sig64), !signature.isEmpty else {
                        unreadable.append((origin, "no base64 signature in annotation \(SimpleSigningPayload.signatureAnnotation)"))
                        continue
                    }
                    // Signers of one image share one payload blob, each with its own signature
                    // annotation: the blob is read once and kept for the others.
                    if let payload = payloads[layer.digest] {
                        found.append(FoundSignature(origin: origin, format: .legacy, content: .legacy(payload: payload, signature: signature), annotations: layer.annotations ?? [:]))
                        continue
                    }
                    guard try reads.admit(layer, roleLimit: source.limits.maxManifestBytes) else {
                        unreadable.append((origin, "its payload \(layer.digest.abbreviated) could not be read for an earlier layer"))
                        continue
                    }
                    // One unreadable layer must not hide the others.
                    do {
                        let payload = try source.contents(of: layer, limit: source.limits.maxManifestBytes)
                        payloads[layer.digest] = payload
                        found.append(FoundSignature(origin: origin, format: .legacy, content: .legacy(payload: payload, signature: signature), annotations: layer.annotations ?? [:]))
                    } catch {
                        unreadable.append((origin, "\(error)"))
                    }
                }
            } catch let exceeded as EvidenceReads.Exceeded {
                throw exceeded
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
        guard let predicate = descriptor.annotations?[CosignStorage.referrerAnnotationPredicate] else { return true }
        return (predicate == InTotoStatement.cosignSignPredicate) == (kind == .signatures)
    }

    /// The DSSE envelopes of the `.att` manifest, one per layer.
    private func attestationLayers(
        tag: String, after candidates: Int, reads: inout EvidenceReads, found: inout [FoundSignature], unreadable: inout [(String, String)]
    ) throws {
        do {
            guard let entry = try source.descriptor(tagged: tag) else { return }
            guard case .image(let manifest) = try source.manifest(entry).content else {
                throw BullaError(.malformedInput, "the .att tag names an index, not a manifest")
            }
            try Self.checkCandidateCount(candidates + manifest.layers.count, of: tag, in: source)
            for (n, layer) in manifest.layers.enumerated() where layer.mediaType == CosignStorage.dsseLayerMediaType {
                let origin = "tag \(tag) layer \(n)"
                guard try reads.admit(layer, roleLimit: source.limits.maxAttestationBytes) else { continue }
                do {
                    let bytes = try source.contents(of: layer, limit: source.limits.maxAttestationBytes)
                    found.append(FoundSignature(origin: origin, format: .legacy, content: .envelope(try DSSEEnvelope(bytes: bytes, limits: source.limits))))
                } catch {
                    unreadable.append((origin, "\(error)"))
                }
            }
        } catch let exceeded as EvidenceReads.Exceeded {
            throw exceeded
        } catch {
            unreadable.append(("tag \(tag)", "\(error)"))
        }
    }

    /// The bundle layer of a referrer manifest whose subject is `subject`; nil for a referrer
    /// of another image or of another artifact type.
    private func bundleLayer(_ descriptor: Descriptor, subject: Digest) throws -> Descriptor? {
        guard MediaType.kind(of: descriptor.mediaType) == .image, case .image(let manifest) = try source.manifest(descriptor).content,
              manifest.subject?.digest == subject else { return nil }
        let isBundle = manifest.artifactType == SigstoreBundle.mediaTypeV03 || manifest.config.artifactType == SigstoreBundle.mediaTypeV03
        guard isBundle else { return nil }
        guard let layer = manifest.layers.first(where: { SigstoreBundle.readableMediaTypes.contains($0.mediaType) }) else {
            throw BullaError(.malformedInput, "its artifactType says Sigstore bundle, but no layer is one (\(manifest.layers.map(\.mediaType).joined(separator: ", ")))")
        }
        return layer
    }

    /// A bundle layer's bundle. An attestation bundle carries its whole predicate (an SBOM can
    /// be large); a signature bundle is small.
    private func bundle(_ layer: Descriptor) throws -> SigstoreBundle {
        try SigstoreBundle(bytes: try source.contents(of: layer, limit: bundleLimit), limits: source.limits)
    }

    private var bundleLimit: Int { kind == .attestations ? source.limits.maxAttestationBytes : source.limits.maxManifestBytes }
}

/// What one search has read: each blob once, within ``Limits/maxEvidenceBytes`` in all.
struct EvidenceReads {
    /// The budget is spent: thrown past the per-candidate catches, so the search stops.
    struct Exceeded: Error {
        let error: BullaError
    }

    let source: any ImageSource
    let subject: Digest
    private var read: Set<Digest> = []
    private var bytes: Int64 = 0

    init(source: any ImageSource, subject: Digest) {
        self.source = source
        self.subject = subject
    }

    /// Whether `layer` is still to be read (false when another candidate listed the same
    /// blob); throws once the declared sizes would pass the budget. A layer over `roleLimit`
    /// costs nothing: it is refused unread, and reported as unreadable.
    mutating func admit(_ layer: Descriptor, roleLimit: Int) throws -> Bool {
        guard read.insert(layer.digest).inserted else { return false }
        guard layer.size <= roleLimit else { return true }
        let limit = source.limits.maxEvidenceBytes
        let (total, overflow) = bytes.addingReportingOverflow(max(layer.size, 0))
        guard !overflow, total <= limit else {
            throw Exceeded(error: BullaError(
                .limitExceeded,
                "\(source.reference) holds more than \(limit) bytes of signatures and attestations for \(subject.abbreviated); Bulla reads at most \(limit)"))
        }
        bytes = total
        return true
    }
}
