import BullaCrypto

/// The manifests under an index, for commands that act on each (`sign --recursive`): each
/// digest once, at most ``Limits/maxIndexDepth`` levels and ``Limits/maxDescriptors`` entries.
public enum ManifestWalk {
    /// `document` and, for an index, every manifest and index below it, parents first.
    public static func manifests(under document: ManifestDocument, in source: any ImageSource) throws -> [Descriptor] {
        var budget = DescriptorBudget(limits: source.limits, reference: source.reference.description)
        var seen: Set<Digest> = [document.descriptor.digest]
        var result: [Descriptor] = []
        try visit(document, depth: 0, source: source, budget: &budget, seen: &seen, into: &result)
        return result
    }

    private static func visit(
        _ document: ManifestDocument, depth: Int, source: any ImageSource, budget: inout DescriptorBudget,
        seen: inout Set<Digest>, into result: inout [Descriptor]
    ) throws {
        try budget.spend()
        result.append(document.descriptor)
        guard case .index(let index) = document.content else { return }
        try budget.checkDepth(depth + 1, limits: source.limits)
        for child in index.manifests {
            try budget.spend()
            guard MediaType.kind(of: child.mediaType) != nil, seen.insert(child.digest).inserted else { continue }
            try visit(try source.manifest(child), depth: depth + 1, source: source, budget: &budget, seen: &seen, into: &result)
        }
    }
}
