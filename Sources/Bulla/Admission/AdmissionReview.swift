import BullaCrypto

/// The part of a Kubernetes `admission.k8s.io/v1` AdmissionReview request the webhook acts on.
/// Everything else the API server sends (userInfo, options, oldObject) is read past.
public struct AdmissionRequest: Sendable {
    /// The review's own apiVersion, echoed in the response.
    public var apiVersion: String
    /// The request's ID, which the response must echo for the API server to match them.
    public var uid: String
    /// The object's kind (`Pod`, `Deployment`, …), from `request.kind.kind`.
    public var kind: String
    /// The object's namespace (empty for cluster-wide kinds), which decides the policy rules that apply.
    public var namespace: String
    /// The object's name (or `generateName…`), for denial messages and the decision log.
    public var name: String
    /// CREATE, UPDATE, DELETE or CONNECT; only the last two may come without an object.
    public var operation: String
    /// Whether the API server will persist nothing; recorded in the decision log as sent.
    public var dryRun: Bool
    /// The object as submitted; nil for DELETE.
    public var object: JSONValue?

    /// The largest review read; the API server's own request limit is 3 MiB.
    public static let maxBytes = 3 << 20

    /// Parses a review body, refusing anything that is not an AdmissionReview request this
    /// webhook can answer; the error is the reason for the HTTP 400.
    public init(parsing body: [UInt8]) throws {
        guard body.count <= Self.maxBytes else {
            throw BullaError(.limitExceeded, "the review is \(body.count) bytes; at most \(Self.maxBytes) are read")
        }
        let review = try RawJSON(validating: body, what: "the AdmissionReview").value()
        guard case .object = review else { throw Self.malformed("the body is not a JSON object") }
        guard review["kind"]?.stringValue == "AdmissionReview" else { throw Self.malformed("kind is not AdmissionReview") }
        guard let version = review["apiVersion"]?.stringValue, version == "admission.k8s.io/v1" else {
            throw Self.malformed("apiVersion is not admission.k8s.io/v1")
        }
        guard let request = review["request"], case .object = request else { throw Self.malformed("there is no request object") }
        guard let uid = request["uid"]?.stringValue, !uid.isEmpty, uid.utf8.count <= 128 else {
            throw Self.malformed("request.uid is missing or not a short string")
        }
        guard let kind = request["kind"]?["kind"]?.stringValue, !kind.isEmpty else {
            throw Self.malformed("request.kind.kind is missing")
        }
        guard let operation = request["operation"]?.stringValue else { throw Self.malformed("request.operation is missing") }
        apiVersion = version
        self.uid = uid
        self.kind = kind
        self.operation = operation
        namespace = request["namespace"]?.stringValue ?? ""
        name = request["name"]?.stringValue ?? ""
        if case .bool(let flag)? = request["dryRun"] { dryRun = flag } else { dryRun = false }
        switch request["object"] {
        case nil, .null?: object = nil
        case .object?: object = request["object"]
        default: throw Self.malformed("request.object is not an object")
        }
        // The API server leaves metadata.name empty for generated names; the object says more.
        if name.isEmpty, let object {
            name = object["metadata"]?["name"]?.stringValue ?? object["metadata"]?["generateName"]?.stringValue.map { $0 + "…" } ?? ""
        }
    }

    /// The images the object would run. A CREATE or UPDATE must carry the object; only a
    /// DELETE or CONNECT runs nothing new.
    public func images() throws -> [ContainerImage] {
        guard let object else {
            guard operation == "DELETE" || operation == "CONNECT" else {
                throw BullaError(.malformedInput, "the \(operation) review carries no object to judge")
            }
            return []
        }
        return try WorkloadImages.images(in: object, kind: kind)
    }

    static func malformed(_ reason: String) -> BullaError {
        BullaError(.malformedInput, "not an AdmissionReview request: \(reason)")
    }
}

/// The webhook's answer, wrapped in an AdmissionReview as the API server expects.
public struct AdmissionResponse: Sendable {
    /// The request's `uid`, echoed so the API server can pair the answer with its request.
    public var uid: String
    /// Whether the object is admitted; false is sent as a 403 `Forbidden` status with `message`.
    public var allowed: Bool
    /// Why a request is denied: shown to the user by kubectl.
    public var message: String?
    /// Shown to the user on allowed requests too (warn-mode rules).
    public var warnings: [String]
    /// A JSON Patch (RFC 6902) over the object, from `/mutate`.
    public var patch: JSONValue?

    /// An answer for request `uid`; the defaults give a plain allow with no warnings or patch.
    public init(uid: String, allowed: Bool, message: String? = nil, warnings: [String] = [], patch: JSONValue? = nil) {
        self.uid = uid
        self.allowed = allowed
        self.message = message
        self.warnings = warnings
        self.patch = patch
    }

    /// The API server truncates long warnings; each is kept under its limit here, whole words.
    static let maxWarning = 256

    /// The review body, in the request's apiVersion.
    public func review(apiVersion: String) -> [UInt8] {
        var response: [(String, JSONValue)] = [("uid", .string(uid)), ("allowed", .bool(allowed))]
        if !allowed {
            response.append(("status", .object([
                ("code", .integer(403)), ("reason", .string("Forbidden")), ("message", .string(message ?? "denied")),
            ])))
        }
        if !warnings.isEmpty {
            response.append(("warnings", .array(warnings.prefix(32).map { .string(Self.shorten($0)) })))
        }
        if let patch {
            response.append(("patchType", .string("JSONPatch")))
            response.append(("patch", .string(Base64.encode(patch.serialized))))
        }
        return JSONValue.object([
            ("apiVersion", .string(apiVersion)), ("kind", .string("AdmissionReview")), ("response", .object(response)),
        ]).serialized
    }

    static func shorten(_ text: String) -> String {
        guard text.utf8.count > maxWarning else { return text }
        var out = ""
        for character in text {
            guard out.utf8.count + character.utf8.count < maxWarning - 3 else { break }
            out.append(character)
        }
        return out + "…"
    }
}
