import BullaCrypto

/// The CLI's exit codes (DESIGN.md "CLI contract").
enum ExitStatus {
    static let success: Int32 = 0
    static let verificationFailed: Int32 = 1
    static let usage: Int32 = 2
    static let badInput: Int32 = 3
    static let internalError: Int32 = 70
    /// EX_TEMPFAIL: something another process holds (a log's lock); try again.
    static let busy: Int32 = 75

    static func `for`(_ error: BullaError) -> Int32 {
        switch error.code {
        case .invalidArgument: usage
        case .signatureInvalid, .logInconsistent: verificationFailed
        case .busy: busy
        case .internalFailure: internalError
        default: badInput
        }
    }
}

/// Thrown by a command whose check ran and found the image wanting: exit 1.
struct VerificationFailed: Error {
    let message: String
}
