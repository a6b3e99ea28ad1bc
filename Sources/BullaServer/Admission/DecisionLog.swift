import Bulla
import BullaCrypto

/// Every admission decision, appended to a transparency log before it is answered, so an
/// auditor can later prove what was admitted, when, and why (spec/admission.md).
public struct DecisionLog: Sendable {
    public static let mediaType = "application/vnd.bulla.admission-decision.v1+json"

    private let sequencer: LogSequencer

    /// Opens the log directory (made by `bulla log init`) for writing; `key` signs its
    /// checkpoints.
    public init(directory: String, key: SigningKey, maxBatch: Int = 4096) throws {
        sequencer = try LogSequencer(log: try TransparencyLog(opening: directory, forWriting: true), key: key, maxBatch: maxBatch)
    }

    /// Appends `entry` and returns its index once it is durable under a signed checkpoint.
    func record(_ entry: JSONValue) async throws -> UInt64 {
        try await sequencer.append(entry.serialized)
    }

    /// The entry for one answered review.
    static func entry(
        _ request: AdmissionRequest, endpoint: String, policy: Digest, allowed: Bool, verdicts: [ImageVerdict], time: Int = Timestamp.now
    ) -> JSONValue {
        .object([
            ("mediaType", .string(mediaType)),
            ("time", .string(Timestamp.rfc3339(time))),
            ("uid", .string(request.uid)),
            ("endpoint", .string(endpoint)),
            ("operation", .string(request.operation)),
            ("kind", .string(request.kind)),
            ("namespace", .string(request.namespace)),
            ("name", .string(request.name)),
            ("dryRun", .bool(request.dryRun)),
            ("policy", .string(policy.description)),
            ("allowed", .bool(allowed)),
            ("images", .array(verdicts.map(\.logged))),
        ])
    }
}
