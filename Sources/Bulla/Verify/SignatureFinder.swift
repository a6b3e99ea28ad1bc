import BullaCrypto

/// A signature found for an image, before any check: where it was and what it holds.
public struct FoundSignature: Sendable {
    public enum Content: Sendable {
        case bundle(SigstoreBundle)
        /// A legacy simple-signing layer: the payload bytes and the annotation's signature.
        case legacy(payload: [UInt8], signature: [UInt8])
    }

    /// Where it was found ("referrer sha256:…", "tag sha256-….sig layer 2", a bundle file).
    public var origin: String
    public var format: SignatureFormat
    public var content: Content

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
    public let source: any ImageSource

    public init(source: any ImageSource) {
        self.source = source
    }

    public func signatures(for digest: Digest) throws -> (found: [FoundSignature], unreadable: [(origin: String, reason: String)]) {
        var found: [FoundSignature] = []
        var unreadable: [(String, String)] = []
        let top = try source.topLevelDescriptors()
        let fallbackTag = "\(digest.algorithm.rawValue)-\(digest.hex)"
        var candidates = top.filter { $0.artifactType == SigstoreBundle.mediaTypeV03 || $0.artifactType == MediaType.ociEmpty }
        // The referrers fallback tag: an index whose entries are the referrers.
        if let fallback = top.first(where: { $0.referenceName == fallbackTag }) {
            do {
                guard case .index(let index) = try source.manifest(fallback).content else {
                    throw BullaError(.malformedInput, "the referrers tag names a manifest, not an index")
                }
                candidates += index.manifests
            } catch {
                unreadable.append(("tag \(fallbackTag)", "\(error)"))
            }
        }
        var seen: Set<Digest> = []
        for candidate in candidates where seen.insert(candidate.digest).inserted {
            let origin = "referrer \(candidate.digest.abbreviated)"
            do {
                if let bundle = try referrerBundle(candidate, subject: digest) {
                    found.append(FoundSignature(origin: origin, format: .bundle, content: .bundle(bundle)))
                }
            } catch {
                unreadable.append((origin, "\(error)"))
            }
        }
        if let legacy = top.first(where: { $0.referenceName == fallbackTag + ".sig" }) {
            do {
                guard case .image(let manifest) = try source.manifest(legacy).content else {
                    throw BullaError(.malformedInput, "the .sig tag names an index, not a manifest")
                }
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
        return try SigstoreBundle(bytes: try source.contents(of: layer, limit: source.limits.maxManifestBytes), limits: source.limits)
    }
}
