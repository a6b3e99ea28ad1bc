import BullaCrypto

/// When an attestation says it was made: the creation time its predicate states.
enum AttestationTime {
    /// Where the predicate types Bulla knows state their time, in order of preference.
    static let pointers = [
        "/creationInfo/created", "/metadata/timestamp", "/runDetails/metadata/finishedOn", "/runDetails/metadata/startedOn",
        "/metadata/buildFinishedOn", "/metadata/buildStartedOn", "/metadata/scanFinishedOn", "/timestamp",
    ].map { try! JSONPointer(parsing: $0) }

    static func made(_ predicate: RawJSON, sbom: SBOM?) -> (seconds: Int, text: String)? {
        if let text = sbom?.created, let seconds = Timestamp.parse(text) { return (seconds, text) }
        for pointer in pointers {
            guard let found = try? pointer.resolve(in: predicate), case .string(let text)? = try? found.value() else { continue }
            if let seconds = Timestamp.parse(text) { return (seconds, text) }
        }
        return nil
    }
}
