import CPKCS11
import Synchronization

/// A PKCS #11 module loaded into this process: one per library path, initialised once (a
/// module's state is process-wide) with OS locking, and never unloaded.
final class PKCS11Module: @unchecked Sendable {
    /// The library's path, for messages (any `pin-value=` a mistyped URI put in it hidden).
    let path: String
    /// The module's function list: every call goes through it.
    let functions: CK_FUNCTION_LIST_PTR

    private init(path: String, functions: CK_FUNCTION_LIST_PTR) {
        self.path = PKCS11URI.redacting(path)
        self.functions = functions
    }

    private static let loaded = Mutex<[String: PKCS11Module]>([:])

    /// The module at `path`, loaded and initialised on first use. Refuses a library that cannot
    /// be opened and one that is not a PKCS #11 module, each with its own reason.
    static func open(_ path: String) throws -> PKCS11Module {
        try loaded.withLock { modules in
            if let module = modules[path] { return module }
            var problem: UnsafePointer<CChar>?
            guard let list = bulla_pkcs11_load(path, &problem) else {
                let why = PKCS11URI.redacting(problem.map { String(cString: $0) } ?? "unknown")
                let code: BullaError.Code = why.contains("No such file") ? .notFound : .unsupported
                throw BullaError(code, "the PKCS #11 module \(PKCS11URI.redacting(path)) cannot be loaded: \(why)")
            }
            guard let initialize = list.pointee.C_Initialize else {
                throw BullaError(.unsupported, "the PKCS #11 module \(PKCS11URI.redacting(path)) has no C_Initialize")
            }
            var arguments = CK_C_INITIALIZE_ARGS()
            arguments.flags = CK_FLAGS(CKF_OS_LOCKING_OK)
            let rv = initialize(&arguments)
            guard rv == CKR_OK || rv == CKR_CRYPTOKI_ALREADY_INITIALIZED else {
                throw PKCS11Module.error(rv, "C_Initialize of \(PKCS11URI.redacting(path))")
            }
            let module = PKCS11Module(path: path, functions: list)
            modules[path] = module
            return module
        }
    }

    /// The module's functions; a module missing one Bulla needs is refused when it is needed.
    var f: CK_FUNCTION_LIST { functions.pointee }

    /// Throws unless `rv` is CKR_OK, naming the call and what the return value means.
    static func check(_ rv: CK_RV, _ what: @autoclosure () -> String) throws {
        guard rv != CKR_OK else { return }
        throw error(rv, what())
    }

    /// A BullaError for return value `rv` of `what`: its code says what a user can do about it.
    static func error(_ rv: CK_RV, _ what: String) -> BullaError {
        let (code, meaning): (BullaError.Code, String) = switch rv {
        case CK_RV(CKR_PIN_INCORRECT): (.wrongPassphrase, "the PIN is incorrect")
        case CK_RV(CKR_PIN_LOCKED): (.wrongPassphrase, "the PIN is locked (too many wrong PINs): the token's security officer must unlock it")
        case CK_RV(CKR_PIN_LEN_RANGE): (.wrongPassphrase, "the PIN has a length the token does not accept")
        case CK_RV(CKR_TOKEN_NOT_PRESENT): (.notFound, "the token is not present")
        case CK_RV(CKR_DEVICE_REMOVED): (.ioFailure, "the token was removed")
        case CK_RV(CKR_DEVICE_ERROR): (.ioFailure, "the token reports a device error")
        case CK_RV(CKR_DEVICE_MEMORY): (.ioFailure, "the token is out of memory")
        case CK_RV(CKR_SESSION_HANDLE_INVALID), CK_RV(CKR_SESSION_CLOSED): (.ioFailure, "the session was closed")
        case CK_RV(CKR_USER_NOT_LOGGED_IN): (.ioFailure, "the session is not logged in")
        case CK_RV(CKR_KEY_HANDLE_INVALID), CK_RV(CKR_OBJECT_HANDLE_INVALID): (.notFound, "the key object is gone")
        case CK_RV(CKR_MECHANISM_INVALID): (.unsupported, "the token does not support this mechanism")
        case CK_RV(CKR_KEY_TYPE_INCONSISTENT): (.unsupported, "the key's type does not suit the mechanism")
        case CK_RV(CKR_KEY_FUNCTION_NOT_PERMITTED): (.invalidArgument, "the key may not be used for signing (CKA_SIGN is false)")
        case CK_RV(CKR_TOKEN_WRITE_PROTECTED): (.invalidArgument, "the token is write-protected")
        case CK_RV(CKR_FUNCTION_NOT_SUPPORTED): (.unsupported, "the module does not implement this function")
        case CK_RV(CKR_CRYPTOKI_NOT_INITIALIZED): (.internalFailure, "the module is not initialised")
        default: (.ioFailure, "it failed")
        }
        return BullaError(code, "\(what): \(meaning) (CKR 0x\(String(rv, radix: 16)))")
    }

    /// Whether `rv` means the session or login was lost (a token reset, a removal and return,
    /// a module that timed the session out): worth reopening once.
    static func isLostSession(_ rv: CK_RV) -> Bool {
        [CKR_SESSION_HANDLE_INVALID, CKR_SESSION_CLOSED, CKR_USER_NOT_LOGGED_IN, CKR_DEVICE_REMOVED, CKR_TOKEN_NOT_PRESENT,
         CKR_KEY_HANDLE_INVALID, CKR_OBJECT_HANDLE_INVALID, CKR_DEVICE_ERROR].map { CK_RV($0) }.contains(rv)
    }
}
